// Package observe reads the AWS state that the plan decides on. It only reads: no call here changes anything.
package observe

// Snapshot is what kfaws knows about AWS before it plans.
type Snapshot struct {
	Account string
	// Partition is the caller identity's partition (arn.Partition).
	Partition string
	Cluster   Cluster

	Bucket    Bucket
	S3Secret  Secret
	RDSSecret Secret
	// ComponentSecrets are the secrets of the components' own database users, by component ID (dbusers).
	ComponentSecrets map[string]Secret
	Instance         Instance
	SubnetGroup      SubnetGroup
	ParameterGroup   ParameterGroup
	SecurityGroup    SecurityGroup
	// SourceSnapshot is the DB snapshot up was asked to restore the instance from; its Name is "" when none was.
	SourceSnapshot DBSnapshot
	OIDCProvider   Presence
	S3Policy       Policy
	BackendRole    Role
	ProfileRole    Role
	SecretsRole    Role
	// ProfileRoles are the IRSA roles of profile namespaces other than iam.profileNamespace, by role name
	// (Observer.ProfileRoles).
	ProfileRoles map[string]Role
	// Profiles are the cluster's profile namespaces (Observer.Profiles).
	Profiles Profiles
	// CSIAddon is the Secrets Store CSI driver's EKS add-on, observed when the driver may come from it.
	CSIAddon Addon
	// PodIdentity is the Pod Identity Agent add-on and the cluster's associations, observed when the
	// configuration binds roles through EKS Pod Identity or the state records associations.
	PodIdentity PodIdentity
	// KMSKey is the key kms.key names (for create, the alias kfaws gives its key), or the one the state records.
	KMSKey Key
	// Recorded are the resources of Observer.Recorded, by their Key; one that does not exist is absent.
	Recorded map[string]Presence
}

// Presence is what every observed resource has: whether it exists, whom it belongs to, and its ARN or id.
type Presence struct {
	Exists bool
	// Installation is the value of the kfaws installation tag (ownership.TagInstallation), "" for a resource
	// kfaws did not tag.
	Installation string
	ARN          string
}

// Cluster is the EKS cluster and the network it runs in.
type Cluster struct {
	Name       string
	Status     string
	Version    string
	VPCID      string
	VPCCIDRs   []string
	OIDCIssuer string
	// Endpoint is the cluster's Kubernetes API server URL.
	Endpoint string
	// SecurityGroupID is the cluster security group EKS creates; "" on clusters (and emulators) that have none.
	SecurityGroupID string
	// ControlPlaneSecurityGroups are the additional security groups given at cluster creation.
	ControlPlaneSecurityGroups []string
	Subnets                    []Subnet
}

// Subnet is one of the cluster's subnets.
type Subnet struct {
	ID   string
	AZ   string
	CIDR string
	// Private is true when the subnet's route table has no route to an internet gateway.
	Private bool
	// RouteTable is the table that decided Private: the subnet's own or the VPC's main table.
	RouteTable string
}

// Bucket is the S3 bucket.
type Bucket struct {
	Presence
	// Foreign is true when the bucket exists but this account may not use it (another owner).
	Foreign bool
	Region  string
	// PublicAccessBlocked is true when all four public access block settings are on.
	PublicAccessBlocked bool
	Encrypted           bool
	// KMSKey is the key of its SSE-KMS default encryption as S3 reports it (an ARN, id or alias); "" for SSE-S3.
	KMSKey string
	// Policy is the bucket policy document, "" when the bucket has none.
	Policy string
}

// Secret is a Secrets Manager secret. Its value is read only to compare the RDS secret's password with a given
// one, and never kept.
type Secret struct {
	Presence
	// Deleted is true when the secret is scheduled for deletion and its name cannot be reused until then.
	Deleted bool
	// Complete is true when kfaws has written the whole value (for the RDS secret: with the endpoint).
	Complete bool
	// KMSKey is the key that encrypts it as Secrets Manager reports it; "" for the AWS managed key.
	KMSKey string
	// PasswordDiffers is true for the RDS secret when KFAWS_DB_MASTER_PASSWORD is given and the secret does not
	// hold that password (another one, or none); false when none is given.
	PasswordDiffers bool
	// Pending is the version staged AWSPENDING: a password rotation kfaws began and did not finish (the version
	// may already be AWSCURRENT when only the last stage move is missing); "" for none.
	Pending string
}

// Instance is the RDS DB instance.
type Instance struct {
	Presence
	Status         string
	Engine         string
	EngineVersion  string
	Address        string
	Port           int32
	DBName         string
	MasterUsername string
	// Settings are what the instance will run with: its settings with RDS's pending modifications applied.
	Settings InstanceSettings
	// Pending describes the modifications RDS holds for the next maintenance window, e.g. "instance class db.m5.xlarge".
	Pending []string
	// SubnetGroup and ParameterGroups name the instance's groups; SecurityGroups are the ids of its VPC
	// security groups.
	SubnetGroup     string
	ParameterGroups []string
	SecurityGroups  []string
	// StorageEncrypted and KMSKey (the key's ARN) are how its storage is encrypted.
	StorageEncrypted bool
	KMSKey           string
}

// InstanceSettings are the settings of an instance kfaws keeps as the configuration says.
type InstanceSettings struct {
	Class         string
	EngineVersion string
	// AllocatedStorage and MaxAllocatedStorage are in GiB; MaxAllocatedStorage is 0 without storage autoscaling.
	AllocatedStorage    int32
	MaxAllocatedStorage int32
	BackupRetention     int32
	MultiAZ             bool
	DeletionProtection  bool
}

// SubnetGroup is the DB subnet group.
type SubnetGroup struct {
	Presence
	Name    string
	VPCID   string
	Subnets []string
	// Public are those of its subnets whose route table routes to an internet gateway.
	Public []string
}

// ParameterGroup is the DB parameter group and the user-set parameters kfaws cares about.
type ParameterGroup struct {
	Presence
	Name       string
	Family     string
	Parameters map[string]string
}

// SecurityGroup is the DB security group: kfaws's by name, the one the configuration brings, or those of an
// existing instance (then ID is the first and IDs all of them, and MySQLFrom what any of them admits).
type SecurityGroup struct {
	Presence
	Name string
	ID   string
	IDs  []string
	// VPCID is set only when the group is in a VPC other than the cluster's.
	VPCID string
	// MySQLFrom lists the sources (security group ids or CIDRs) admitted on port 3306.
	MySQLFrom []string
}

// Role is an IAM role.
type Role struct {
	Presence
	// AttachedPolicies are the ARNs of its managed policies; InlinePolicies the names of its inline ones.
	AttachedPolicies []string
	InlinePolicies   []string
	// InlineDocuments are the inline policies' documents, by name.
	InlineDocuments map[string]string
	TrustPolicy     string
}

// Policy is a customer managed IAM policy.
type Policy struct {
	Presence
	// Document is its default version's document.
	Document string
}

// ResourceType says which AWS API reads a Recorded resource.
type ResourceType string

// The types of resource a state file records under a name.
const (
	TypeBucket         ResourceType = "bucket"
	TypeSecret         ResourceType = "secret"
	TypePolicy         ResourceType = "policy"
	TypeRole           ResourceType = "role"
	TypeSubnetGroup    ResourceType = "subnet-group"
	TypeParameterGroup ResourceType = "parameter-group"
	TypeSecurityGroup  ResourceType = "security-group"
	TypeInstance       ResourceType = "instance"
)

// Recorded is a resource the state file records, to be looked at by its recorded name (or ARN, for a policy;
// id, for a security group) rather than by the configuration.
type Recorded struct {
	Key     string
	Type    ResourceType
	ID, ARN string
}

// Profiles are the profile namespaces found in the cluster: namespaces where KFP runs pipelines.
type Profiles struct {
	// Discovered is false when the cluster was not read (no cluster given, or it could not be reached): then
	// Namespaces is empty and the plan keeps the profiles the state records.
	Discovered bool
	Namespaces []string
	// Host is the API server the profiles were read from.
	Host string
	// Why says why the cluster was not read, for the plan's note.
	Why string
}
