package config

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	yaml "go.yaml.in/yaml/v3"
)

// starter is the commented file `kfaws init` writes. Every field is shown: given values and constant defaults as
// values, names derived from other fields commented out (Opt) so they keep following those fields.
var starter = template.Must(template.New("kfaws.yaml").Funcs(template.FuncMap{"yaml": yamlScalar}).Parse(`# kfaws configuration: one Kubeflow installation on EKS with its data in RDS for MySQL and S3.
# Flags override these values; run 'kfaws plan --config THIS_FILE' to see what would change.
apiVersion: {{yaml .APIVersion}}
kind: {{yaml .Kind}}

# Installation name, used in resource tags and IAM names. Commented out, it is the cluster name.
{{.Opt "name" .Name}}
# AWS region of the EKS cluster (flag --region, or AWS_REGION / your profile's region).
region: {{yaml .Region}}
# EKS cluster name.
cluster: {{yaml .Cluster}}
# What moves out of the cluster: rds-s3, rds-only or s3-only.
option: {{yaml .Option}}
# How the Secrets Store CSI driver gets onto the cluster (rds-s3, rds-only, or static S3 keys need it): auto uses
# the EKS add-on where EKS offers it (kfaws up creates it), else kfaws's pinned manifests; eks-addon, manifests,
# or skip (you install it).
csiDriver: {{yaml .CSIDriver}}
# How Kubeflow's service accounts assume the IAM roles kfaws creates: irsa (the cluster's OIDC issuer and
# ServiceAccount annotations) or pod-identity (EKS Pod Identity associations; kfaws up installs the EKS Pod
# Identity Agent add-on when missing; needs KFP 2.16 or later).
identity: {{yaml .Identity}}
# Where kfaws records what it created (relative to this file). Keep it: 'kfaws down' reads it.
{{.Opt "stateFile" .StatePath}}

s3:
  # Artifact bucket; created private, encrypted and with all public access blocked if it does not exist.
  bucket: {{yaml .S3.Bucket}}
  # irsa: IAM roles for KFP's service accounts (recommended). static: an IAM user's keys, given as
  # KFAWS_S3_ACCESS_KEY_ID and KFAWS_S3_SECRET_ACCESS_KEY and stored in Secrets Manager.
  credentials: {{yaml .S3.Credentials}}
  secretName: {{yaml .S3.SecretName}}
  # Deny every request to the bucket made without TLS (aws:SecureTransport), in the policy of a bucket kfaws
  # created; every component kfaws wires uses HTTPS. A bucket kfaws did not create is left as it is.
  requireTLS: {{yaml .S3.RequireTLS}}

rds:
  instanceName: {{yaml .RDS.InstanceName}}
  # Initial database, used by Katib. KFP creates mlpipeline, cachedb and metadb itself.
  databaseName: {{yaml .RDS.DatabaseName}}
  # The master password is generated and kept only in Secrets Manager, unless KFAWS_DB_MASTER_PASSWORD is set.
  masterUsername: {{yaml .RDS.MasterUsername}}
  instanceClass: {{yaml .RDS.InstanceClass}}
  # MySQL 8.4 (default) or 8.0 (billed as RDS Extended Support since 2026-07-31).
  engineVersion: {{yaml .RDS.EngineVersion}}
  allocatedStorage: {{yaml .RDS.AllocatedStorage}}
  # Storage autoscaling ceiling in GiB; 0 turns autoscaling off.
  maxAllocatedStorage: {{yaml .RDS.MaxAllocatedStorage}}
  backupRetentionPeriod: {{yaml .RDS.BackupRetentionPeriod}}
  storageType: {{yaml .RDS.StorageType}}
  multiAZ: {{yaml .RDS.MultiAZ}}
  deletionProtection: {{yaml .RDS.DeletionProtection}}
  # Built from the cluster's private subnets (no route to an internet gateway), in at least two zones.
  subnetGroupName: {{yaml .RDS.SubnetGroupName}}
  # Owned by kfaws: mysql_native_password for new users (KFP's metadata server needs it), utf8mb4, no forced TLS.
  # Commented out, it is instanceName-params.
  {{.Opt "rds.parameterGroupName" .RDS.ParameterGroupName}}
  # Created to admit MySQL (3306) only from the cluster security group. Commented out, it is instanceName-sg.
  {{.Opt "rds.securityGroupName" .RDS.SecurityGroupName}}
  # Set securityGroupID to bring your own security group instead.
  {{.Opt "rds.securityGroupID" .SecurityGroupID}}
  secretName: {{yaml .RDS.SecretName}}
  # true: KFP's API server, cache server, MLMD and Katib each log in as a MySQL user of their own, granted only
  # their own database, its password generated into secret secretName-COMPONENT; only kfaws uses the master user.
  # kfaws up then logs in to the instance (directly, through --db-address, or a relay pod) to create the users.
  componentUsers: {{yaml .RDS.ComponentUsers}}

iam:
  # Commented out, the IAM names follow name (kfaws-NAME-...), so each installation in an account has its own.
  {{.Opt "iam.backendRoleName" .IAM.BackendRoleName}}
  {{.Opt "iam.profileRoleName" .IAM.ProfileRoleName}}
  {{.Opt "iam.s3PolicyName" .IAM.S3PolicyName}}
  {{.Opt "iam.secretsRoleName" .IAM.SecretsRoleName}}
  # Every profile namespace reaches only its own artifacts (private-artifacts/NAMESPACE/). Under irsa this one's
  # default-editor assumes profileRoleName and every other profile's its own, profileRoleName-NAMESPACE; under
  # pod-identity they all share profileRoleName. kfaws up finds the cluster's profiles through the kubeconfig.
  profileNamespace: {{yaml .IAM.ProfileNamespace}}

kms:
  # Customer managed KMS key for the bucket (SSE-KMS), the DB instance's storage and the secrets kfaws creates:
  # a key ARN, key id or alias/NAME in the region, or create (kfaws creates alias/kfaws-NAME and deletes it on
  # kfaws down once no data it keeps needs it). Commented out, AWS's own keys are used (SSE-S3).
  {{.Opt "kms.key" .KMSKey}}
`))

// Placeholders `kfaws init` writes for the values it cannot default; the file does not validate until they
// are replaced.
const (
	PlaceholderCluster = "CLUSTER_NAME"
	PlaceholderRegion  = "REGION"
	PlaceholderBucket  = "BUCKET_NAME"
)

// Starter returns the commented config file `kfaws init` writes for c, which holds what the file, environment and
// flags gave and is not yet defaulted. Given fields are written as given and constant defaults as values; names
// derived from other fields (name from cluster, the parameter and security group from rds.instanceName, the IAM
// names from name) are written commented out unless given, so they keep following those fields. Cluster, region
// and bucket, when not given, are placeholders. Values that cannot be valid are refused with every problem.
func Starter(c *Config) ([]byte, error) {
	if err := starterProblems(c); err != nil {
		return nil, err
	}
	f := *c
	placeholder(&f, "cluster", &f.Cluster, PlaceholderCluster)
	placeholder(&f, "region", &f.Region, PlaceholderRegion)
	placeholder(&f, "s3.bucket", &f.S3.Bucket, PlaceholderBucket)
	f.Default()
	view := starterView{Config: &f, given: c, StatePath: c.StateFile, SecurityGroupID: f.RDS.SecurityGroupID}
	if view.StatePath == "" {
		view.StatePath = f.StatePath()
	}
	if view.SecurityGroupID == "" {
		view.SecurityGroupID = "sg-0123456789abcdef0"
	}
	if view.KMSKey = f.KMS.Key; view.KMSKey == "" {
		view.KMSKey = KMSCreate
	}
	var b bytes.Buffer
	if err := starter.Execute(&b, view); err != nil {
		panic(err) // the template is fixed and its data always complete
	}
	return b.Bytes(), nil
}

// starterProblems validates c as it would be once the placeholders are filled in, without the secrets (the file
// never holds them), so init refuses what no edit of the placeholders can make valid.
func starterProblems(c *Config) error {
	probe := *c
	probe.S3.AccessKeyID, probe.S3.SecretAccessKey = "", ""
	probe.RDS.MasterPassword, probe.masterPasswordSet = "", false
	placeholder(&probe, "cluster", &probe.Cluster, "example-cluster")
	placeholder(&probe, "region", &probe.Region, "us-east-1")
	placeholder(&probe, "s3.bucket", &probe.S3.Bucket, "example-kfp-artifacts")
	probe.Default()
	return probe.Validate()
}

// starterView is the defaulted config the template shows, and the config as given.
type starterView struct {
	*Config
	given                      *Config
	StatePath, SecurityGroupID string
	// KMSKey is kms.key as given, else an example.
	KMSKey string
}

// Opt is "key: value" for a field that was given, commented out otherwise.
func (v starterView) Opt(field string, value any) string {
	line := field[strings.LastIndex(field, ".")+1:] + ": " + yamlScalar(value)
	if v.given.Given(field) {
		return line
	}
	return "# " + line
}

func placeholder(c *Config, field string, p *string, value string) {
	if *p == "" && !c.Given(field) {
		*p = value
	}
}

// yamlScalar writes v as a YAML scalar that reads back as the same value: plain where that is safe, quoted
// otherwise (8.4 as a string becomes "8.4"; a name starting with @ or holding ": " is quoted).
func yamlScalar(v any) string {
	switch x := v.(type) {
	case *int32:
		v = Value(x)
	case *bool:
		v = Value(x)
	case fmt.Stringer:
		v = x.String()
	case Option:
		v = string(x)
	case CredentialMode:
		v = string(x)
	case CSIDriver:
		v = string(x)
	case Identity:
		v = string(x)
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		panic(err) // only strings, numbers and booleans are written
	}
	if n.Kind == yaml.ScalarNode && n.Style == 0 && n.Tag == "!!str" && strings.ContainsAny(n.Value, "\n") {
		n.Style = yaml.DoubleQuotedStyle
	}
	out, err := yaml.Marshal(&n)
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(out), "\n")
}
