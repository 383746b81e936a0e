// Package plantest gives tests of any package configurations and observed snapshots that, between them, make
// plan.Build take every branch that emits a step, so a test can hold plan and execute to the same list of kinds.
package plantest

import (
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

// Installation is the name of every scenario's installation.
const Installation = "prod"

// Scenario is one input to plan.Build.
type Scenario struct {
	Name     string
	Config   *config.Config
	Snapshot *observe.Snapshot
	Recorded state.State
}

// Config is a defaulted configuration in region; mutate changes it before defaults apply.
func Config(region string, mutate ...func(*config.Config)) *config.Config {
	c := config.New()
	c.Name, c.Region, c.Cluster, c.S3.Bucket = Installation, region, "prod", "prod-artifacts"
	for _, m := range mutate {
		m(c)
	}
	c.Default()
	return c
}

// Fresh is a cluster in region, in partition, with private subnets in three zones and nothing of kfaws's yet.
func Fresh(partition, region string) *observe.Snapshot {
	return &observe.Snapshot{
		Account: "123456789012", Partition: partition,
		Cluster: observe.Cluster{
			Name: "prod", Status: "ACTIVE", VPCID: "vpc-1", VPCCIDRs: []string{"10.0.0.0/16"},
			OIDCIssuer: "https://oidc.eks." + region + ".amazonaws.com/id/ABC", SecurityGroupID: "sg-cluster",
			Version: "1.33",
			Subnets: []observe.Subnet{
				{ID: "subnet-a1", AZ: region + "a", Private: true}, {ID: "subnet-b1", AZ: region + "b", Private: true},
				{ID: "subnet-c1", AZ: region + "c", Private: true}, {ID: "subnet-a2", AZ: region + "a"},
			},
		},
		CSIAddon:    observe.Addon{Offered: "v2.2.2-eksbuild.1"},
		PodIdentity: observe.PodIdentity{Agent: observe.Addon{Offered: "v1.3.10-eksbuild.3"}},
	}
}

var ours = observe.Presence{Exists: true, Installation: Installation}

// Drifted is Fresh with everything of kfaws's present but out of shape: an untagged bucket the state file
// records as kfaws's, a policy that grants something else, a parameter group and a security group missing their
// settings, roles without their permissions or trust, an instance still being created whose secret lacks the
// endpoint, and the CSI driver's add-on with secret syncing off.
func Drifted(partition, region string) (*observe.Snapshot, state.State) {
	s := Fresh(partition, region)
	s.OIDCProvider = observe.Presence{Exists: true}
	s.Bucket = observe.Bucket{Presence: observe.Presence{Exists: true}, Region: region}
	s.S3Policy = observe.Policy{Presence: ours} // its document grants nothing: updated
	s.BackendRole = observe.Role{Presence: ours}
	s.ProfileRole = observe.Role{Presence: ours}
	s.SecretsRole = observe.Role{Presence: ours}
	s.SubnetGroup = observe.SubnetGroup{Presence: ours, VPCID: "vpc-1", Subnets: []string{"subnet-a1", "subnet-b1"}}
	s.ParameterGroup = observe.ParameterGroup{Presence: ours, Family: "mysql8.4", Parameters: map[string]string{}}
	s.SecurityGroup = observe.SecurityGroup{Presence: ours, ID: "sg-db"}
	s.RDSSecret = observe.Secret{Presence: ours}
	s.Instance = observe.Instance{Presence: ours, Status: "creating"}
	s.CSIAddon = observe.Addon{Presence: ours, Version: "v2.2.2-eksbuild.1", Status: "ACTIVE", Offered: "v2.2.2-eksbuild.1"}
	return s, state.State{Resources: map[string]state.Resource{"s3/bucket": {ID: "prod-artifacts", Owned: true}}}
}

// DriftedInstance is Fresh with every RDS resource of kfaws's in place and an available instance whose settings
// differ from the configuration's.
func DriftedInstance(partition, region string) *observe.Snapshot {
	s := Fresh(partition, region)
	s.SubnetGroup = observe.SubnetGroup{Presence: ours, Name: "kubeflow-db-subnet-group", VPCID: "vpc-1", Subnets: []string{"subnet-a1", "subnet-b1"}}
	s.ParameterGroup = observe.ParameterGroup{Presence: ours, Name: "kubeflow-db-params", Family: "mysql8.4",
		Parameters: map[string]string{"authentication_policy": "*:mysql_native_password", "character_set_server": "utf8mb4", "require_secure_transport": "0"}}
	s.SecurityGroup = observe.SecurityGroup{Presence: ours, Name: "kubeflow-db-sg", ID: "sg-db", MySQLFrom: []string{"sg-cluster"}}
	s.RDSSecret = observe.Secret{Presence: ours, Complete: true}
	s.Instance = observe.Instance{Presence: ours, Status: "available", EngineVersion: "8.4.3",
		SubnetGroup: "kubeflow-db-subnet-group", ParameterGroups: []string{"kubeflow-db-params"}, SecurityGroups: []string{"sg-db"},
		Settings: observe.InstanceSettings{Class: "db.t3.micro", EngineVersion: "8.4.3", AllocatedStorage: 20,
			MaxAllocatedStorage: 1000, BackupRetention: 1, MultiAZ: false, DeletionProtection: false}}
	return s
}

// Scenarios are the inputs that, together, reach every step plan emits, in the standard partition.
func Scenarios() []Scenario { return ScenariosIn("aws", "us-west-2") }

// ScenariosIn are Scenarios in another partition and region.
func ScenariosIn(partition, region string) []Scenario {
	drifted, recorded := Drifted(partition, region)
	existingInstance := Fresh(partition, region)
	existingInstance.Instance = observe.Instance{Presence: observe.Presence{Exists: true}, Status: "backing-up"}
	return []Scenario{
		{Name: "fresh rds-s3 irsa", Config: Config(region), Snapshot: Fresh(partition, region)},
		{Name: "fresh rds-s3 static", Config: Config(region, func(c *config.Config) {
			c.S3.Credentials = config.CredentialsStatic
			c.S3.AccessKeyID, c.S3.SecretAccessKey = "AKIAEXAMPLE", "secret"
		}), Snapshot: Fresh(partition, region)},
		{Name: "fresh s3-only irsa", Config: Config(region, func(c *config.Config) { c.Option = config.OptionS3Only }),
			Snapshot: Fresh(partition, region)},
		{Name: "fresh rds-only", Config: Config(region, func(c *config.Config) { c.Option = config.OptionRDSOnly }),
			Snapshot: Fresh(partition, region)},
		{Name: "drifted", Config: Config(region), Snapshot: drifted, Recorded: recorded},
		{Name: "existing instance, password given", Config: Config(region, func(c *config.Config) { c.RDS.MasterPassword = "given" }),
			Snapshot: existingInstance},
		{Name: "drifted instance", Config: Config(region, func(c *config.Config) { c.Option = config.OptionRDSOnly }),
			Snapshot: DriftedInstance(partition, region)},
		{Name: "corrected password for an existing instance", Config: Config(region, func(c *config.Config) {
			c.Option, c.RDS.MasterPassword = config.OptionRDSOnly, "corrected-password"
		}), Snapshot: correctedPassword(partition, region)},
		{Name: "up again within a week of down", Config: Config(region, func(c *config.Config) {
			c.S3.Credentials = config.CredentialsStatic
		}), Snapshot: afterDown(partition, region)},
		{Name: "up from the final snapshot after down", Config: Config(region), Snapshot: fromSnapshot(partition, region)},
		{Name: "fresh rds-s3 pod-identity", Config: Config(region, PodIdentity), Snapshot: Fresh(partition, region)},
		{Name: "pod identity association moved to another role", Config: Config(region, PodIdentity),
			Snapshot: movedAssociation(partition, region)},
		{Name: "fresh with a key kfaws creates", Config: Config(region, createKey), Snapshot: Fresh(partition, region)},
		{Name: "up again within a week of down, with the key kfaws created", Config: Config(region, createKey),
			Snapshot: afterDownWithKey(partition, region)},
		{Name: "fresh rds-only, a database user per component", Config: Config(region, ComponentUsers), Snapshot: Fresh(partition, region)},
		{Name: "a password rotation an interrupted run began", Config: Config(region, ComponentUsers),
			Snapshot: RotationPending(partition, region), Recorded: ComponentUsersRecorded()},
	}
}

// ComponentUsers turns rds.componentUsers on, on the rds-only option.
func ComponentUsers(c *config.Config) { c.Option, c.RDS.ComponentUsers = config.OptionRDSOnly, &yes }

// componentIDs are the components with users of their own (dbusers.All, which plantest does not import).
var componentIDs = []string{"kfp-api", "kfp-cache", "mlmd", "katib"}

// ComponentUsersMade is DriftedInstance with every component's user made: its secret kfaws's and complete.
func ComponentUsersMade(partition, region string) *observe.Snapshot {
	s := DriftedInstance(partition, region)
	s.ComponentSecrets = map[string]observe.Secret{}
	for _, id := range componentIDs {
		s.ComponentSecrets[id] = observe.Secret{Presence: ours, Complete: true}
	}
	return s
}

// RotationPending is ComponentUsersMade with a new password staged AWSPENDING in the MLMD user's secret.
func RotationPending(partition, region string) *observe.Snapshot {
	s := ComponentUsersMade(partition, region)
	sec := s.ComponentSecrets["mlmd"]
	sec.Pending = "version-2"
	s.ComponentSecrets["mlmd"] = sec
	return s
}

// ComponentUsersRecorded is the state of an installation whose users (of the default rds.masterUsername) kfaws made.
func ComponentUsersRecorded() state.State {
	st := state.State{Resources: map[string]state.Resource{}}
	for _, id := range componentIDs {
		st.Resources["rds/user/"+id] = state.Resource{Kind: "MySQL user", ID: config.DefaultMasterUsername + "_" + strings.ReplaceAll(id, "-", "_"), Owned: true}
	}
	return st
}

// PodIdentity makes a configuration bind its roles through EKS Pod Identity.
func PodIdentity(c *config.Config) { c.Identity = config.IdentityPodIdentity }

// podIdentityAgent is the agent add-on of the installation, ACTIVE.
var podIdentityAgent = observe.Addon{Presence: ours, Version: "v1.3.10-eksbuild.3", Status: "ACTIVE", Offered: "v1.3.10-eksbuild.3"}

// movedAssociation is Fresh with the agent and the API server's association of the installation, which someone
// pointed at another role.
func movedAssociation(partition, region string) *observe.Snapshot {
	s := Fresh(partition, region)
	s.PodIdentity = observe.PodIdentity{Agent: podIdentityAgent, Associations: []observe.Association{{
		Presence: observe.Presence{Exists: true, Installation: Installation,
			ARN: "arn:" + partition + ":eks:" + region + ":123456789012:podidentityassociation/prod/a-0000000000000000a"},
		ID: "a-0000000000000000a", ServiceAccount: identity.ServiceAccount{Namespace: "kubeflow", Name: "ml-pipeline"},
		RoleARN: "arn:" + partition + ":iam::123456789012:role/someone-elses",
	}}}
	return s
}

func createKey(c *config.Config) { c.KMS.Key = config.KMSCreate }

// KeyARN is the ARN of the KMS key of the scenarios that have one.
func KeyARN(partition, region string) string {
	return "arn:" + partition + ":kms:" + region + ":123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}

// ownKey is the key kfaws created for the installation, in state (Enabled, PendingDeletion, ...).
func ownKey(partition, region, state string) observe.Key {
	return observe.Key{Presence: observe.Presence{Exists: true, Installation: Installation, ARN: KeyARN(partition, region)},
		Ref: observe.KMSAlias(Installation), ID: "1234abcd-12ab-34cd-56ef-1234567890ab", State: state, Spec: "SYMMETRIC_DEFAULT",
		Usage: "ENCRYPT_DECRYPT", Manager: "CUSTOMER", Aliases: []string{observe.KMSAlias(Installation)}}
}

// afterDownWithKey is afterDown with the key kfaws created scheduled for deletion, and its RDS secret on the AWS
// managed key (made before kms.key was set).
func afterDownWithKey(partition, region string) *observe.Snapshot {
	s := afterDown(partition, region)
	s.KMSKey = ownKey(partition, region, "PendingDeletion")
	return s
}

var yes = true

// FinalSnapshot is the name of the DB snapshot fromSnapshot restores.
const FinalSnapshot = "kubeflow-db-final-20260101-120000"

// fromSnapshot is afterDown with an available final snapshot of the instance to restore (kfaws up --from-snapshot).
func fromSnapshot(partition, region string) *observe.Snapshot {
	s := afterDown(partition, region)
	s.SourceSnapshot = observe.DBSnapshot{Name: FinalSnapshot, Exists: true, Status: "available", Engine: "mysql",
		EngineVersion: "8.4.3", MasterUsername: "admin", AllocatedStorage: 20, Instance: "kubeflow-db"}
	return s
}

// correctedPassword is DriftedInstance whose secret, kfaws's, holds another password than the one given.
func correctedPassword(partition, region string) *observe.Snapshot {
	s := DriftedInstance(partition, region)
	s.RDSSecret.PasswordDiffers = true
	s.Instance.Address, s.Instance.Port, s.Instance.MasterUsername = "db.example.internal", 3306, "admin"
	return s
}

// afterDown is Fresh with the secrets a teardown of the installation scheduled for deletion.
func afterDown(partition, region string) *observe.Snapshot {
	s := Fresh(partition, region)
	s.RDSSecret = observe.Secret{Presence: ours, Deleted: true, Complete: true}
	s.S3Secret = observe.Secret{Presence: ours, Deleted: true, Complete: true}
	return s
}

// Everything is Fresh with every resource of the configuration present and tagged as the installation's, a
// static-keys secret included, and a security group kfaws created under a name the configuration no longer gives,
// which the state records.
func Everything(partition, region string) (*observe.Snapshot, state.State) {
	s := DriftedInstance(partition, region)
	s.OIDCProvider = observe.Presence{Exists: true}
	s.Bucket = observe.Bucket{Presence: ours, Region: region}
	s.S3Secret = observe.Secret{Presence: ours, Complete: true}
	s.S3Policy = observe.Policy{Presence: ours}
	s.BackendRole, s.ProfileRole, s.SecretsRole = observe.Role{Presence: ours}, observe.Role{Presence: ours}, observe.Role{Presence: ours}
	s.CSIAddon = observe.Addon{Presence: ours, Version: "v2.2.2-eksbuild.1", Status: "ACTIVE", Offered: "v2.2.2-eksbuild.1"}
	s.Recorded = map[string]observe.Presence{"rds/security-group@old-db-sg": {Exists: true, Installation: Installation}}
	return s, state.State{Resources: map[string]state.Resource{
		"rds/security-group@old-db-sg": {Kind: "security group", ID: "old-db-sg", ARN: "sg-old", Owned: true},
	}}
}

// Teardown is one input to plan.BuildDown; its options are the ones that emit every delete step.
type Teardown struct {
	Scenario
	DeleteData    bool
	FinalSnapshot string
}

// Teardowns are the inputs that, together, reach every step plan.BuildDown emits.
func Teardowns(partition, region string) []Teardown {
	everything, recorded := Everything(partition, region)
	pi := movedAssociation(partition, region)
	pi.SecretsRole = observe.Role{Presence: ours}
	withKey, _ := Everything(partition, region)
	withKey.KMSKey = ownKey(partition, region, "Enabled")
	return []Teardown{{
		Scenario:   Scenario{Name: "down everything, data included", Config: Config(region), Snapshot: everything, Recorded: recorded},
		DeleteData: true, FinalSnapshot: Installation + "-final",
	}, {
		Scenario: Scenario{Name: "down pod-identity", Config: Config(region, PodIdentity), Snapshot: pi},
	}, {
		Scenario:   Scenario{Name: "down with the key kfaws created, no data kept", Config: Config(region, createKey), Snapshot: withKey},
		DeleteData: true,
	}}
}
