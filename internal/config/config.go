// Package config holds kfaws's versioned configuration file format, its defaults and its validation.
//
// One Config describes one installation: the EKS cluster it serves, the deployment option, and the names and
// settings of the AWS resources (S3, RDS, Secrets Manager, IAM) that back Kubeflow Pipelines and Katib.
package config

// APIVersion and Kind identify the file format; Load refuses any other pair.
const (
	APIVersion = "kfaws.dev/v1alpha1"
	Kind       = "Installation"
)

// Option is what kfaws moves out of the cluster.
type Option string

// The three deployment options of the reference setup.
const (
	OptionRDSS3   Option = "rds-s3"
	OptionRDSOnly Option = "rds-only"
	OptionS3Only  Option = "s3-only"
)

// Options lists every valid Option, in the order --help shows them.
var Options = []Option{OptionRDSS3, OptionRDSOnly, OptionS3Only}

// UsesRDS reports whether the option puts the databases on RDS.
func (o Option) UsesRDS() bool { return o == OptionRDSS3 || o == OptionRDSOnly }

// UsesS3 reports whether the option puts the object store on S3.
func (o Option) UsesS3() bool { return o == OptionRDSS3 || o == OptionS3Only }

// StaticS3 reports whether KFP reaches S3 with static keys (kept in Secrets Manager) under option o and mode m.
func StaticS3(o Option, m CredentialMode) bool { return o.UsesS3() && m == CredentialsStatic }

// SyncsSecrets reports whether a Secrets Manager secret must reach the cluster under option o and mode m: the
// RDS secret, or the static S3 keys. Then the secrets role, the SecretProviderClasses and the Secrets Store CSI
// driver are needed.
func SyncsSecrets(o Option, m CredentialMode) bool { return o.UsesRDS() || StaticS3(o, m) }

// CSIDriver is how the Secrets Store CSI driver and its AWS provider are installed.
type CSIDriver string

// The ways to install the driver.
const (
	// CSIAuto uses the EKS add-on where EKS offers it for the cluster's Kubernetes version (kfaws up creates it),
	// else the manifests kfaws carries (kfaws apply installs them).
	CSIAuto CSIDriver = "auto"
	// CSIAddon requires the EKS add-on.
	CSIAddon CSIDriver = "eks-addon"
	// CSIManifests installs the manifests kfaws carries.
	CSIManifests CSIDriver = "manifests"
	// CSISkip leaves the driver to the user.
	CSISkip CSIDriver = "skip"
)

// CSIDrivers lists every valid CSIDriver.
var CSIDrivers = []CSIDriver{CSIAuto, CSIAddon, CSIManifests, CSISkip}

// UsesAddon reports whether the driver may come from the EKS add-on.
func (d CSIDriver) UsesAddon() bool { return d == CSIAuto || d == CSIAddon }

// Identity is how the cluster's service accounts assume the IAM roles kfaws creates.
type Identity string

// The two bindings.
const (
	// IdentityIRSA binds through the cluster's OIDC issuer (an IAM OIDC provider) and ServiceAccount annotations.
	IdentityIRSA Identity = "irsa"
	// IdentityPodIdentity binds through EKS Pod Identity: roles trust pods.eks.amazonaws.com, EKS associations
	// name the service accounts, and the EKS Pod Identity Agent add-on hands out the credentials.
	IdentityPodIdentity Identity = "pod-identity"
)

// Identities lists every valid Identity.
var Identities = []Identity{IdentityIRSA, IdentityPodIdentity}

// CredentialMode is how KFP's workloads authenticate to S3.
type CredentialMode string

// The two S3 credential modes of the reference setup.
const (
	// CredentialsIRSA gives KFP's service accounts IAM roles, bound as Config.Identity says (the name predates
	// Pod Identity: it means "roles", not "IRSA").
	CredentialsIRSA CredentialMode = "irsa"
	// CredentialsStatic stores an IAM user's long-term keys in a Secrets Manager secret.
	CredentialsStatic CredentialMode = "static"
)

// CredentialModes lists every valid CredentialMode.
var CredentialModes = []CredentialMode{CredentialsIRSA, CredentialsStatic}

// Config is the kfaws.yaml file. Field names are the YAML keys.
type Config struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`

	// Name identifies this installation in resource tags and the state file.
	Name string `json:"name"`
	// Region is the AWS region of the cluster and of every resource kfaws creates.
	Region string `json:"region"`
	// Cluster is the name of the EKS cluster Kubeflow runs on.
	Cluster string `json:"cluster"`
	// Option chooses what moves out of the cluster.
	Option Option `json:"option"`
	// CSIDriver is how the Secrets Store CSI driver gets onto the cluster, when the option syncs secrets.
	CSIDriver CSIDriver `json:"csiDriver,omitempty"`
	// Identity binds every role kfaws creates to its service account: irsa (default) or pod-identity.
	Identity Identity `json:"identity,omitempty"`
	// StateFile is where kfaws records what it created; relative paths are relative to the config file.
	StateFile string `json:"stateFile,omitempty"`

	S3  S3  `json:"s3"`
	RDS RDS `json:"rds"`
	IAM IAM `json:"iam"`
	KMS KMS `json:"kms"`

	// sources records where each given field's value came from (see Given); Default fills only the others.
	sources map[string]Source
	// masterPasswordSet is true when KFAWS_DB_MASTER_PASSWORD is set, even to nothing.
	masterPasswordSet bool
}

// S3 configures the artifact bucket and how KFP reaches it.
type S3 struct {
	// Bucket is the S3 bucket name.
	Bucket string `json:"bucket"`
	// Credentials is irsa or static.
	Credentials CredentialMode `json:"credentials"`
	// SecretName is the Secrets Manager secret holding static keys (static mode only).
	SecretName string `json:"secretName"`
	// RequireTLS puts a statement denying every request made without TLS into the policy of a bucket kfaws
	// created; false takes it out again. A bucket kfaws did not create is never changed.
	RequireTLS *bool `json:"requireTLS,omitempty"`
	// AccessKeyID and SecretAccessKey are never read from the file: they come from the environment
	// (KFAWS_S3_ACCESS_KEY_ID, KFAWS_S3_SECRET_ACCESS_KEY) so the file can be committed.
	AccessKeyID     string `json:"-"`
	SecretAccessKey string `json:"-"`
}

// RDS configures the MySQL instance and everything around it.
type RDS struct {
	InstanceName     string `json:"instanceName"`
	DatabaseName     string `json:"databaseName"`
	MasterUsername   string `json:"masterUsername"`
	InstanceClass    string `json:"instanceClass"`
	EngineVersion    string `json:"engineVersion"`
	AllocatedStorage int32  `json:"allocatedStorage"`
	// MaxAllocatedStorage is the storage autoscaling ceiling in GiB; 0 turns autoscaling off.
	MaxAllocatedStorage *int32 `json:"maxAllocatedStorage,omitempty"`
	// BackupRetentionPeriod is in days; 0 turns automated backups off.
	BackupRetentionPeriod *int32 `json:"backupRetentionPeriod,omitempty"`
	StorageType           string `json:"storageType"`
	MultiAZ               *bool  `json:"multiAZ,omitempty"`
	DeletionProtection    *bool  `json:"deletionProtection,omitempty"`
	SubnetGroupName       string `json:"subnetGroupName"`
	ParameterGroupName    string `json:"parameterGroupName"`
	// SecurityGroupName is the security group kfaws creates for the instance.
	SecurityGroupName string `json:"securityGroupName"`
	// SecurityGroupID brings an existing security group instead of creating one.
	SecurityGroupID string `json:"securityGroupID,omitempty"`
	SecretName      string `json:"secretName"`
	// ComponentUsers gives KFP's API server, its cache server, MLMD and Katib each a MySQL user of its own,
	// granted only its own database, instead of all of them logging in as the master user.
	ComponentUsers *bool `json:"componentUsers,omitempty"`
	// MasterPassword is never read from the file: it comes from KFAWS_DB_MASTER_PASSWORD or is generated.
	MasterPassword string `json:"-"`
}

// IAM names the roles and policies kfaws creates for IRSA.
type IAM struct {
	// BackendRoleName is assumed by kubeflow/ml-pipeline (irsa mode).
	BackendRoleName string `json:"backendRoleName"`
	// ProfileRoleName is assumed by ProfileNamespace/default-editor, and by every profile's under pod-identity;
	// under irsa the other profiles each assume a role of their own (ProfileRoleFor).
	ProfileRoleName string `json:"profileRoleName"`
	// S3PolicyName is the least-privilege policy on the bucket attached to both roles (irsa mode).
	S3PolicyName string `json:"s3PolicyName"`
	// SecretsRoleName is assumed by kubeflow/kubeflow-secrets-manager-sa to read the secrets.
	SecretsRoleName string `json:"secretsRoleName"`
	// ProfileNamespace is a profile namespace that gets S3 access even when the cluster cannot be read; the
	// cluster's other profiles get theirs when up finds them.
	ProfileNamespace string `json:"profileNamespace"`
}

// KMS chooses the customer managed KMS key that encrypts the bucket, the DB instance's storage and the secrets.
type KMS struct {
	// Key is an existing key (its ARN, key id, alias/NAME or alias ARN), KMSCreate for a key kfaws creates, or
	// "" for AWS's keys (SSE-S3, RDS's and Secrets Manager's AWS managed keys).
	Key string `json:"key,omitempty"`
}

// KMSCreate as kms.key asks kfaws to create the key (and delete it on kfaws down).
const KMSCreate = "create"

// CreatesKey reports whether kfaws creates the KMS key.
func (k KMS) CreatesKey() bool { return k.Key == KMSCreate }

// Value returns *p, or the zero value when p is nil.
func Value[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// UsesComponentUsers reports whether each Kubeflow component logs in to RDS as a user of its own
// (rds.componentUsers on an option that puts the databases on RDS).
func (c *Config) UsesComponentUsers() bool {
	return c.Option.UsesRDS() && Value(c.RDS.ComponentUsers)
}
