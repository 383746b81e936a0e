// Package observe reads the AWS state that the plan decides on. It only reads: no call here changes anything.
package observe

// Snapshot is what kfaws knows about AWS before it plans.
type Snapshot struct {
	Account string
	// Partition is the caller identity's partition (arn.Partition).
	Partition string
	Cluster   Cluster

	Bucket         Bucket
	S3Secret       Secret
	RDSSecret      Secret
	Instance       Instance
	SubnetGroup    SubnetGroup
	ParameterGroup ParameterGroup
	SecurityGroup  SecurityGroup
	OIDCProvider   Presence
	S3Policy       Presence
	BackendRole    Role
	ProfileRole    Role
	SecretsRole    Role
	// CSIAddon is the Secrets Store CSI driver's EKS add-on, observed when the driver may come from it.
	CSIAddon Addon
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
}

// Secret is a Secrets Manager secret; its value is never read here.
type Secret struct {
	Presence
	// Deleted is true when the secret is scheduled for deletion and its name cannot be reused until then.
	Deleted bool
	// Complete is true when kfaws has written the whole value (for the RDS secret: with the endpoint).
	Complete bool
}

// Instance is the RDS DB instance.
type Instance struct {
	Presence
	Status         string
	EngineVersion  string
	Address        string
	Port           int32
	DBName         string
	MasterUsername string
}

// SubnetGroup is the DB subnet group.
type SubnetGroup struct {
	Presence
	VPCID   string
	Subnets []string
}

// ParameterGroup is the DB parameter group and the user-set parameters kfaws cares about.
type ParameterGroup struct {
	Presence
	Family     string
	Parameters map[string]string
}

// SecurityGroup is the DB security group.
type SecurityGroup struct {
	Presence
	ID string
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
	TrustPolicy      string
}
