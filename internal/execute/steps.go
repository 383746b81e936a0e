package execute

import (
	"context"
	"fmt"

	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
)

// binder checks that a step carries the parameters of its implementation and returns the call that runs it.
type binder func(s plan.Step) (func(context.Context) error, error)

// steps maps every kind of step the plan can emit (plan.StepKinds) to its implementation, keyed by the kind of
// the parameters each implementation takes. Each is idempotent: run again after an interruption, it finishes
// the job instead of failing on what the first attempt already did.
func (e *Executor) steps() map[plan.StepKind]binder {
	m := map[plan.StepKind]binder{}
	register(m, e.registerOIDCProvider)
	register(m, e.createBucket)
	register(m, e.configureBucket)
	register(m, e.bucketTLSPolicy)
	register(m, e.createStaticKeys)
	register(m, e.createPolicy)
	register(m, e.updatePolicy)
	register(m, e.ensureRole)
	register(m, e.createSubnetGroup)
	register(m, e.createParameterGroup)
	register(m, e.setParameters)
	register(m, e.createSecurityGroup)
	register(m, e.admitMySQL)
	register(m, e.createRDSSecret)
	register(m, e.createInstance)
	register(m, e.modifyInstance)
	register(m, e.waitInstance)
	register(m, e.recordEndpoint)
	register(m, e.createAddon)
	register(m, e.configureAddon)
	register(m, e.createAssociation)
	register(m, e.updateAssociation)
	register(m, e.deleteAssociation)
	register(m, e.restoreSecret)
	register(m, e.storeGivenPassword)
	register(m, e.restoreInstance)
	register(m, e.setMasterPassword)
	register(m, e.createKMSKey)
	register(m, e.restoreKMSKey)
	register(m, e.encryptSecret)
	register(m, e.deleteKMSKey)
	register(m, e.ensureDBUser)
	register(m, e.rotateDBPassword)
	register(m, e.deleteAddon)
	register(m, e.deleteRole)
	register(m, e.deletePolicy)
	register(m, e.deleteInstance)
	register(m, e.deleteSubnetGroup)
	register(m, e.deleteParameterGroup)
	register(m, e.deleteSecurityGroup)
	register(m, e.deleteSecret)
	register(m, e.deleteBucket)
	return m
}

// register adds fn under the kind of its parameters.
func register[P plan.Params](m map[plan.StepKind]binder, fn func(context.Context, plan.Step, P) error) {
	var zero P
	m[zero.Kind()] = func(s plan.Step) (func(context.Context) error, error) {
		p, ok := s.Params.(P)
		if !ok {
			return nil, fmt.Errorf("step %q carries %T, not the parameters of a %s step", s.ID, s.Params, zero.Kind())
		}
		return func(ctx context.Context) error { return fn(ctx, s, p) }, nil
	}
}

// bind finds the implementation of s and binds it to the step's parameters.
func (e *Executor) bind(s plan.Step) (func(context.Context) error, error) {
	b, ok := e.steps()[s.Kind()]
	if !ok {
		return nil, fmt.Errorf("no implementation for step %q (kind %q)", s.ID, s.Kind())
	}
	return b(s)
}

// tags are the ownership tags every resource kfaws creates carries.
func (e *Executor) tags() []ownership.Tag { return ownership.Tags(e.Config.Name) }
