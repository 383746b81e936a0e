package config

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	nameRe        = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)
	regionRe      = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$`)
	clusterRe     = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	bucketRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	instanceRe    = regexp.MustCompile(`^[A-Za-z](-?[A-Za-z0-9])*$`)
	dbNameRe      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	userRe        = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,15}$`)
	classRe       = regexp.MustCompile(`^db\.[a-z0-9]+\.[a-z0-9]+$`)
	engineRe      = regexp.MustCompile(`^8\.(0|4)(\.[0-9]+)?$`)
	mysql9Re      = regexp.MustCompile(`^9(\.|$)`)
	subnetGroupRe = regexp.MustCompile(`^[A-Za-z0-9 ._-]{1,255}$`)
	secretRe      = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	iamRoleRe     = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	iamPolicyRe   = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	sgIDRe        = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	sgNameRe      = regexp.MustCompile(`^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]{1,255}$`)
	namespaceRe   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	keyIDRe       = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	kmsKeyIDRe    = regexp.MustCompile(`^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	kmsAliasRe    = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
	kmsARNRe      = regexp.MustCompile(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):[0-9]{12}:(key/.+|alias/.+)$`)
)

// storageBounds are RDS for MySQL's allocated storage limits in GiB, per storage type.
var storageBounds = map[string][2]int32{
	"gp2":      {20, 65536},
	"gp3":      {20, 65536},
	"io1":      {100, 65536},
	"io2":      {100, 65536},
	"standard": {5, 3072},
}

// reservedUsers cannot be an RDS for MySQL master user name.
var reservedUsers = []string{"rdsadmin", "rdsrepladmin", "rdsproxyadmin", "mysql", "root"}

// Validate checks the defaulted configuration without calling AWS and returns every problem at once, or nil.
func (c *Config) Validate() error {
	v := validator{sources: c.sources}
	if c.APIVersion != APIVersion {
		v.add("apiVersion", c.APIVersion, "must be "+APIVersion)
	}
	if c.Kind != Kind {
		v.add("kind", c.Kind, "must be "+Kind)
	}
	v.match("name", c.Name, nameRe, "use 1-40 lowercase letters, digits and hyphens (it defaults to the cluster name)")
	v.match("region", c.Region, regionRe, "use an AWS region code such as us-west-2 (--region, AWS_REGION or your profile's region)")
	v.match("cluster", c.Cluster, clusterRe, "use the EKS cluster name: letters, digits, hyphens and underscores, up to 100")
	if !slices.Contains(Options, c.Option) {
		v.add("option", string(c.Option), "must be one of "+joinValues(Options))
	}
	if !slices.Contains(CSIDrivers, c.CSIDriver) {
		v.add("csiDriver", string(c.CSIDriver), "must be one of "+joinValues(CSIDrivers))
	}
	if !slices.Contains(Identities, c.Identity) {
		v.add("identity", string(c.Identity), "must be one of "+joinValues(Identities))
	}
	if c.Option.UsesS3() {
		c.validateS3(&v)
	}
	if c.Option.UsesRDS() {
		c.validateRDS(&v)
	}
	c.validateIAM(&v)
	c.validateKMS(&v)
	c.validateDistinctNames(&v)
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

func (c *Config) validateS3(v *validator) {
	s := c.S3
	if s.Bucket == "" {
		v.add("s3.bucket", "", "required for option "+string(c.Option))
	} else if msg := bucketNameProblem(s.Bucket); msg != "" {
		v.add("s3.bucket", s.Bucket, msg)
	}
	if !slices.Contains(CredentialModes, s.Credentials) {
		v.add("s3.credentials", string(s.Credentials), "must be one of "+joinValues(CredentialModes))
		return
	}
	haveKeys := s.AccessKeyID != "" || s.SecretAccessKey != ""
	switch s.Credentials {
	case CredentialsIRSA:
		if haveKeys {
			v.add("s3.credentials", string(s.Credentials), "static S3 keys were given (KFAWS_S3_ACCESS_KEY_ID/KFAWS_S3_SECRET_ACCESS_KEY) but credentials is irsa; unset them or use static")
		}
	case CredentialsStatic:
		v.match("s3.secretName", s.SecretName, secretRe, "use 1-512 letters, digits and /_+=.@-")
		if (s.AccessKeyID == "") != (s.SecretAccessKey == "") {
			v.add("s3.credentials", string(s.Credentials), "give both KFAWS_S3_ACCESS_KEY_ID and KFAWS_S3_SECRET_ACCESS_KEY, or neither to reuse an existing secret")
		}
		if s.AccessKeyID != "" && !keyIDRe.MatchString(s.AccessKeyID) {
			v.add("KFAWS_S3_ACCESS_KEY_ID", "", "is not an AWS access key id (16-128 uppercase letters and digits)")
		}
	}
}

func (c *Config) validateRDS(v *validator) {
	r := c.RDS
	if !instanceRe.MatchString(r.InstanceName) || len(r.InstanceName) > 63 {
		v.add("rds.instanceName", r.InstanceName, "use 1-63 letters, digits and single hyphens, starting with a letter and not ending with a hyphen")
	}
	v.match("rds.databaseName", r.DatabaseName, dbNameRe, "use 1-64 letters, digits and underscores starting with a letter, so KFP and Katib can use it unquoted")
	if !userRe.MatchString(r.MasterUsername) {
		v.add("rds.masterUsername", r.MasterUsername, "use 1-16 letters, digits and underscores, starting with a letter")
	} else if slices.Contains(reservedUsers, strings.ToLower(r.MasterUsername)) {
		v.add("rds.masterUsername", r.MasterUsername, "is reserved by RDS for MySQL; choose another name")
	}
	v.match("rds.instanceClass", r.InstanceClass, classRe, "use an RDS instance class such as db.m5.large")
	switch {
	case mysql9Re.MatchString(r.EngineVersion):
		// Every release kfaws knows (v1.7 to 26.03.1) runs MLMD, which logs in only with mysql_native_password
		// (kubeflow/pipelines#9549, google/ml-metadata#178); MySQL 9.0 removed that plugin.
		v.add("rds.engineVersion", r.EngineVersion, "MySQL 9 removed mysql_native_password, which KFP's metadata "+
			"server (MLMD) needs to log in; use 8.4 (default) or 8.0")
	case !engineRe.MatchString(r.EngineVersion):
		v.add("rds.engineVersion", r.EngineVersion, "use MySQL 8.4 (default) or 8.0, optionally with a minor version such as 8.4.6")
	}
	bounds, ok := storageBounds[r.StorageType]
	if !ok {
		v.add("rds.storageType", r.StorageType, "must be one of gp2, gp3, io1, io2, standard")
	} else if r.AllocatedStorage < bounds[0] || r.AllocatedStorage > bounds[1] {
		v.add("rds.allocatedStorage", strconv.Itoa(int(r.AllocatedStorage)),
			fmt.Sprintf("must be between %d and %d GiB for storage type %s", bounds[0], bounds[1], r.StorageType))
	}
	if maxs := Value(r.MaxAllocatedStorage); maxs != 0 && (maxs <= r.AllocatedStorage || maxs > 65536) {
		v.add("rds.maxAllocatedStorage", strconv.Itoa(int(maxs)), "must be 0 (no autoscaling) or greater than rds.allocatedStorage and at most 65536")
	}
	if b := Value(r.BackupRetentionPeriod); b < 0 || b > 35 {
		v.add("rds.backupRetentionPeriod", strconv.Itoa(int(b)), "must be between 0 and 35 days")
	}
	if !subnetGroupRe.MatchString(r.SubnetGroupName) || strings.EqualFold(r.SubnetGroupName, "default") {
		v.add("rds.subnetGroupName", r.SubnetGroupName, "use 1-255 letters, digits, spaces, periods, underscores and hyphens, not \"default\"")
	}
	if !instanceRe.MatchString(r.ParameterGroupName) || len(r.ParameterGroupName) > 255 {
		v.add("rds.parameterGroupName", r.ParameterGroupName, "use letters, digits and single hyphens, starting with a letter and not ending with a hyphen")
	}
	if r.SecurityGroupID != "" {
		v.match("rds.securityGroupID", r.SecurityGroupID, sgIDRe, "use a security group id such as sg-0123456789abcdef0")
	} else if !sgNameRe.MatchString(r.SecurityGroupName) || strings.HasPrefix(r.SecurityGroupName, "sg-") {
		v.add("rds.securityGroupName", r.SecurityGroupName, "use 1-255 printable characters, not starting with sg-")
	}
	v.match("rds.secretName", r.SecretName, secretRe, "use 1-512 letters, digits and /_+=.@-")
	c.validateMasterPassword(v)
}

func (c *Config) validateIAM(v *validator) {
	i := c.IAM
	if c.Option.UsesS3() && c.S3.Credentials == CredentialsIRSA {
		v.match("iam.backendRoleName", i.BackendRoleName, iamRoleRe, "use 1-64 letters, digits and +=,.@_-")
		v.match("iam.profileRoleName", i.ProfileRoleName, iamRoleRe, "use 1-64 letters, digits and +=,.@_-")
		v.match("iam.s3PolicyName", i.S3PolicyName, iamPolicyRe, "use 1-128 letters, digits and +=,.@_-")
		v.match("iam.profileNamespace", i.ProfileNamespace, namespaceRe, "use a Kubernetes namespace name")
	}
	v.match("iam.secretsRoleName", i.SecretsRoleName, iamRoleRe, "use 1-64 letters, digits and +=,.@_-")
}

// validateKMS checks the form of kms.key; whether the key exists and can encrypt is for the plan to find.
func (c *Config) validateKMS(v *validator) {
	k := c.KMS.Key
	const how = "use create, a key ARN, a key id, alias/NAME or an alias ARN of a customer managed symmetric key"
	name := k
	if m := kmsARNRe.FindStringSubmatch(k); m != nil {
		if m[1] != c.Region {
			v.add("kms.key", k, fmt.Sprintf("is in region %s, the installation in %s; KMS keys are regional: use a key in %s", m[1], c.Region, c.Region))
			return
		}
		name = strings.TrimPrefix(m[2], "key/")
	}
	switch {
	case k == "" || k == KMSCreate:
	case strings.HasPrefix(name, "alias/aws/"):
		v.add("kms.key", k, "names an AWS managed key, which kfaws cannot scope its grants to; "+how)
	case !kmsAliasRe.MatchString(name) && !kmsKeyIDRe.MatchString(name):
		v.add("kms.key", k, how)
	}
}

// bucketNameProblem applies S3's general purpose bucket naming rules; it returns "" for a valid name.
func bucketNameProblem(name string) string {
	switch {
	case !bucketRe.MatchString(name):
		return "use 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
	case strings.Contains(name, ".."):
		return "must not contain two adjacent periods"
	case net.ParseIP(name) != nil:
		return "must not be formatted as an IP address"
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return "must not start with the reserved prefix " + p
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return "must not end with the reserved suffix " + s
		}
	}
	return ""
}

// validator collects problems, each with where its field was given.
type validator struct {
	errs    Errors
	sources map[string]Source
}

func (v *validator) add(field, value, msg string) {
	v.errs = append(v.errs, FieldError{Field: field, Value: value, Message: msg, Source: v.sources[field]})
}

func (v *validator) match(field, value string, re *regexp.Regexp, msg string) {
	if value == "" {
		v.add(field, "", "required; "+msg)
		return
	}
	if !re.MatchString(value) {
		v.add(field, value, msg)
	}
}

func joinValues[T ~string](vals []T) string {
	s := make([]string, len(vals))
	for i, x := range vals {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
