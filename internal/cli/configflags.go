package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/operation"
)

// configFlags are the flags that override fields of kfaws.yaml. Precedence: flag > environment > file > default.
type configFlags struct {
	file    string
	profile string
	c       config.Config // holds only the values given as flags
	maxStor int32
	backup  int32
	option  enumValue[config.Option]
	creds   enumValue[config.CredentialMode]
	csi     enumValue[config.CSIDriver]
	ident   enumValue[config.Identity]
	fs      *pflag.FlagSet
}

func addConfigFlags(fs *pflag.FlagSet) *configFlags {
	f := &configFlags{fs: fs}
	f.option = enumValue[config.Option]{allowed: config.Options, p: &f.c.Option}
	f.creds = enumValue[config.CredentialMode]{allowed: config.CredentialModes, p: &f.c.S3.Credentials}
	f.csi = enumValue[config.CSIDriver]{allowed: config.CSIDrivers, p: &f.c.CSIDriver}
	f.ident = enumValue[config.Identity]{allowed: config.Identities, p: &f.c.Identity}
	fs.StringVarP(&f.file, "config", "f", "", "config file (kfaws.yaml); flags override its values")
	fs.StringVar(&f.profile, "profile", "", "AWS shared config profile (default: AWS_PROFILE or default)")
	fs.StringVar(&f.c.Name, "name", "", "installation name used in tags and IAM names (default: the cluster name)")
	fs.StringVar(&f.c.Region, "region", "", "AWS region (default: AWS_REGION or the profile's region)")
	fs.StringVar(&f.c.Cluster, "cluster", "", "EKS cluster name")
	fs.Var(&f.option, "option", "what moves out of the cluster: "+strings.Join(enumStrings(config.Options), ", ")+" (default rds-s3)")
	fs.Var(&f.csi, "csi-driver", "how the Secrets Store CSI driver gets onto the cluster: "+
		strings.Join(enumStrings(config.CSIDrivers), ", ")+" (default auto: the EKS add-on, which kfaws up creates, "+
		"where EKS offers it, else kfaws's manifests)")
	fs.Var(&f.ident, "identity", "how Kubeflow's service accounts assume kfaws's IAM roles: "+
		strings.Join(enumStrings(config.Identities), ", ")+" (default irsa; pod-identity uses EKS Pod Identity "+
		"associations and needs no OIDC provider)")
	fs.StringVar(&f.c.StateFile, "state", "", "state file (default .kfaws/NAME.state.json)")
	fs.StringVar(&f.c.S3.Bucket, "bucket", "", "S3 bucket for pipeline artifacts")
	fs.Var(&f.creds, "s3-credentials", "how KFP authenticates to S3: "+strings.Join(enumStrings(config.CredentialModes), ", ")+" (default irsa); static reads "+config.EnvS3AccessKeyID+" and "+config.EnvS3SecretAccessKey)
	fs.StringVar(&f.c.S3.SecretName, "s3-secret-name", "", "Secrets Manager secret for static S3 keys (default s3-secret)")
	fs.StringVar(&f.c.RDS.InstanceName, "db-instance-name", "", "RDS DB instance identifier (default kubeflow-db)")
	fs.StringVar(&f.c.RDS.DatabaseName, "db-name", "", "initial database, used by Katib (default kubeflow)")
	fs.StringVar(&f.c.RDS.MasterUsername, "db-master-username", "", "RDS master user (default admin); the password comes from "+config.EnvDBMasterPassword+" or is generated")
	fs.StringVar(&f.c.RDS.InstanceClass, "db-instance-class", "", "RDS instance class (default db.m5.large)")
	fs.StringVar(&f.c.RDS.EngineVersion, "db-engine-version", "", "MySQL engine version, 8.4 or 8.0 with optional minor (default 8.4)")
	fs.Int32Var(&f.c.RDS.AllocatedStorage, "db-allocated-storage", 0, "initial storage in GiB (default 50)")
	fs.Int32Var(&f.maxStor, "db-max-allocated-storage", 0, "storage autoscaling ceiling in GiB, 0 for none (default 1000)")
	fs.Int32Var(&f.backup, "db-backup-retention", 0, "automated backup retention in days, 0 for none (default 7)")
	fs.StringVar(&f.c.RDS.StorageType, "db-storage-type", "", "storage type: gp2, gp3, io1, io2, standard (default gp2)")
	fs.StringVar(&f.c.RDS.SubnetGroupName, "db-subnet-group", "", "DB subnet group name (default kubeflow-db-subnet-group)")
	fs.StringVar(&f.c.RDS.ParameterGroupName, "db-parameter-group", "", "DB parameter group kfaws creates (default INSTANCE-params)")
	fs.StringVar(&f.c.RDS.SecurityGroupName, "db-security-group-name", "", "name of the security group kfaws creates for the instance (default INSTANCE-sg)")
	fs.StringVar(&f.c.RDS.SecurityGroupID, "db-security-group", "", "existing security group id for the instance instead of one kfaws creates")
	fs.StringVar(&f.c.RDS.SecretName, "rds-secret-name", "", "Secrets Manager secret for the database credentials (default rds-secret)")
	fs.StringVar(&f.c.KMS.Key, "kms-key", "", "customer managed KMS key for the bucket, the DB instance and the secrets: "+
		"a key ARN, key id or alias/NAME, or create (kfaws creates alias/kfaws-NAME); default: AWS's own keys")
	fs.StringVar(&f.c.IAM.ProfileNamespace, "profile-namespace", "", "profile namespace that gets S3 access even when the cluster is not read; up finds the others (default kubeflow-user-example-com)")
	return f
}

// load builds the effective configuration: file, then environment, then flags, then the region from the AWS
// profile when still unset, then defaults. It does not validate.
func (f *configFlags) load(regionFromProfile func(profile string) string) (*config.Config, error) {
	c, err := f.gather(regionFromProfile)
	if err != nil {
		return nil, err
	}
	c.Default()
	return c, nil
}

// gather is load without the defaults: what the file, environment and flags gave.
func (f *configFlags) gather(regionFromProfile func(profile string) string) (*config.Config, error) {
	c := config.New()
	if f.file != "" {
		var err error
		if c, err = config.Load(f.file); err != nil {
			return nil, usageError(err)
		}
	}
	c.ApplyEnv(os.LookupEnv)
	f.override(c)
	if c.Region == "" && regionFromProfile != nil {
		c.Region = regionFromProfile(f.profile)
	}
	return c, nil
}

// open loads the configuration (the region from the AWS profile when unset) for the commands that work from the
// state file and the cluster, without requiring a complete configuration.
func (f *configFlags) open(ctx context.Context, s Streams, g *globalFlags, kube operation.KubeOptions) (*operation.Configuration, error) {
	c, err := f.load(func(profile string) string { return operation.RegionFromProfile(ctx, profile) })
	if err != nil {
		return nil, err
	}
	return operation.OpenConfiguration(ctx, c, operation.Options{Profile: f.profile, Kube: kube, Log: g.logger(s.Err)})
}

// override copies every flag the user set into c, and records the flag as where the field was given, so an
// explicit value (even 0 or "") is kept by Default and errors name the flag.
func (f *configFlags) override(c *config.Config) {
	for _, o := range configOverrides {
		if f.fs.Changed(o.flag) {
			o.copy(c, f)
			c.SetSource(o.field, config.Source{Flag: "--" + o.flag})
		}
	}
}

// configOverride ties a flag to the config field it sets.
type configOverride struct {
	flag, field string
	copy        func(dst *config.Config, f *configFlags)
}

var configOverrides = []configOverride{
	{"name", "name", func(d *config.Config, f *configFlags) { d.Name = f.c.Name }},
	{"region", "region", func(d *config.Config, f *configFlags) { d.Region = f.c.Region }},
	{"cluster", "cluster", func(d *config.Config, f *configFlags) { d.Cluster = f.c.Cluster }},
	{"option", "option", func(d *config.Config, f *configFlags) { d.Option = f.c.Option }},
	{"csi-driver", "csiDriver", func(d *config.Config, f *configFlags) { d.CSIDriver = f.c.CSIDriver }},
	{"identity", "identity", func(d *config.Config, f *configFlags) { d.Identity = f.c.Identity }},
	{"state", "stateFile", func(d *config.Config, f *configFlags) { d.StateFile = f.c.StateFile }},
	{"bucket", "s3.bucket", func(d *config.Config, f *configFlags) { d.S3.Bucket = f.c.S3.Bucket }},
	{"s3-credentials", "s3.credentials", func(d *config.Config, f *configFlags) { d.S3.Credentials = f.c.S3.Credentials }},
	{"s3-secret-name", "s3.secretName", func(d *config.Config, f *configFlags) { d.S3.SecretName = f.c.S3.SecretName }},
	{"db-instance-name", "rds.instanceName", func(d *config.Config, f *configFlags) { d.RDS.InstanceName = f.c.RDS.InstanceName }},
	{"db-name", "rds.databaseName", func(d *config.Config, f *configFlags) { d.RDS.DatabaseName = f.c.RDS.DatabaseName }},
	{"db-master-username", "rds.masterUsername", func(d *config.Config, f *configFlags) { d.RDS.MasterUsername = f.c.RDS.MasterUsername }},
	{"db-instance-class", "rds.instanceClass", func(d *config.Config, f *configFlags) { d.RDS.InstanceClass = f.c.RDS.InstanceClass }},
	{"db-engine-version", "rds.engineVersion", func(d *config.Config, f *configFlags) { d.RDS.EngineVersion = f.c.RDS.EngineVersion }},
	{"db-allocated-storage", "rds.allocatedStorage", func(d *config.Config, f *configFlags) { d.RDS.AllocatedStorage = f.c.RDS.AllocatedStorage }},
	{"db-max-allocated-storage", "rds.maxAllocatedStorage", func(d *config.Config, f *configFlags) { d.RDS.MaxAllocatedStorage = &f.maxStor }},
	{"db-backup-retention", "rds.backupRetentionPeriod", func(d *config.Config, f *configFlags) { d.RDS.BackupRetentionPeriod = &f.backup }},
	{"db-storage-type", "rds.storageType", func(d *config.Config, f *configFlags) { d.RDS.StorageType = f.c.RDS.StorageType }},
	{"db-subnet-group", "rds.subnetGroupName", func(d *config.Config, f *configFlags) { d.RDS.SubnetGroupName = f.c.RDS.SubnetGroupName }},
	{"db-parameter-group", "rds.parameterGroupName", func(d *config.Config, f *configFlags) { d.RDS.ParameterGroupName = f.c.RDS.ParameterGroupName }},
	{"db-security-group-name", "rds.securityGroupName", func(d *config.Config, f *configFlags) { d.RDS.SecurityGroupName = f.c.RDS.SecurityGroupName }},
	{"db-security-group", "rds.securityGroupID", func(d *config.Config, f *configFlags) { d.RDS.SecurityGroupID = f.c.RDS.SecurityGroupID }},
	{"rds-secret-name", "rds.secretName", func(d *config.Config, f *configFlags) { d.RDS.SecretName = f.c.RDS.SecretName }},
	{"profile-namespace", "iam.profileNamespace", func(d *config.Config, f *configFlags) { d.IAM.ProfileNamespace = f.c.IAM.ProfileNamespace }},
	{"kms-key", "kms.key", func(d *config.Config, f *configFlags) { d.KMS.Key = f.c.KMS.Key }},
}

// enumValue is a flag that accepts only listed values, so a typo fails at parse time.
type enumValue[T ~string] struct {
	allowed []T
	p       *T
}

func (e *enumValue[T]) String() string {
	if e.p == nil {
		return ""
	}
	return string(*e.p)
}

func (e *enumValue[T]) Set(s string) error {
	if !slices.Contains(e.allowed, T(s)) {
		return fmt.Errorf("must be one of %s", strings.Join(enumStrings(e.allowed), ", "))
	}
	*e.p = T(s)
	return nil
}

func (e *enumValue[T]) Type() string { return "string" }

func enumStrings[T ~string](vals []T) []string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = string(v)
	}
	return s
}

// suggestFlags repeats the flags that select the installation, for commands suggested to the user.
func (f *configFlags) suggestFlags() string {
	s := ""
	if f.file != "" {
		s += " --config " + f.file
	}
	for _, name := range []string{"profile", "region", "cluster", "name", "option", "bucket", "s3-credentials", "kms-key", "identity", "state", "from-snapshot"} {
		if fl := f.fs.Lookup(name); fl != nil && fl.Changed {
			s += " --" + name + " " + fl.Value.String()
		}
	}
	return s
}
