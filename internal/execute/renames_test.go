package execute

import (
	"path/filepath"
	"testing"

	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// Before anything runs, the record of a renamed resource moves to its orphan key, a resource named again gets
// its record back, a stale record goes, and record never gives a new resource the old one's ARN or ownership.
func TestRecordsFollowRenames(t *testing.T) {
	st, err := state.Open(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range map[string]state.Resource{
		plan.KeyBucket:      {ID: "old-bucket", ARN: "arn:aws:s3:::old-bucket", Owned: true},
		plan.KeyBackendRole: {ID: "role-b", ARN: "arn:aws:iam::1:role/role-b", Owned: true},
		plan.OrphanKey(plan.KeyBackendRole, "role-a"): {ID: "role-a", ARN: "arn:aws:iam::1:role/role-a", Owned: true},
		plan.KeyS3Policy:             {ID: "gone", Owned: true},
		"iam/profile-role/team-gone": {ID: "r-team-gone", Owned: true},
	} {
		if err := st.SetResource(k, r); err != nil {
			t.Fatal(err)
		}
	}
	p := &plan.Plan{
		Resources: []plan.Resource{
			{Key: plan.KeyBucket, Kind: "S3 bucket", Name: "users-bucket", Action: plan.Exists},
			{Key: plan.OrphanKey(plan.KeyBucket, "old-bucket"), Name: "old-bucket", Action: plan.Orphan, Owned: true},
			{Key: plan.KeyBackendRole, Kind: "IAM role", Name: "role-a", Action: plan.Exists, Owned: true},
			{Key: plan.OrphanKey(plan.KeyBackendRole, "role-b"), Name: "role-b", Action: plan.Orphan, Owned: true},
			{Key: plan.KeyS3Policy, Kind: "IAM policy", Name: "new", Action: plan.Create, Owned: true},
			// An orphan kept under its own key (a gone profile's role) keeps its record.
			{Key: "iam/profile-role/team-gone", Name: "r-team-gone", Action: plan.Orphan, Owned: true},
		},
		Forget: []string{plan.KeyS3Policy},
	}
	e := &Executor{Plan: p, State: st}
	if err := e.recordRenames(); err != nil {
		t.Fatal(err)
	}
	if err := e.record(plan.KeyBucket, ""); err != nil {
		t.Fatal(err)
	}
	got := st.Snapshot().Resources
	want := map[string]state.Resource{
		plan.KeyBucket: {Kind: "S3 bucket", ID: "users-bucket"},
		plan.OrphanKey(plan.KeyBucket, "old-bucket"):  {ID: "old-bucket", ARN: "arn:aws:s3:::old-bucket", Owned: true},
		plan.KeyBackendRole:                           {ID: "role-a", ARN: "arn:aws:iam::1:role/role-a", Owned: true},
		plan.OrphanKey(plan.KeyBackendRole, "role-b"): {ID: "role-b", ARN: "arn:aws:iam::1:role/role-b", Owned: true},
		"iam/profile-role/team-gone":                  {ID: "r-team-gone", Owned: true},
	}
	if len(got) != len(want) {
		t.Errorf("records %+v", got)
	}
	for k, w := range want {
		g := got[k]
		g.UpdatedAt = w.UpdatedAt
		if g != w {
			t.Errorf("%s: %+v, want %+v", k, g, w)
		}
	}
}
