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

// Default fills every field that was not given with its default. A given field keeps its value even when it is
// zero or empty (`allocatedStorage: 0`, `--db-allocated-storage 0`), so Validate judges what the user wrote.
// Names derived from Name, Cluster and the instance name are derived here too, so Default must run after flags
// and environment have been applied.
func (c *Config) Default() {
	defaultTo(c, "apiVersion", &c.APIVersion, APIVersion)
	defaultTo(c, "kind", &c.Kind, Kind)
	defaultTo(c, "name", &c.Name, c.Cluster)
	defaultTo(c, "option", &c.Option, DefaultOption)
	defaultTo(c, "s3.credentials", &c.S3.Credentials, DefaultCredentials)
	defaultTo(c, "csiDriver", &c.CSIDriver, CSIAuto)
	defaultTo(c, "identity", &c.Identity, IdentityIRSA)
	defaultTo(c, "s3.secretName", &c.S3.SecretName, DefaultS3SecretName)
	setPtr(&c.S3.RequireTLS, true)

	r := &c.RDS
	defaultTo(c, "rds.instanceName", &r.InstanceName, DefaultInstanceName)
	defaultTo(c, "rds.databaseName", &r.DatabaseName, DefaultDatabaseName)
	defaultTo(c, "rds.masterUsername", &r.MasterUsername, DefaultMasterUsername)
	defaultTo(c, "rds.instanceClass", &r.InstanceClass, DefaultInstanceClass)
	defaultTo(c, "rds.engineVersion", &r.EngineVersion, DefaultEngineVersion)
	defaultTo(c, "rds.allocatedStorage", &r.AllocatedStorage, DefaultAllocatedStorage)
	setPtr(&r.MaxAllocatedStorage, DefaultMaxAllocatedStorage)
	setPtr(&r.BackupRetentionPeriod, DefaultBackupRetentionPeriod)
	defaultTo(c, "rds.storageType", &r.StorageType, DefaultStorageType)
	defaultTo(c, "rds.subnetGroupName", &r.SubnetGroupName, DefaultSubnetGroupName)
	defaultTo(c, "rds.parameterGroupName", &r.ParameterGroupName, r.InstanceName+"-params")
	defaultTo(c, "rds.securityGroupName", &r.SecurityGroupName, r.InstanceName+"-sg")
	defaultTo(c, "rds.secretName", &r.SecretName, DefaultRDSSecretName)
	setPtr(&r.MultiAZ, true)
	setPtr(&r.DeletionProtection, true)
	setPtr(&r.ComponentUsers, false)

	// IAM names are account-wide, so they carry the installation name to let several clusters share an account.
	i := &c.IAM
	defaultTo(c, "iam.backendRoleName", &i.BackendRoleName, iamName(c.Name, "kfp-backend"))
	defaultTo(c, "iam.profileRoleName", &i.ProfileRoleName, iamName(c.Name, "kfp-profile"))
	defaultTo(c, "iam.s3PolicyName", &i.S3PolicyName, iamName(c.Name, "kfp-s3"))
	defaultTo(c, "iam.secretsRoleName", &i.SecretsRoleName, iamName(c.Name, "secrets-reader"))
	defaultTo(c, "iam.profileNamespace", &i.ProfileNamespace, DefaultProfileNamespace)
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

// defaultTo sets *p to def when field was not given and *p is still zero (a library caller may set fields
// without recording a source; for those, zero means unset as before).
func defaultTo[T comparable](c *Config, field string, p *T, def T) {
	var zero T
	if *p == zero && !c.Given(field) {
		*p = def
	}
}

// setPtr sets a field whose nil already means "not given".
func setPtr[T any](p **T, def T) {
	if *p == nil {
		*p = &def
	}
}
