package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

// installed is what a complete installation of testConfig recorded: every resource owned, under its name.
func installed() state.State {
	c := testConfig()
	rec := map[string]state.Resource{}
	for key, name := range configuredNames(c) {
		rec[key] = state.Resource{Kind: kinds[key], ID: name, Owned: true}
	}
	rec[KeyS3Policy] = state.Resource{Kind: "IAM policy", ID: c.IAM.S3PolicyName, ARN: "arn:aws:iam::123456789012:policy/" + c.IAM.S3PolicyName, Owned: true}
	rec[KeyInstance] = state.Resource{Kind: "DB instance", ID: c.RDS.InstanceName, ARN: "arn:aws:rds:us-west-2:123456789012:db:" + c.RDS.InstanceName, Owned: true}
	return state.State{Resources: rec}
}

// The scenario: after a complete install, the configuration names hand-made, untagged resources of
// each kind. None of them is kfaws's: the bucket is used as is, the rest conflict; nothing of the user's is
// planned to change, and the resources kfaws created under the old names are kept.
func TestRenamedToUsersResourcesOwnsNone(t *testing.T) {
	c := testConfig()
	c.S3.Bucket, c.IAM.BackendRoleName, c.IAM.S3PolicyName = "users-bucket", "users-role", "users-policy"
	c.RDS.ParameterGroupName, c.RDS.SecurityGroupName = "users-params", "users-sg"
	s := freshSnapshot()
	s.OIDCProvider = owned("prod")
	s.Bucket = observe.Bucket{Presence: untagged, Region: "us-west-2"}
	s.BackendRole = observe.Role{Presence: untagged, TrustPolicy: "system:serviceaccount:kubeflow:ml-pipeline"}
	s.ProfileRole = observe.Role{Presence: owned("prod")}
	s.S3Policy = observe.Policy{Presence: observe.Presence{Exists: true, ARN: "arn:aws:iam::123456789012:policy/users-policy"}}
	// The instance exists and uses kfaws's groups; observe reads those, and the user's groups exist by name.
	s.Instance = observe.Instance{Presence: owned("prod"), Status: "available", EngineVersion: "8.4.6",
		SubnetGroup: c.RDS.SubnetGroupName, ParameterGroups: []string{"kubeflow-db-params"}, SecurityGroups: []string{"sg-kfaws"},
		Settings: settingsOf(c)}
	s.SubnetGroup = observe.SubnetGroup{Presence: owned("prod"), Name: c.RDS.SubnetGroupName, VPCID: "vpc-1"}
	s.ParameterGroup = observe.ParameterGroup{Presence: owned("prod"), Name: "kubeflow-db-params", Family: "mysql8.4", Parameters: Parameters("8.4")}
	s.SecurityGroup = observe.SecurityGroup{Presence: owned("prod"), Name: "kubeflow-db-sg", ID: "sg-kfaws", MySQLFrom: []string{"sg-cluster"}}
	s.RDSSecret = observe.Secret{Presence: owned("prod"), Complete: true}
	rec := installed()
	s.Recorded = map[string]observe.Presence{}
	for _, f := range Formers(c, rec) {
		s.Recorded[f.Key] = owned("prod")
	}

	p, err := Build(c, s, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Action{
		KeyBucket: Exists, KeyBackendRole: Conflict, KeyS3Policy: Conflict, KeyParameterGroup: Conflict, KeySecurityGroup: Conflict,
		OrphanKey(KeyBucket, "prod-artifacts"): Orphan, OrphanKey(KeyBackendRole, "kfaws-prod-kfp-backend"): Orphan,
		OrphanKey(KeyS3Policy, "kfaws-prod-kfp-s3"): Orphan,
	}
	// The groups kfaws's instance uses are not orphaned: their rename is refused.
	for _, key := range []string{OrphanKey(KeyParameterGroup, "kubeflow-db-params"), OrphanKey(KeySecurityGroup, "kubeflow-db-sg")} {
		if r, ok := p.Resource(key); ok {
			t.Errorf("%s: %+v", key, r)
		}
	}
	for key, a := range want {
		r, ok := p.Resource(key)
		if !ok || r.Action != a {
			t.Errorf("%s: got %+v, want %s", key, r, a)
		}
		if ok && r.Action != Orphan && key != KeyParameterGroup && key != KeySecurityGroup && r.Owned {
			t.Errorf("%s: the user's resource is planned as kfaws's", key)
		}
	}
	if r, _ := p.Resource(KeyParameterGroup); !strings.Contains(r.Detail, "does not move an instance") {
		t.Errorf("parameter group: %q", r.Detail)
	}
	if r, _ := p.Resource(OrphanKey(KeyBucket, "prod-artifacts")); !r.Owned || !strings.Contains(r.Detail, "kept; kfaws down removes it") {
		t.Errorf("old bucket: %+v", r)
	}
	for _, st := range p.Steps {
		switch prm := st.Params.(type) {
		case ConfigureBucket, SetParameters, AdmitMySQL:
			t.Errorf("step %s changes a user's resource: %+v", st.ID, prm)
		case EnsureRole:
			if prm.Name == "users-role" {
				t.Errorf("step %s changes the user's role", st.ID)
			}
		}
	}
}

func settingsOf(c *config.Config) observe.InstanceSettings {
	r := c.RDS
	return observe.InstanceSettings{Class: r.InstanceClass, EngineVersion: "8.4.6", AllocatedStorage: r.AllocatedStorage,
		MaxAllocatedStorage: config.Value(r.MaxAllocatedStorage), BackupRetention: config.Value(r.BackupRetentionPeriod),
		MultiAZ: config.Value(r.MultiAZ), DeletionProtection: config.Value(r.DeletionProtection)}
}

// A new bucket name: the new bucket is created, the old one kept as an orphan, and kfaws's policy follows.
func TestRenamedBucketMovesThePolicy(t *testing.T) {
	c := testConfig()
	c.Option = config.OptionS3Only
	c.S3.Bucket = "prod-artifacts-2"
	s := freshSnapshot()
	s.OIDCProvider = owned("prod")
	s.S3Policy = observe.Policy{Presence: owned("prod"), Document: S3Policy("aws", "prod-artifacts")}
	s.BackendRole = observe.Role{Presence: owned("prod")}
	s.ProfileRole = observe.Role{Presence: owned("prod")}
	s.Recorded = map[string]observe.Presence{OrphanKey(KeyBucket, "prod-artifacts"): owned("prod")}
	p, err := Build(c, s, state.State{Resources: map[string]state.Resource{KeyBucket: {ID: "prod-artifacts", Owned: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyBucket); r.Action != Create {
		t.Errorf("new bucket: %+v", r)
	}
	if r, _ := p.Resource(OrphanKey(KeyBucket, "prod-artifacts")); r.Action != Orphan || !strings.Contains(r.Detail, "old s3.bucket") {
		t.Errorf("old bucket: %+v", r)
	}
	r, _ := p.Resource(KeyS3Policy)
	var update *UpdatePolicy
	for _, st := range p.Steps {
		if u, ok := st.Params.(UpdatePolicy); ok {
			update = &u
		}
	}
	if r.Action != Update || update == nil || !strings.Contains(update.Document, "prod-artifacts-2") {
		t.Fatalf("policy: %+v, step %+v", r, update)
	}
	if p.Summary().Orphan != 1 {
		t.Errorf("summary %+v", p.Summary())
	}
}

// A recorded resource that is gone, or no longer this installation's, is not orphaned: its record is dropped.
func TestFormersGoneOrTakenAreForgotten(t *testing.T) {
	c := testConfig()
	c.Option = config.OptionS3Only
	c.S3.Bucket = "new-bucket"
	rec := state.State{Resources: map[string]state.Resource{
		KeyBucket:                       {ID: "gone-bucket", Owned: true},
		OrphanKey(KeyBucket, "taken"):   {ID: "taken", Owned: true},
		OrphanKey(KeyBucket, "remade"):  {ID: "remade", ARN: "arn:aws:s3:::remade", Owned: true},
		OrphanKey(KeyBucket, "reused"):  {ID: "reused", Owned: false},
		OrphanKey(KeyBucket, "kept-it"): {ID: "kept-it", Owned: true},
	}}
	got := []string{}
	for _, f := range Formers(c, rec) {
		got = append(got, f.Key)
	}
	want := []string{"s3/bucket@gone-bucket", "s3/bucket@kept-it", "s3/bucket@remade", "s3/bucket@taken"}
	if !slices.Equal(got, want) {
		t.Fatalf("formers %v, want %v", got, want)
	}
	s := freshSnapshot()
	s.Recorded = map[string]observe.Presence{
		"s3/bucket@gone-bucket": {},
		"s3/bucket@taken":       owned("staging"),
		// ARN differs from the record's: someone deleted it and made another of the same name.
		"s3/bucket@remade":  {Exists: true, ARN: "arn:aws:s3:::remade-other"},
		"s3/bucket@kept-it": untagged,
	}
	p, err := Build(c, s, rec)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(slices.Values(p.Forget)), []string{"s3/bucket", "s3/bucket@remade", "s3/bucket@taken"}; !slices.Equal(got, want) {
		t.Errorf("forget %v, want %v", got, want)
	}
	if r, ok := p.Resource("s3/bucket@kept-it"); !ok || r.Action != Orphan {
		t.Errorf("kept-it: %+v", r)
	}
	if len(p.Warnings) != 2 {
		t.Errorf("warnings %q", p.Warnings)
	}
}

// Renaming the configuration back to a name kept as an orphan makes that resource kfaws's again.
func TestRenamedBackIsOursAgain(t *testing.T) {
	c := testConfig()
	c.Option = config.OptionS3Only
	s := freshSnapshot()
	s.Bucket = observe.Bucket{Presence: untagged, Region: "us-west-2", PublicAccessBlocked: true, Encrypted: true}
	s.Recorded = map[string]observe.Presence{OrphanKey(KeyBucket, "other"): owned("prod")}
	rec := state.State{Resources: map[string]state.Resource{
		KeyBucket:                              {ID: "other", Owned: true},
		OrphanKey(KeyBucket, "prod-artifacts"): {ID: "prod-artifacts", Owned: true},
	}}
	p, err := Build(c, s, rec)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyBucket); !r.Owned || r.Action != Update {
		t.Errorf("bucket named again: %+v (untagged and recorded: kfaws restores its tags)", r)
	}
	if r, _ := p.Resource(OrphanKey(KeyBucket, "other")); r.Action != Orphan {
		t.Errorf("the other bucket: %+v", r)
	}
}

// The instance is never renamed: a new name while kfaws's instance exists is refused, naming it.
func TestRenamedInstanceIsRefused(t *testing.T) {
	c := testConfig()
	c.RDS.InstanceName = "kubeflow-db-2"
	s := freshSnapshot()
	s.Recorded = map[string]observe.Presence{OrphanKey(KeyInstance, "kubeflow-db"): owned("prod")}
	p, err := Build(c, s, state.State{Resources: map[string]state.Resource{KeyInstance: {ID: "kubeflow-db", Owned: true}}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.Resource(KeyInstance)
	if r.Action != Conflict || !strings.Contains(r.Detail, `set rds.instanceName back to "kubeflow-db"`) {
		t.Errorf("instance: %+v", r)
	}
	if _, ok := p.Resource(OrphanKey(KeyInstance, "kubeflow-db")); ok {
		t.Error("a refused rename also shows the old instance as an orphan")
	}
	// Once the old instance is gone (deleted by hand), the new name is fine.
	s.Recorded[OrphanKey(KeyInstance, "kubeflow-db")] = observe.Presence{}
	p, err = Build(c, s, state.State{Resources: map[string]state.Resource{KeyInstance: {ID: "kubeflow-db", Owned: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyInstance); r.Action != Create || !slices.Contains(p.Forget, KeyInstance) {
		t.Errorf("instance after the old one is gone: %+v, forget %v", r, p.Forget)
	}
}

// Everything a second installation with default settings collides with names its owner, with a rename.
func TestAnotherInstallationsResourcesConflictWithRenames(t *testing.T) {
	c := testConfig()
	c.Name = "second"
	s := freshSnapshot()
	other := owned("first")
	s.SubnetGroup = observe.SubnetGroup{Presence: other, Name: c.RDS.SubnetGroupName, VPCID: "vpc-1"}
	s.ParameterGroup = observe.ParameterGroup{Presence: other, Name: c.RDS.ParameterGroupName, Family: "mysql8.4", Parameters: Parameters("8.4")}
	s.SecurityGroup = observe.SecurityGroup{Presence: other, Name: c.RDS.SecurityGroupName, ID: "sg-first"}
	s.RDSSecret = observe.Secret{Presence: other, Complete: true}
	s.Instance = observe.Instance{Presence: other, Status: "available", SubnetGroup: c.RDS.SubnetGroupName,
		ParameterGroups: []string{c.RDS.ParameterGroupName}, SecurityGroups: []string{"sg-first"}}
	p, err := Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{KeySubnetGroup, KeyParameterGroup, KeySecurityGroup, KeyRDSSecret, KeyInstance} {
		r, _ := p.Resource(key)
		if r.Action != Conflict || r.Owner != "first" || !strings.Contains(r.Detail, `kfaws installation "first"`) {
			t.Errorf("%s: %+v", key, r)
		}
	}
	got := map[string]string{}
	for _, r := range p.Renames {
		got[r.Field] = r.Value
	}
	want := map[string]string{"rds.instanceName": "second-kubeflow-db", "rds.subnetGroupName": "second-kubeflow-db-subnet-group",
		"rds.parameterGroupName": "second-kubeflow-db-params", "rds.securityGroupName": "second-kubeflow-db-sg",
		"rds.secretName": "second-rds-secret"}
	if len(got) != len(want) {
		t.Errorf("renames %v, want %v", got, want)
	}
	for f, v := range want {
		if got[f] != v {
			t.Errorf("rename %s = %q, want %q", f, got[f], v)
		}
	}
}

func TestSuggestedNamesAreValid(t *testing.T) {
	for _, tc := range []struct{ field, installation, current, want string }{
		{"rds.instanceName", "9lives", "kubeflow-db", "kfaws-9lives-kubeflow-db"},
		{"rds.instanceName", "a--b", "db", "a-b-db"},
		{"rds.instanceName", "prod", strings.Repeat("x", 70), "prod-" + strings.Repeat("x", 58)},
		{"s3.bucket", "prod", "My-Bucket", "prod-my-bucket"},
		{"rds.secretName", "prod", "rds-secret", "prod-rds-secret"},
	} {
		if got := suggestName(tc.field, tc.installation, tc.current); got != tc.want {
			t.Errorf("suggestName(%s, %s, %s) = %q, want %q", tc.field, tc.installation, tc.current, got, tc.want)
		}
	}
}

// An instance kfaws did not create dictates its groups: none is created, and what is wrong with them is a
// warning with the fix, since kfaws does not change them.
func TestUsersInstanceUsesItsOwnGroups(t *testing.T) {
	c := testConfig()
	s := freshSnapshot()
	s.Instance = observe.Instance{Presence: untagged, Status: "available", EngineVersion: "8.4.6",
		SubnetGroup: "their-subnets", ParameterGroups: []string{"default.mysql8.4"}, SecurityGroups: []string{"sg-theirs"}}
	s.RDSSecret = observe.Secret{Presence: untagged}
	s.SubnetGroup = observe.SubnetGroup{Presence: untagged, Name: "their-subnets", VPCID: "vpc-1",
		Subnets: []string{"subnet-a1", "subnet-a2"}, Public: []string{"subnet-a2"}}
	s.ParameterGroup = observe.ParameterGroup{Presence: untagged, Name: "default.mysql8.4", Family: "mysql8.4", Parameters: map[string]string{}}
	s.SecurityGroup = observe.SecurityGroup{Presence: untagged, Name: "theirs", ID: "sg-theirs", IDs: []string{"sg-theirs"}}
	p, err := Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	for key, name := range map[string]string{KeySubnetGroup: "their-subnets", KeyParameterGroup: "default.mysql8.4", KeySecurityGroup: "theirs"} {
		r, _ := p.Resource(key)
		if r.Action != Exists || r.Name != name || r.Owned || !strings.Contains(r.Detail, "which kfaws did not create") {
			t.Errorf("%s: %+v", key, r)
		}
	}
	if len(p.Steps) == 0 {
		t.Fatal("no steps at all: the bucket and roles should still be created")
	}
	for _, st := range p.Steps {
		if strings.HasPrefix(st.ID, "rds/") {
			t.Errorf("step %s for a user's instance", st.ID)
		}
	}
	warnings := strings.Join(p.Warnings, "\n")
	for _, want := range []string{"subnet-a2", "authentication_policy=*:mysql_native_password", "a default group cannot be changed", "do not admit MySQL (3306) from sg-cluster"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
}

// A subnet group someone else made, with a public subnet, is used with a warning.
func TestGivenSubnetGroupWithPublicSubnetsWarns(t *testing.T) {
	s := freshSnapshot()
	s.SubnetGroup = observe.SubnetGroup{Presence: untagged, Name: "kubeflow-db-subnet-group", VPCID: "vpc-1",
		Subnets: []string{"subnet-a1", "subnet-a2"}, Public: []string{"subnet-a2"}}
	p, err := Build(testConfig(), s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeySubnetGroup); r.Action != Exists || r.Owned {
		t.Errorf("subnet group: %+v", r)
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n"), "public subnets (subnet-a2") {
		t.Errorf("warnings %q", p.Warnings)
	}
}

// An add-on reinstalled by someone else after kfaws recorded its own is not kfaws's: the ARN differs.
func TestReinstalledAddonIsNotOurs(t *testing.T) {
	s := freshSnapshot()
	s.CSIAddon = observe.Addon{Presence: observe.Presence{Exists: true, ARN: "arn:aws:eks:us-west-2:1:addon/prod/x/new"}, SyncEnabled: true}
	rec := state.State{Resources: map[string]state.Resource{KeyCSIAddon: {ID: eksaddon.Name, ARN: "arn:aws:eks:us-west-2:1:addon/prod/x/old", Owned: true}}}
	p, err := Build(testConfig(), s, rec)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyCSIAddon); r.Owned || r.Action != Exists {
		t.Errorf("add-on: %+v", r)
	}
}

func TestSameGrants(t *testing.T) {
	want := S3Policy("aws", "b")
	for _, tc := range []struct {
		have string
		same bool
	}{
		{want, true},
		// As IAM may return it: single values as strings, other order, no Sids.
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"arn:aws:s3:::b/*","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject","s3:AbortMultipartUpload","s3:ListMultipartUploadParts"]},` +
			`{"Effect":"Allow","Resource":["arn:aws:s3:::b"],"Action":["s3:ListBucket","s3:GetBucketLocation","s3:ListBucketMultipartUploads"]}]}`, true},
		{S3Policy("aws", "other"), false},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, false},
		{"", false},
		{"not json", false},
	} {
		if got := SameGrants(tc.have, want); got != tc.same {
			t.Errorf("SameGrants(%s) = %t", tc.have, got)
		}
	}
}

// A new policy name: the new policy is created and attached to the backend role, and kfaws's roles lose the old
// one, which is kept.
func TestRenamedPolicyIsDetachedFromTheRoles(t *testing.T) {
	c := testConfig()
	c.Option = config.OptionS3Only
	c.IAM.S3PolicyName = "kfaws-prod-kfp-s3-v2"
	oldARN := "arn:aws:iam::123456789012:policy/kfaws-prod-kfp-s3"
	s := freshSnapshot()
	s.OIDCProvider = owned("prod")
	s.Bucket = observe.Bucket{Presence: owned("prod"), Region: "us-west-2", PublicAccessBlocked: true, Encrypted: true}
	trusted := "system:serviceaccount:kubeflow:ml-pipeline"
	s.BackendRole = observe.Role{Presence: owned("prod"), AttachedPolicies: []string{oldARN}, TrustPolicy: trusted}
	s.ProfileRole = observe.Role{Presence: owned("prod"), AttachedPolicies: []string{oldARN}}
	s.Recorded = map[string]observe.Presence{OrphanKey(KeyS3Policy, "kfaws-prod-kfp-s3"): {Exists: true, ARN: oldARN, Installation: "prod"}}
	p, err := Build(c, s, state.State{Resources: map[string]state.Resource{KeyS3Policy: {ID: "kfaws-prod-kfp-s3", ARN: oldARN, Owned: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(OrphanKey(KeyS3Policy, "kfaws-prod-kfp-s3")); r.Action != Orphan {
		t.Errorf("old policy: %+v", r)
	}
	roles := 0
	for _, st := range p.Steps {
		if er, ok := st.Params.(EnsureRole); ok {
			roles++
			if !slices.Equal(er.DetachPolicies, []string{oldARN}) {
				t.Errorf("%s: %+v", st.ID, er)
			}
			// The backend role gets the new policy; the profile role, confined, its inline policy instead.
			switch st.Resource {
			case KeyBackendRole:
				if len(er.AttachPolicies) != 1 || !strings.HasSuffix(er.AttachPolicies[0], "/kfaws-prod-kfp-s3-v2") {
					t.Errorf("%s: %+v", st.ID, er)
				}
			case KeyProfileRole:
				if len(er.AttachPolicies) != 0 || len(er.InlinePolicies) != 1 || er.InlinePolicies[0].Name != ProfilePolicyName {
					t.Errorf("%s: %+v", st.ID, er)
				}
			}
		}
	}
	if roles != 2 {
		t.Errorf("%d role steps, want both roles updated", roles)
	}
}

// A new RDS secret name while kfaws's instance exists: its password is in the old secret, and the refusal
// says so.
func TestRenamedRDSSecretPointsToTheOldOne(t *testing.T) {
	c := testConfig()
	c.RDS.SecretName = "rds-secret-2"
	s := freshSnapshot()
	s.Instance = observe.Instance{Presence: owned("prod"), Status: "available"}
	s.Recorded = map[string]observe.Presence{OrphanKey(KeyRDSSecret, "rds-secret"): owned("prod")}
	p, err := Build(c, s, state.State{Resources: map[string]state.Resource{KeyRDSSecret: {ID: "rds-secret", Owned: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyInstance); r.Action != Conflict || !strings.Contains(r.Detail, `set rds.secretName back to "rds-secret"`) {
		t.Errorf("instance: %+v", r)
	}
}

// A new group name while kfaws's instance uses the old group is refused, and the old group is not called
// orphaned: the instance still uses it.
func TestRenamedGroupOfOwnInstanceIsRefused(t *testing.T) {
	c := testConfig()
	c.RDS.ParameterGroupName = "new-params"
	s := freshSnapshot()
	s.Instance = observe.Instance{Presence: owned("prod"), Status: "available", ParameterGroups: []string{"kubeflow-db-params"}}
	s.RDSSecret = observe.Secret{Presence: owned("prod"), Complete: true}
	s.ParameterGroup = observe.ParameterGroup{Presence: owned("prod"), Name: "kubeflow-db-params", Family: "mysql8.4", Parameters: Parameters("8.4")}
	s.Recorded = map[string]observe.Presence{OrphanKey(KeyParameterGroup, "kubeflow-db-params"): owned("prod")}
	p, err := Build(c, s, state.State{Resources: map[string]state.Resource{KeyParameterGroup: {ID: "kubeflow-db-params", Owned: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyParameterGroup); r.Action != Conflict || !strings.Contains(r.Detail, `set rds.parameterGroupName back to "kubeflow-db-params"`) {
		t.Errorf("parameter group: %+v", r)
	}
	if r, ok := p.Resource(OrphanKey(KeyParameterGroup, "kubeflow-db-params")); ok {
		t.Errorf("the group in use is shown as %+v", r)
	}
}
