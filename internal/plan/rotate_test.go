package plan_test

import (
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/plan/plantest"
	"github.com/kfaws/kfaws/internal/state"
)

// rotations are the plan's rotation steps by component.
func rotations(p *plan.Plan) map[string]plan.Step {
	out := map[string]plan.Step{}
	for _, s := range p.Steps {
		if r, ok := s.Params.(plan.RotateDBPassword); ok {
			out[r.Component] = s
		}
	}
	return out
}

// The components' passwords are rotated only when asked, or to finish a rotation an interrupted run began, and
// only for users kfaws made.
func TestRotateDBPasswords(t *testing.T) {
	cfg := plantest.Config("us-west-2", plantest.ComponentUsers)
	made, recorded := plantest.ComponentUsersMade("aws", "us-west-2"), plantest.ComponentUsersRecorded()
	build := func(snap *observe.Snapshot, st state.State, o plan.Options) *plan.Plan {
		t.Helper()
		p, err := plan.BuildWith(cfg, snap, st, o)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if got := rotations(build(made, recorded, plan.Options{})); len(got) > 0 {
		t.Errorf("a plan not asked to rotate rotates %v", got)
	}
	if p, err := plan.Build(cfg, made, recorded); err != nil || len(rotations(p)) > 0 {
		t.Errorf("Build rotates: %v %v", err, p)
	}

	asked := build(made, recorded, plan.Options{RotateDBPasswords: true})
	got := rotations(asked)
	for _, c := range dbusers.All {
		s, ok := got[c.ID]
		if !ok {
			t.Errorf("%s: no rotation step", c.ID)
			continue
		}
		if p := s.Params.(plan.RotateDBPassword); p.User != c.UserName("admin") || p.SecretName != c.SecretName(cfg.RDS.SecretName) {
			t.Errorf("%s: rotation of %+v", c.ID, p)
		}
		for _, key := range []string{plan.KeyComponentUser(c.ID), plan.KeyComponentSecret(c.ID)} {
			if r, _ := asked.Resource(key); r.Action != plan.Update {
				t.Errorf("%s: %s %q, want update", key, r.Action, r.Detail)
			}
		}
	}

	pending := build(plantest.RotationPending("aws", "us-west-2"), recorded, plan.Options{})
	if got := rotations(pending); len(got) != 1 || got[dbusers.MLMD.ID].ID == "" {
		t.Errorf("a pending rotation of the MLMD user plans rotations %v, want that one only", got)
	}
	r, _ := pending.Resource(plan.KeyComponentUser(dbusers.MLMD.ID))
	if r.Action != plan.Update || !strings.Contains(r.Detail, "finish the password rotation an interrupted run began") {
		t.Errorf("user of MLMD with a pending rotation: %s %q", r.Action, r.Detail)
	}

	// A user the state does not record as kfaws's, or a secret not complete, is never rotated.
	unrecorded := state.State{Resources: map[string]state.Resource{}}
	if got := rotations(build(made, unrecorded, plan.Options{RotateDBPasswords: true})); len(got) > 0 {
		t.Errorf("users the state does not record are rotated: %v", got)
	}
	incomplete := plantest.RotationPending("aws", "us-west-2")
	sec := incomplete.ComponentSecrets[dbusers.MLMD.ID]
	sec.Complete = false
	incomplete.ComponentSecrets[dbusers.MLMD.ID] = sec
	if _, ok := rotations(build(incomplete, recorded, plan.Options{RotateDBPasswords: true}))[dbusers.MLMD.ID]; ok {
		t.Error("a user whose secret is not complete is rotated")
	}
}
