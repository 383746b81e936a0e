package config

import (
	"bytes"
	"text/template"
)

// starter is the commented file `kfaws init` writes. Every field is shown with its default.
var starter = template.Must(template.New("kfaws.yaml").Parse(`# kfaws configuration: one Kubeflow installation on EKS with its data in RDS for MySQL and S3.
# Flags override these values; run 'kfaws plan --config THIS_FILE' to see what would change.
apiVersion: {{.APIVersion}}
kind: {{.Kind}}

# Installation name, used in resource tags and IAM names (default: the cluster name).
name: {{.Name}}
# AWS region of the EKS cluster (flag --region, or AWS_REGION / your profile's region).
region: {{.Region}}
# EKS cluster name.
cluster: {{.Cluster}}
# What moves out of the cluster: rds-s3, rds-only or s3-only.
option: {{.Option}}
# How the Secrets Store CSI driver gets onto the cluster (rds-s3, rds-only, or static S3 keys need it): auto uses
# the EKS add-on where EKS offers it (kfaws up creates it), else kfaws's pinned manifests; eks-addon, manifests,
# or skip (you install it).
csiDriver: {{.CSIDriver}}
# Where kfaws records what it created (relative to this file). Keep it: 'kfaws down' reads it.
# stateFile: .kfaws/{{.Name}}.state.json

s3:
  # Artifact bucket; created private, encrypted and with all public access blocked if it does not exist.
  bucket: {{.S3.Bucket}}
  # irsa: IAM roles for KFP's service accounts (recommended). static: an IAM user's keys, given as
  # KFAWS_S3_ACCESS_KEY_ID and KFAWS_S3_SECRET_ACCESS_KEY and stored in Secrets Manager.
  credentials: {{.S3.Credentials}}
  secretName: {{.S3.SecretName}}

rds:
  instanceName: {{.RDS.InstanceName}}
  # Initial database, used by Katib. KFP creates mlpipeline, cachedb and metadb itself.
  databaseName: {{.RDS.DatabaseName}}
  # The master password is generated and kept only in Secrets Manager, unless KFAWS_DB_MASTER_PASSWORD is set.
  masterUsername: {{.RDS.MasterUsername}}
  instanceClass: {{.RDS.InstanceClass}}
  # MySQL 8.4 (default) or 8.0 (billed as RDS Extended Support since 2026-07-31).
  engineVersion: "{{.RDS.EngineVersion}}"
  allocatedStorage: {{.RDS.AllocatedStorage}}
  # Storage autoscaling ceiling in GiB; 0 turns autoscaling off.
  maxAllocatedStorage: {{.RDS.MaxAllocatedStorage}}
  backupRetentionPeriod: {{.RDS.BackupRetentionPeriod}}
  storageType: {{.RDS.StorageType}}
  multiAZ: {{.RDS.MultiAZ}}
  deletionProtection: {{.RDS.DeletionProtection}}
  # Built from the cluster's private subnets (no route to an internet gateway), in at least two zones.
  subnetGroupName: {{.RDS.SubnetGroupName}}
  # Owned by kfaws: mysql_native_password for new users (KFP's metadata server needs it), utf8mb4, no forced TLS.
  parameterGroupName: {{.RDS.ParameterGroupName}}
  # Created to admit MySQL (3306) only from the cluster security group. Set securityGroupID to bring your own.
  securityGroupName: {{.RDS.SecurityGroupName}}
  # securityGroupID: sg-0123456789abcdef0
  secretName: {{.RDS.SecretName}}

iam:
  backendRoleName: {{.IAM.BackendRoleName}}
  profileRoleName: {{.IAM.ProfileRoleName}}
  s3PolicyName: {{.IAM.S3PolicyName}}
  secretsRoleName: {{.IAM.SecretsRoleName}}
  # Profile namespace whose default-editor service account gets the profile role.
  profileNamespace: {{.IAM.ProfileNamespace}}
`))

type starterView struct {
	*Config
	RDS struct {
		RDS
		MaxAllocatedStorage   int32
		BackupRetentionPeriod int32
		MultiAZ               bool
		DeletionProtection    bool
	}
}

// Starter returns the commented config file for c, which should be defaulted.
func Starter(c *Config) []byte {
	v := starterView{Config: c}
	v.RDS.RDS = c.RDS
	v.RDS.MaxAllocatedStorage = Value(c.RDS.MaxAllocatedStorage)
	v.RDS.BackupRetentionPeriod = Value(c.RDS.BackupRetentionPeriod)
	v.RDS.MultiAZ = Value(c.RDS.MultiAZ)
	v.RDS.DeletionProtection = Value(c.RDS.DeletionProtection)
	var b bytes.Buffer
	if err := starter.Execute(&b, v); err != nil {
		panic(err) // the template is fixed and its data always complete
	}
	return b.Bytes()
}
