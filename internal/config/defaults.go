package config

import "github.com/kfaws/kfaws/internal/kubeflow"

// Defaults of the reference setup script, kept where they are not a deliberate improvement.
const (
	DefaultDatabaseName          = "kubeflow"
	DefaultMasterUsername        = "admin"
	DefaultInstanceName          = "kubeflow-db"
	DefaultInstanceClass         = "db.m5.large"
	DefaultEngineVersion         = "8.4"
	DefaultAllocatedStorage      = 50
	DefaultMaxAllocatedStorage   = 1000
	DefaultBackupRetentionPeriod = 7
	DefaultStorageType           = "gp2"
	DefaultSubnetGroupName       = "kubeflow-db-subnet-group"
	DefaultRDSSecretName         = "rds-secret"
	DefaultS3SecretName          = "s3-secret"
	DefaultProfileNamespace      = kubeflow.DefaultProfile
	DefaultOption                = OptionRDSS3
	DefaultCredentials           = CredentialsIRSA
)

// New returns a Config with only the format fields set; Default fills the rest.
func New() *Config {
	return &Config{APIVersion: APIVersion, Kind: Kind}
}

// Default fills every empty field with its default. Names derived from Name and Cluster are derived here too, so
// Default must run after flags and environment have been applied.
func (c *Config) Default() {
	setString(&c.APIVersion, APIVersion)
	setString(&c.Kind, Kind)
	setString(&c.Name, c.Cluster)
	if c.Option == "" {
		c.Option = DefaultOption
	}
	if c.S3.Credentials == "" {
		c.S3.Credentials = DefaultCredentials
	}
	if c.CSIDriver == "" {
		c.CSIDriver = CSIAuto
	}
	setString(&c.S3.SecretName, DefaultS3SecretName)

	r := &c.RDS
	setString(&r.InstanceName, DefaultInstanceName)
	setString(&r.DatabaseName, DefaultDatabaseName)
	setString(&r.MasterUsername, DefaultMasterUsername)
	setString(&r.InstanceClass, DefaultInstanceClass)
	setString(&r.EngineVersion, DefaultEngineVersion)
	setInt(&r.AllocatedStorage, DefaultAllocatedStorage)
	setPtr(&r.MaxAllocatedStorage, DefaultMaxAllocatedStorage)
	setPtr(&r.BackupRetentionPeriod, DefaultBackupRetentionPeriod)
	setString(&r.StorageType, DefaultStorageType)
	setString(&r.SubnetGroupName, DefaultSubnetGroupName)
	setString(&r.ParameterGroupName, r.InstanceName+"-params")
	setString(&r.SecurityGroupName, r.InstanceName+"-sg")
	setString(&r.SecretName, DefaultRDSSecretName)
	setPtr(&r.MultiAZ, true)
	setPtr(&r.DeletionProtection, true)

	// IAM names are account-wide, so they carry the installation name to let several clusters share an account.
	i := &c.IAM
	setString(&i.BackendRoleName, iamName(c.Name, "kfp-backend"))
	setString(&i.ProfileRoleName, iamName(c.Name, "kfp-profile"))
	setString(&i.S3PolicyName, iamName(c.Name, "kfp-s3"))
	setString(&i.SecretsRoleName, iamName(c.Name, "secrets-reader"))
	setString(&i.ProfileNamespace, DefaultProfileNamespace)
}

// iamName builds "kfaws-NAME-SUFFIX", shortening NAME so the result fits IAM's 64-character role name limit.
func iamName(name, suffix string) string {
	const limit = 64
	room := limit - len("kfaws--") - len(suffix)
	if len(name) > room {
		name = name[:room]
	}
	return "kfaws-" + name + "-" + suffix
}

func setString(p *string, def string) {
	if *p == "" {
		*p = def
	}
}

func setInt(p *int32, def int32) {
	if *p == 0 {
		*p = def
	}
}

func setPtr[T any](p **T, def T) {
	if *p == nil {
		*p = &def
	}
}
