package execute

import (
	"context"
	"fmt"

	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
)

type stepFunc func(ctx context.Context, s plan.Step) error

// steps maps every kind of step the plan can emit (plan.StepKinds) to its implementation, keyed by the kind of
// the parameters each implementation takes. Each is idempotent: run again after an interruption, it finishes
// the job instead of failing on what the first attempt already did.
func (e *Executor) steps() map[plan.StepKind]stepFunc {
	m := map[plan.StepKind]stepFunc{}
	register(m, e.registerOIDCProvider)
	register(m, e.createBucket)
	register(m, e.configureBucket)
	register(m, e.createStaticKeys)
	register(m, e.createPolicy)
	register(m, e.ensureRole)
	register(m, e.createSubnetGroup)
	register(m, e.createParameterGroup)
	register(m, e.setParameters)
	register(m, e.createSecurityGroup)
	register(m, e.admitMySQL)
	register(m, e.createRDSSecret)
	register(m, e.createInstance)
	register(m, e.waitInstance)
	register(m, e.recordEndpoint)
	return m
}

// register adds fn under the kind of its parameters.
func register[P plan.Params](m map[plan.StepKind]stepFunc, fn func(context.Context, plan.Step, P) error) {
	var zero P
	m[zero.Kind()] = func(ctx context.Context, s plan.Step) error {
		p, ok := s.Params.(P)
		if !ok {
			return fmt.Errorf("step %q carries %T, not the parameters of a %s step", s.ID, s.Params, zero.Kind())
		}
		return fn(ctx, s, p)
	}
}

// tags are the ownership tags every resource kfaws creates carries.
func (e *Executor) tags() []ownership.Tag { return ownership.Tags(e.Config.Name) }
