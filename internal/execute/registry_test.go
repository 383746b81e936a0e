package execute

import (
	"slices"
	"testing"

	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/plan/plantest"
)

// Execute implements exactly the kinds plan lists, and every step of plans that reach every branch binds to its
// implementation with the parameters it carries.
func TestEveryStepKindHasAnImplementation(t *testing.T) {
	e := &Executor{}
	registry := e.steps()
	for _, k := range plan.StepKinds() {
		if _, ok := registry[k]; !ok {
			t.Errorf("plan can emit %s steps, execute has no implementation", k)
		}
	}
	for k := range registry {
		if !slices.Contains(plan.StepKinds(), k) {
			t.Errorf("execute implements %s, which plan does not list", k)
		}
	}
	for _, sc := range append(plantest.Scenarios(), plantest.ScenariosIn("aws-us-gov", "us-gov-west-1")...) {
		p, err := plan.Build(sc.Config, sc.Snapshot, sc.Recorded)
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		for _, s := range p.Steps {
			if _, err := e.bind(s); err != nil {
				t.Errorf("%s: %v", sc.Name, err)
			}
		}
	}
	for _, td := range plantest.Teardowns("aws", "us-west-2") {
		p := plan.BuildDown(td.Config, td.Snapshot, td.Recorded, plan.DownOptions{DeleteData: td.DeleteData, FinalSnapshot: td.FinalSnapshot})
		for _, s := range p.Steps {
			if _, err := e.bind(s); err != nil {
				t.Errorf("%s: %v", td.Name, err)
			}
		}
	}
}

func TestStepWithWrongParamsIsRefused(t *testing.T) {
	s := plan.Step{ID: "s3/bucket:create", Params: plan.ConfigureBucket{Bucket: "b"}}
	registry := (&Executor{}).steps()
	if _, err := registry[plan.KindCreateBucket](s); err == nil {
		t.Error("a create-bucket implementation accepted configure-bucket params")
	}
	if _, err := (&Executor{}).bind(plan.Step{ID: "x"}); err == nil {
		t.Error("a step without params was bound")
	}
}
