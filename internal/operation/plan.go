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
	o := &observe.Observer{AWS: p.AWS, Config: p.Config}
	p.logger().Info("observing AWS", "region", p.Config.Region, "cluster", p.Config.Cluster)
	snap, err := o.Observe(ctx)
	if err != nil {
		return nil, err
	}
	pl, err := plan.Build(p.Config, snap, p.State.Snapshot())
	if err != nil {
		return nil, err
	}
	return &PlanResult{Plan: pl, Snapshot: snap}, nil
}

// ConflictError lists the resources that stop `up`; nothing was changed.
type ConflictError struct {
	Conflicts []plan.Resource
}

func (e *ConflictError) Error() string {
	lines := []string{fmt.Sprintf("%d resource(s) conflict; nothing was changed:", len(e.Conflicts))}
	for _, r := range e.Conflicts {
		lines = append(lines, fmt.Sprintf("  - %s %q: %s", r.Kind, r.Name, r.Detail))
	}
	return strings.Join(lines, "\n")
}
