package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

const finalSnapshot = "kubeflow-db-final-20260101-120000"

// A fresh snapshot with the final snapshot of a deleted instance to restore, as kfaws up --from-snapshot sees it.
func withSourceSnapshot(mutate func(*observe.DBSnapshot)) *observe.Snapshot {
	s := freshSnapshot()
	s.SourceSnapshot = observe.DBSnapshot{Name: finalSnapshot, Exists: true, Status: "available", Engine: "mysql",
		EngineVersion: "8.4.3", MasterUsername: "admin", AllocatedStorage: 20, Instance: "kubeflow-db"}
	if mutate != nil {
		mutate(&s.SourceSnapshot)
	}
	return s
}

func instanceStepIDs(p *Plan) []string {
	var ids []string
	for _, s := range p.Steps {
		if s.Resource == KeyInstance {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// The instance is restored instead of created, with the configuration's settings, then given the secret's
// password before its endpoint is recorded; the secret names the snapshot's master user.
func TestRestoreFromSnapshot(t *testing.T) {
	c := testConfig()
	p, err := Build(c, withSourceSnapshot(func(s *observe.DBSnapshot) { s.MasterUsername = "root2" }), state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := instanceStepIDs(p), []string{"rds/instance:create", "rds/instance:wait", "rds/instance:password"}; !slices.Equal(got, want) {
		t.Errorf("instance steps %v, want %v", got, want)
	}
	byID := map[string]Step{}
	for _, s := range p.Steps {
		byID[s.ID] = s
	}
	restore, ok := byID["rds/instance:create"].Params.(RestoreInstance)
	if !ok {
		t.Fatalf("the instance step carries %T, want RestoreInstance", byID["rds/instance:create"].Params)
	}
	if restore.Snapshot != finalSnapshot || restore.Class != c.RDS.InstanceClass || restore.SubnetGroup != c.RDS.SubnetGroupName ||
		restore.ParameterGroup != c.RDS.ParameterGroupName || *restore.AllocatedStorage != c.RDS.AllocatedStorage || restore.MultiAZ != c.RDS.MultiAZ {
		t.Errorf("restore params %+v do not follow the configuration", restore)
	}
	if !strings.Contains(byID["rds/instance:create"].Description, `restore DB instance "kubeflow-db" from DB snapshot "`+finalSnapshot+`"`) {
		t.Errorf("description %q", byID["rds/instance:create"].Description)
	}
	pw := byID["rds/instance:password"]
	if !slices.Contains(pw.After, "rds/instance:wait") || !slices.Contains(byID["rds/secret:endpoint"].After, "rds/instance:password") {
		t.Errorf("the password is not set between the wait (%v) and the endpoint (%v)", pw.After, byID["rds/secret:endpoint"].After)
	}
	if sec := byID["rds/secret:create"].Params.(CreateRDSSecret); sec.Username != "root2" {
		t.Errorf("secret username %q, want the snapshot's master user", sec.Username)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, `master user "root2"`) }) {
		t.Errorf("no warning about the snapshot's master user: %v", p.Warnings)
	}
}

// A snapshot that cannot give the instance is a conflict on the instance, named in the user's terms, and the
// instance has no step.
func TestRestoreFromUnusableSnapshot(t *testing.T) {
	cases := map[string]struct {
		mutate func(*observe.DBSnapshot)
		detail string
	}{
		"missing":       {func(s *observe.DBSnapshot) { *s = observe.DBSnapshot{Name: s.Name} }, "does not exist"},
		"creating":      {func(s *observe.DBSnapshot) { s.Status = "creating" }, "is creating"},
		"not MySQL":     {func(s *observe.DBSnapshot) { s.Engine = "postgres" }, "of engine postgres"},
		"other major":   {func(s *observe.DBSnapshot) { s.EngineVersion = "8.0.40" }, "holds MySQL 8.0.40 and rds.engineVersion is 8.4; a restore keeps"},
		"minor differs": {func(s *observe.DBSnapshot) { s.EngineVersion = "8.4.1" }, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := Build(testConfig(), withSourceSnapshot(tc.mutate), state.State{})
			if err != nil {
				t.Fatal(err)
			}
			r, _ := p.Resource(KeyInstance)
			if tc.detail == "" {
				if r.Action != Create {
					t.Errorf("instance %s %q, want create", r.Action, r.Detail)
				}
				return
			}
			if r.Action != Conflict || !strings.Contains(r.Detail, tc.detail) || !strings.Contains(r.Detail, "--from-snapshot") {
				t.Errorf("instance %s %q, want a conflict saying %q", r.Action, r.Detail, tc.detail)
			}
			if ids := instanceStepIDs(p); len(ids) > 0 {
				t.Errorf("steps for a blocked instance: %v", ids)
			}
		})
	}
}

// An instance that exists is not restored: the snapshot is ignored with a warning, unless the state says an
// interrupted run restored it from that snapshot, whose master password then still gets set.
func TestRestoreWhenTheInstanceExists(t *testing.T) {
	s := withSourceSnapshot(nil)
	s.Instance = observe.Instance{Presence: owned("prod"), Status: "available", Address: "db", Port: 3306, MasterUsername: "admin"}
	s.RDSSecret = observe.Secret{Presence: owned("prod")}
	p, err := Build(testConfig(), s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "--from-snapshot \""+finalSnapshot+"\" is ignored") }) {
		t.Errorf("no warning that the snapshot is ignored: %v", p.Warnings)
	}
	if ids := instanceStepIDs(p); slices.Contains(ids, "rds/instance:password") || slices.Contains(ids, "rds/instance:create") {
		t.Errorf("instance steps %v for an instance that exists", ids)
	}

	resumed := state.State{Outputs: state.Outputs{RestoringFrom: finalSnapshot}}
	for _, snap := range []string{finalSnapshot, ""} { // with --from-snapshot given again, or not
		s.SourceSnapshot.Name = snap
		p, err = Build(testConfig(), s, resumed)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Warnings) > 0 {
			t.Errorf("warnings on a resumed restore: %v", p.Warnings)
		}
		if ids := instanceStepIDs(p); !slices.Contains(ids, "rds/instance:password") || slices.Contains(ids, "rds/instance:create") {
			t.Errorf("resumed restore (--from-snapshot %q): instance steps %v, want the password step", snap, ids)
		}
	}
}
