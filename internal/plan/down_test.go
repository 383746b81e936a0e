package plan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/plan/plantest"
	"github.com/kfaws/kfaws/internal/state"
)

// A teardown deletes what the installation's tag or the state's record of that very resource says is its own,
// keeps the rest, and keeps the bucket unless told to delete the data.
func TestDownDeletesOnlyWhatIsOwned(t *testing.T) {
	snap, recorded := plantest.Everything("aws", "us-west-2")
	snap.Instance.Presence = observe.Presence{Exists: true}                                         // the user's instance
	snap.RDSSecret.Presence = observe.Presence{Exists: true, Installation: "staging"}               // another installation's
	snap.SubnetGroup.Presence = observe.Presence{Exists: true, Installation: plantest.Installation} // tagged ours
	cfg := plantest.Config("us-west-2")
	p := plan.BuildDown(cfg, snap, recorded, plan.DownOptions{FinalSnapshot: "prod-final"})
	want := map[string]plan.Action{
		plan.KeyOIDCProvider: plan.Keep, plan.KeyBucket: plan.Keep, plan.KeyInstance: plan.Keep, plan.KeyRDSSecret: plan.Keep,
		plan.KeySubnetGroup: plan.Delete, plan.KeyS3Policy: plan.Delete, plan.KeyBackendRole: plan.Delete,
		"rds/security-group@old-db-sg": plan.Delete, plan.KeyCSIAddon: plan.Delete,
	}
	for key, action := range want {
		r, ok := p.Resource(key)
		if !ok || r.Action != action {
			t.Errorf("%s: got %+v, want %s", key, r, action)
		}
	}
	if r, _ := p.Resource(plan.KeyRDSSecret); !strings.Contains(r.Detail, `"staging"`) {
		t.Errorf("another installation's secret: detail %q does not name it", r.Detail)
	}
	if r, _ := p.Resource(plan.KeyBucket); !strings.Contains(r.Detail, "--delete-data") {
		t.Errorf("bucket kept without saying how to delete it: %q", r.Detail)
	}
	for _, s := range p.Steps {
		if s.Resource == plan.KeyInstance || s.Resource == plan.KeyRDSSecret || s.Resource == plan.KeyBucket {
			t.Errorf("step %s deletes what the teardown keeps", s.ID)
		}
	}
	if sum := p.Summary(); sum.Create+sum.Update+sum.Conflict != 0 || sum.Delete == 0 || sum.Keep != 4 {
		t.Errorf("summary %+v", sum)
	}
}

// Deletions run in the order AWS requires: roles before the policy attached to them, the instance before its
// groups and its secret.
func TestDownOrder(t *testing.T) {
	snap, recorded := plantest.Everything("aws", "us-west-2")
	p := plan.BuildDown(plantest.Config("us-west-2"), snap, recorded, plan.DownOptions{DeleteData: true, FinalSnapshot: "f"})
	steps := map[string]plan.Step{}
	for _, s := range p.Steps {
		steps[s.Resource] = s
	}
	after := func(key string, deps ...string) {
		for _, d := range deps {
			if !slices.Contains(steps[key].After, steps[d].ID) {
				t.Errorf("%s does not wait for %s: after %v", key, d, steps[key].After)
			}
		}
	}
	after(plan.KeyS3Policy, plan.KeyBackendRole, plan.KeyProfileRole, plan.KeySecretsRole)
	for _, k := range []string{plan.KeySubnetGroup, plan.KeyParameterGroup, plan.KeySecurityGroup, plan.KeyRDSSecret} {
		after(k, plan.KeyInstance)
	}
	if d := steps[plan.KeyInstance].Params.(plan.DeleteInstance); d.FinalSnapshot != "f" {
		t.Errorf("instance deletion %+v does not take the final snapshot", d)
	}
	if _, ok := steps[plan.KeyBucket]; !ok {
		t.Error("--delete-data did not delete the bucket")
	}
	if sg := steps["rds/security-group@old-db-sg"].Params.(plan.DeleteSecurityGroup); sg.ID != "sg-old" {
		t.Errorf("orphaned group deleted by %+v, not by its recorded id", sg)
	}
}

// Nothing is deleted when nothing is there, and a secret already scheduled for deletion is not asked again.
func TestDownOfNothing(t *testing.T) {
	p := plan.BuildDown(plantest.Config("us-west-2"), plantest.Fresh("aws", "us-west-2"), state.State{}, plan.DownOptions{})
	if len(p.Steps) != 0 || len(p.Resources) != 0 {
		t.Errorf("teardown of nothing: %+v", p)
	}
	snap := plantest.Fresh("aws", "us-west-2")
	snap.RDSSecret = observe.Secret{Presence: observe.Presence{Exists: true, Installation: plantest.Installation}, Deleted: true}
	p = plan.BuildDown(plantest.Config("us-west-2"), snap, state.State{}, plan.DownOptions{})
	if r, _ := p.Resource(plan.KeyRDSSecret); r.Action != plan.Delete || len(p.Steps) != 0 {
		t.Errorf("scheduled secret: %+v, steps %v", r, p.Steps)
	}
}
