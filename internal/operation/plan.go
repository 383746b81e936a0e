package operation

import (
	"context"
	"fmt"
	"strings"

	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
)

// Plan observes AWS and decides what `up` would do. It changes nothing.
type Plan struct {
	*Configuration
}

// PlanResult is a plan with the snapshot it was made from.
type PlanResult struct {
	Plan     *plan.Plan
	Snapshot *observe.Snapshot
}

// Run observes and plans.
func (p *Plan) Run(ctx context.Context) (*PlanResult, error) {
	recorded := p.State.Snapshot()
	// What the state records under names the configuration no longer gives is read too, so the plan can say
	// what happens to it.
	o := &observe.Observer{AWS: p.AWS, Config: p.Config, Recorded: plan.Formers(p.Config, recorded)}
	p.logger().Info("observing AWS", "region", p.Config.Region, "cluster", p.Config.Cluster)
	snap, err := o.Observe(ctx)
	if err != nil {
		return nil, err
	}
	pl, err := plan.Build(p.Config, snap, recorded)
	if err != nil {
		return nil, err
	}
	return &PlanResult{Plan: pl, Snapshot: snap}, nil
}

// ConflictError lists the resources that stop `up`; nothing was changed.
type ConflictError struct {
	Conflicts []plan.Resource
	// Renames are the fields to change, and the values to change them to, to leave the resources of other
	// installations alone (plan.Plan.Renames); the CLI turns them into a command.
	Renames []plan.Rename
}

func (e *ConflictError) Error() string {
	lines := []string{fmt.Sprintf("%d resource(s) conflict; nothing was changed:", len(e.Conflicts))}
	for _, r := range e.Conflicts {
		lines = append(lines, fmt.Sprintf("  - %s %q: %s", r.Kind, r.Name, r.Detail))
	}
	return strings.Join(lines, "\n")
}
