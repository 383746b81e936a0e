package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

func testConfig() *config.Config {
	c := config.New()
	c.Name, c.Region, c.Cluster, c.S3.Bucket = "prod", "us-west-2", "prod", "prod-artifacts"
	c.Default()
	return c
}

// freshSnapshot is a cluster with private subnets in three zones and nothing of kfaws's yet.
func freshSnapshot() *observe.Snapshot {
	return &observe.Snapshot{
		Account: "123456789012", Partition: "aws",
		Cluster: observe.Cluster{
			Name: "prod", Status: "ACTIVE", VPCID: "vpc-1", VPCCIDRs: []string{"10.0.0.0/16"},
			OIDCIssuer: "https://oidc.eks.us-west-2.amazonaws.com/id/ABC", SecurityGroupID: "sg-cluster",
			Version: "1.33",
			Subnets: []observe.Subnet{
				{ID: "subnet-a1", AZ: "us-west-2a", Private: true}, {ID: "subnet-b1", AZ: "us-west-2b", Private: true},
				{ID: "subnet-c1", AZ: "us-west-2c", Private: true}, {ID: "subnet-a2", AZ: "us-west-2a"},
			},
		},
		// EKS offers the CSI driver's add-on for the cluster's version, as it does for current versions.
		CSIAddon: observe.Addon{Offered: "v2.2.2-eksbuild.1"},
	}
}

func owned(name string) observe.Presence { return observe.Presence{Exists: true, Installation: name} }

var untagged = observe.Presence{Exists: true}

func TestFreshPlanCreatesEverythingWithRDSLast(t *testing.T) {
	p, err := Build(testConfig(), freshSnapshot(), state.State{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Resources {
		if r.Action != Create || !r.Owned {
			t.Errorf("%s: %s owned=%t, want an owned create", r.Key, r.Action, r.Owned)
		}
	}
	if got := strings.Join(p.DBSubnets, ","); got != "subnet-a1,subnet-b1,subnet-c1" {
		t.Errorf("DB subnets %s, want only the private ones", got)
	}
	if strings.Join(p.DBIngress, ",") != "sg-cluster" || len(p.Warnings) != 0 {
		t.Errorf("ingress %v warnings %v", p.DBIngress, p.Warnings)
	}
	after := map[string][]string{}
	for _, s := range p.Steps {
		after[s.ID] = s.After
	}
	want := []string{"rds/parameter-group:create", "rds/secret:create", "rds/security-group:create", "rds/subnet-group:create"}
	if got := strings.Join(sorted(after["rds/instance:create"]), ","); got != strings.Join(want, ",") {
		t.Errorf("instance waits for %s, want %s", got, strings.Join(want, ","))
	}
	if len(after["s3/bucket:create"]) != 0 || len(after["rds/secret:create"]) != 0 {
		t.Error("bucket and secret creation must not wait for anything")
	}
}

func TestPrivateSubnetsInOneZoneIsPreflightError(t *testing.T) {
	s := freshSnapshot()
	s.Cluster.Subnets = []observe.Subnet{{ID: "subnet-a1", AZ: "us-west-2a", Private: true}, {ID: "subnet-b2", AZ: "us-west-2b"}}
	_, err := Build(testConfig(), s, state.State{})
	var pe *PreflightError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "at least two availability zones") {
		t.Fatalf("got %v", err)
	}
	// An existing subnet group needs no subnets of its own.
	s.SubnetGroup = observe.SubnetGroup{Presence: untagged, VPCID: "vpc-1"}
	if _, err := Build(testConfig(), s, state.State{}); err != nil {
		t.Errorf("with an existing subnet group: %v", err)
	}
}

func TestNoOIDCIssuerIsPreflightError(t *testing.T) {
	s := freshSnapshot()
	s.Cluster.OIDCIssuer = ""
	if _, err := Build(testConfig(), s, state.State{}); err == nil || !strings.Contains(err.Error(), "OIDC issuer") {
		t.Fatalf("got %v", err)
	}
}

func TestNoClusterSecurityGroupAdmitsVPCWithWarning(t *testing.T) {
	s := freshSnapshot()
	s.Cluster.SecurityGroupID = ""
	p, err := Build(testConfig(), s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.DBIngress, ",") != "10.0.0.0/16" || len(p.Warnings) != 1 {
		t.Errorf("ingress %v warnings %v", p.DBIngress, p.Warnings)
	}
}

func TestDecisions(t *testing.T) {
	cases := []struct {
		name     string
		mutate   func(*config.Config, *observe.Snapshot)
		recorded state.State
		key      string
		want     Action
		detail   string
	}{
		{"secret of an interrupted run is reused", func(c *config.Config, s *observe.Snapshot) {
			s.RDSSecret.Presence = owned("prod")
		}, state.State{}, KeyRDSSecret, Exists, "password is reused"},
		{"foreign secret without instance", func(c *config.Config, s *observe.Snapshot) {
			s.RDSSecret.Presence = untagged
		}, state.State{}, KeyRDSSecret, Conflict, "will not overwrite"},
		{"secret kfaws down scheduled for deletion is restored", func(c *config.Config, s *observe.Snapshot) {
			s.RDSSecret = observe.Secret{Presence: owned("prod"), Deleted: true}
		}, state.State{}, KeyRDSSecret, Update, "password is reused"},
		{"someone else's secret scheduled for deletion", func(c *config.Config, s *observe.Snapshot) {
			s.RDSSecret = observe.Secret{Presence: untagged, Deleted: true}
		}, state.State{}, KeyRDSSecret, Conflict, "restore-secret"},
		{"instance without secret", func(c *config.Config, s *observe.Snapshot) {
			s.Instance = observe.Instance{Presence: untagged, Status: "available"}
		}, state.State{}, KeyInstance, Conflict, config.EnvDBMasterPassword},
		{"instance without secret, password given", func(c *config.Config, s *observe.Snapshot) {
			s.Instance = observe.Instance{Presence: untagged, Status: "available"}
			c.RDS.MasterPassword = "given"
		}, state.State{}, KeyRDSSecret, Create, config.EnvDBMasterPassword},
		{"user's instance and secret are reused", func(c *config.Config, s *observe.Snapshot) {
			s.Instance = observe.Instance{Presence: untagged, Status: "available"}
			s.RDSSecret = observe.Secret{Presence: untagged}
		}, state.State{}, KeyInstance, Exists, "never changed or deleted"},
		{"failed instance", func(c *config.Config, s *observe.Snapshot) {
			s.Instance = observe.Instance{Presence: owned("prod"), Status: "failed"}
			s.RDSSecret = observe.Secret{Presence: owned("prod")}
		}, state.State{}, KeyInstance, Conflict, "is failed"},
		{"secret without endpoint is completed", func(c *config.Config, s *observe.Snapshot) {
			s.Instance = observe.Instance{Presence: owned("prod"), Status: "available"}
			s.RDSSecret = observe.Secret{Presence: owned("prod")}
		}, state.State{}, KeyRDSSecret, Update, "endpoint"},
		{"bucket of another account", func(c *config.Config, s *observe.Snapshot) {
			s.Bucket = observe.Bucket{Presence: observe.Presence{Exists: true}, Foreign: true}
		}, state.State{}, KeyBucket, Conflict, "taken"},
		{"untagged bucket recorded as ours", func(c *config.Config, s *observe.Snapshot) {
			s.Bucket = observe.Bucket{Presence: untagged, Region: "us-west-2"}
		}, state.State{Resources: map[string]state.Resource{KeyBucket: {ID: "prod-artifacts", Owned: true}}}, KeyBucket, Update, "tags"},
		{"user's unprotected bucket is reused with a warning", func(c *config.Config, s *observe.Snapshot) {
			s.Bucket = observe.Bucket{Presence: untagged, Region: "us-west-2"}
		}, state.State{}, KeyBucket, Exists, "never changed"},
		{"owned parameter group missing a parameter", func(c *config.Config, s *observe.Snapshot) {
			s.ParameterGroup = observe.ParameterGroup{Presence: owned("prod"), Family: "mysql8.4", Parameters: map[string]string{}}
		}, state.State{}, KeyParameterGroup, Update, "authentication_policy"},
		{"parameter group of the wrong family", func(c *config.Config, s *observe.Snapshot) {
			s.ParameterGroup = observe.ParameterGroup{Presence: owned("prod"), Family: "mysql8.0"}
		}, state.State{}, KeyParameterGroup, Conflict, "mysql8.4"},
		{"user's parameter group that is right", func(c *config.Config, s *observe.Snapshot) {
			s.ParameterGroup = observe.ParameterGroup{Presence: untagged, Family: "mysql8.4", Parameters: Parameters("8.4")}
		}, state.State{}, KeyParameterGroup, Exists, ""},
		{"brought security group in another VPC", func(c *config.Config, s *observe.Snapshot) {
			c.RDS.SecurityGroupID = "sg-0123456789abcdef0"
			s.SecurityGroup = observe.SecurityGroup{Presence: untagged, ID: "sg-0123456789abcdef0", VPCID: "vpc-2"}
		}, state.State{}, KeySecurityGroup, Conflict, "vpc-2"},
		{"owned security group missing the rule", func(c *config.Config, s *observe.Snapshot) {
			s.SecurityGroup = observe.SecurityGroup{Presence: owned("prod"), ID: "sg-db"}
		}, state.State{}, KeySecurityGroup, Update, "sg-cluster"},
		{"owned role without its policy", func(c *config.Config, s *observe.Snapshot) {
			s.BackendRole = observe.Role{Presence: owned("prod"), TrustPolicy: "system:serviceaccount:kubeflow:ml-pipeline"}
		}, state.State{}, KeyBackendRole, Update, "restore"},
		{"owned backend role trusting the API server but not the UI", func(c *config.Config, s *observe.Snapshot) {
			s.BackendRole = observe.Role{Presence: owned("prod"), AttachedPolicies: []string{"arn:aws:iam::123456789012:policy/kfaws-prod-kfp-s3"},
				TrustPolicy: `"system:serviceaccount:kubeflow:ml-pipeline"`}
		}, state.State{}, KeyBackendRole, Update, "kubeflow:ml-pipeline-ui"},
		{"role of another installation", func(c *config.Config, s *observe.Snapshot) {
			s.BackendRole = observe.Role{Presence: owned("staging")}
		}, state.State{}, KeyBackendRole, Conflict, `belongs to kfaws installation "staging"`},
		{"static secret missing without keys", func(c *config.Config, s *observe.Snapshot) {
			c.S3.Credentials = config.CredentialsStatic
		}, state.State{}, KeyS3Secret, Conflict, config.EnvS3AccessKeyID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s := testConfig(), freshSnapshot()
			tc.mutate(c, s)
			p, err := Build(c, s, tc.recorded)
			if err != nil {
				t.Fatal(err)
			}
			r, ok := p.Resource(tc.key)
			if !ok || r.Action != tc.want || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("%s: got %s %q, want %s containing %q", tc.key, r.Action, r.Detail, tc.want, tc.detail)
			}
		})
	}
}

func TestParametersPerEngine(t *testing.T) {
	if p := Parameters("8.4.6"); p["authentication_policy"] != "*:mysql_native_password" || p["require_secure_transport"] != "0" {
		t.Errorf("8.4: %v", p)
	}
	if p := Parameters("8.0"); p["default_authentication_plugin"] != "mysql_native_password" || p["authentication_policy"] != "" {
		t.Errorf("8.0: %v", p)
	}
	if Family("8.4.6") != "mysql8.4" || Family("8.0") != "mysql8.0" {
		t.Error("family")
	}
}

func TestPoliciesAreLeastPrivilege(t *testing.T) {
	s3 := S3Policy("aws", "b")
	if strings.Contains(s3, "s3:*") || strings.Contains(s3, "CreateBucket") || !strings.Contains(s3, "arn:aws:s3:::b/*") {
		t.Errorf("s3 policy: %s", s3)
	}
	sec := SecretsPolicy("aws", "us-west-2", "1", "rds-secret")
	if !strings.Contains(sec, "arn:aws:secretsmanager:us-west-2:1:secret:rds-secret-??????") || strings.Contains(sec, "PutSecretValue") {
		t.Errorf("secrets policy: %s", sec)
	}
	// The trust policy moved with IRSA to internal/identity (TestIRSATrustPolicy).
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
