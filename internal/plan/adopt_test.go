package plan_test

import (
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/plan/plantest"
	"github.com/kfaws/kfaws/internal/state"
)

const trustsBoth = `{"Statement":[{"Condition":{"StringEquals":{"oidc.eks.us-west-2.amazonaws.com/id/ABC:sub":` +
	`["system:serviceaccount:kubeflow:ml-pipeline","system:serviceaccount:kubeflow-user-example-com:default-editor"]}}}]}`

// awslabsSetup is what auto-rds-s3-setup.py leaves in IRSA mode: untagged bucket, policy, two roles, subnet
// group, secret and an available MySQL 8.0 instance on RDS's default parameter group, in the cluster's
// security group. The configuration names them as kfaws init --from-awslabs-metadata writes it.
func awslabsSetup() (*config.Config, *observe.Snapshot) {
	cfg := plantest.Config("us-west-2", func(c *config.Config) {
		c.IAM.BackendRoleName, c.IAM.ProfileRoleName, c.IAM.S3PolicyName = "kf-backend-x", "kf-profile-x", "kf-s3-x"
	})
	s := plantest.Fresh("aws", "us-west-2")
	s.OIDCProvider = observe.Presence{Exists: true}
	s.Bucket = observe.Bucket{Presence: observe.Presence{Exists: true}, Region: "us-west-2", PublicAccessBlocked: true, Encrypted: true}
	s.S3Policy = observe.Policy{Presence: observe.Presence{Exists: true, ARN: "arn:aws:iam::123456789012:policy/kf-s3-x"}}
	s.BackendRole = observe.Role{Presence: observe.Presence{Exists: true, ARN: "arn:aws:iam::123456789012:role/kf-backend-x"}, TrustPolicy: trustsBoth}
	s.ProfileRole = observe.Role{Presence: observe.Presence{Exists: true, ARN: "arn:aws:iam::123456789012:role/kf-profile-x"}, TrustPolicy: trustsBoth}
	s.SubnetGroup = observe.SubnetGroup{Presence: observe.Presence{Exists: true, ARN: "arn:sng"}, Name: "kubeflow-db-subnet-group",
		VPCID: "vpc-1", Subnets: []string{"subnet-a1", "subnet-b1"}}
	s.ParameterGroup = observe.ParameterGroup{Presence: observe.Presence{Exists: true}, Name: "default.mysql8.0", Family: "mysql8.0", Parameters: map[string]string{}}
	s.SecurityGroup = observe.SecurityGroup{Presence: observe.Presence{Exists: true, ARN: "sg-cluster"}, ID: "sg-cluster", MySQLFrom: []string{"sg-cluster"}}
	s.RDSSecret = observe.Secret{Presence: observe.Presence{Exists: true, ARN: "arn:secret"}}
	s.Instance = observe.Instance{Presence: observe.Presence{Exists: true, ARN: "arn:db"}, Status: "available", Engine: "mysql",
		EngineVersion: "8.0.39", Address: "kubeflow-db.x.rds.amazonaws.com", Port: 3306, SubnetGroup: "kubeflow-db-subnet-group",
		ParameterGroups: []string{"default.mysql8.0"}, SecurityGroups: []string{"sg-cluster"},
		Settings: observe.InstanceSettings{EngineVersion: "8.0.39"}}
	return cfg, s
}

func verdicts(a *plan.Adoption) map[string]plan.AdoptVerdict {
	m := map[string]plan.AdoptVerdict{}
	for _, l := range a.Lines {
		m[l.Key] = l.Verdict
	}
	return m
}

func TestAdoptDecisions(t *testing.T) {
	cfg, snap := awslabsSetup()
	a, err := plan.Adopt(cfg, snap, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{plan.KeyBucket, plan.KeyS3Policy, plan.KeyBackendRole, plan.KeyProfileRole, plan.KeySubnetGroup, plan.KeyRDSSecret, plan.KeyInstance}
	if a.Failed() || len(a.Lines) != len(want) {
		t.Fatalf("lines %+v", a.Lines)
	}
	for _, k := range want {
		if v := verdicts(a)[k]; v != plan.AdoptNew {
			t.Errorf("%s: %s, want adopt", k, v)
		}
	}
	recs := a.Records()
	if r := recs[plan.KeyBucket]; !r.Adopted || r.Owned || r.ARN != "arn:aws:s3:::prod-artifacts" {
		t.Errorf("bucket record %+v", r)
	}
	if !strings.Contains(strings.Join(a.Warnings, "\n"), "mysql_native_password") {
		t.Errorf("no warning about the default parameter group: %q", a.Warnings)
	}

	// Once recorded, plan uses them as they are: exists, adopted, not owned, no step on any of them.
	st := state.State{Resources: recs}
	p, err := plan.Build(cfg, snap, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range want {
		r, _ := p.Resource(k)
		if r.Action != plan.Exists || !r.Adopted || r.Owned || r.Detail != plan.AdoptedDetail {
			t.Errorf("plan %s: %s adopted=%t owned=%t %q", k, r.Action, r.Adopted, r.Owned, r.Detail)
		}
	}
	for _, s := range p.Steps {
		for _, k := range want {
			if s.Resource == k {
				t.Errorf("step on an adopted resource: %s", s.ID)
			}
		}
	}
	// Without the records, the awslabs roles and policy are conflicts: adoption is what lets up use them.
	if p, _ := plan.Build(cfg, snap, state.State{}); len(p.Conflicts()) == 0 {
		t.Error("unadopted awslabs roles are no conflict")
	}
	// Adopting again changes nothing.
	again, err := plan.Adopt(cfg, snap, st)
	if err != nil || len(again.Records()) != 0 || verdicts(again)[plan.KeyInstance] != plan.AdoptRecorded {
		t.Errorf("second adoption: %+v %v", again, err)
	}
}

func TestAdoptRefuses(t *testing.T) {
	cases := []struct {
		name   string
		change func(*config.Config, *observe.Snapshot)
		key    string
		says   string
	}{
		{"instance missing", func(_ *config.Config, s *observe.Snapshot) { s.Instance = observe.Instance{} }, plan.KeyInstance, "not found"},
		{"MySQL 9", func(_ *config.Config, s *observe.Snapshot) { s.Instance.Settings.EngineVersion = "9.1.0" }, plan.KeyInstance, "mysql_native_password"},
		{"instance stopped", func(_ *config.Config, s *observe.Snapshot) { s.Instance.Status = "stopped" }, plan.KeyInstance, "stopped"},
		{"bucket elsewhere", func(_ *config.Config, s *observe.Snapshot) { s.Bucket.Region = "eu-west-1" }, plan.KeyBucket, "eu-west-1"},
		{"bucket of another installation", func(_ *config.Config, s *observe.Snapshot) { s.Bucket.Installation = "staging" }, plan.KeyBucket, "staging"},
		{"secret scheduled for deletion", func(_ *config.Config, s *observe.Snapshot) { s.RDSSecret.Deleted = true }, plan.KeyRDSSecret, "scheduled for deletion"},
		{"role trusts another profile", func(c *config.Config, _ *observe.Snapshot) { c.IAM.ProfileNamespace = "team-a" }, plan.KeyProfileRole, "team-a:default-editor"},
		{"static mode without the secret", func(c *config.Config, _ *observe.Snapshot) { c.S3.Credentials = config.CredentialsStatic }, plan.KeyS3Secret, "not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, snap := awslabsSetup()
			c.change(cfg, snap)
			a, err := plan.Adopt(cfg, snap, state.State{})
			if err != nil {
				t.Fatal(err)
			}
			l, ok := a.Line(c.key)
			if !ok || l.Verdict != plan.AdoptFail || !strings.Contains(l.Detail, c.says) || !a.Failed() {
				t.Errorf("line %+v, want fail saying %q", l, c.says)
			}
		})
	}
}

func TestAdoptIRSAAbsentIsNoFailure(t *testing.T) {
	cfg, snap := awslabsSetup()
	snap.S3Policy, snap.BackendRole, snap.ProfileRole = observe.Policy{}, observe.Role{}, observe.Role{}
	a, err := plan.Adopt(cfg, snap, state.State{})
	if err != nil || a.Failed() || verdicts(a)[plan.KeyBackendRole] != plan.AdoptAbsent {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestCheckRDSSecret(t *testing.T) {
	in := observe.Instance{Address: "db.x", Port: 3306, Status: "available"}
	ok := plan.RDSSecretValue{Username: "admin", Database: "kubeflow", Host: "db.x", Port: "3306", HasPassword: true}
	if p := plan.CheckRDSSecret(ok, in); p != "" {
		t.Errorf("good secret: %s", p)
	}
	for name, c := range map[string]struct {
		v    func(*plan.RDSSecretValue)
		says string
	}{
		"other host":  {func(v *plan.RDSSecretValue) { v.Host = "other.x" }, "another database"},
		"other port":  {func(v *plan.RDSSecretValue) { v.Port = "3307" }, "another database"},
		"no password": {func(v *plan.RDSSecretValue) { v.HasPassword = false }, "password"},
		"bad port":    {func(v *plan.RDSSecretValue) { v.Port = "x" }, "not a number"},
	} {
		v := ok
		c.v(&v)
		if p := plan.CheckRDSSecret(v, in); !strings.Contains(p, c.says) {
			t.Errorf("%s: %q, want %q", name, p, c.says)
		}
	}
}

func TestDownKeepsAdopted(t *testing.T) {
	cfg, snap := awslabsSetup()
	a, _ := plan.Adopt(cfg, snap, state.State{})
	st := state.State{Resources: a.Records()}
	keys := []string{plan.KeyBucket, plan.KeyS3Policy, plan.KeyBackendRole, plan.KeyProfileRole, plan.KeySubnetGroup, plan.KeyRDSSecret, plan.KeyInstance}
	p := plan.BuildDown(cfg, snap, st, plan.DownOptions{DeleteData: true, FinalSnapshot: "snap"})
	if len(p.Steps) != 0 {
		t.Errorf("down deletes adopted resources: %+v", p.Steps)
	}
	for _, k := range keys {
		if r, _ := p.Resource(k); r.Action != plan.Keep || !strings.Contains(r.Detail, "--delete-adopted") {
			t.Errorf("%s: %s %q", k, r.Action, r.Detail)
		}
	}
	p = plan.BuildDown(cfg, snap, st, plan.DownOptions{DeleteAdopted: true, FinalSnapshot: "snap"})
	if r, _ := p.Resource(plan.KeyBucket); r.Action != plan.Keep || !strings.Contains(r.Detail, "--delete-data") {
		t.Errorf("bucket without --delete-data: %s %q", r.Action, r.Detail)
	}
	if r, _ := p.Resource(plan.KeyInstance); r.Action != plan.Delete || !strings.Contains(r.Detail, "final snapshot snap") {
		t.Errorf("instance: %s %q", r.Action, r.Detail)
	}
	// The cluster's security group and RDS's default parameter group were never the setup's: never deleted.
	for _, s := range p.Steps {
		if s.Resource == plan.KeySecurityGroup || s.Resource == plan.KeyParameterGroup {
			t.Errorf("deletes %s", s.ID)
		}
	}
	p = plan.BuildDown(cfg, snap, st, plan.DownOptions{DeleteAdopted: true, DeleteData: true})
	if r, _ := p.Resource(plan.KeyBucket); r.Action != plan.Delete {
		t.Errorf("bucket with both flags: %s", r.Action)
	}
}
