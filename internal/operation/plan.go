package operation

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
)

// Plan observes AWS and decides what `up` would do. It changes nothing.
type Plan struct {
	*Configuration
	// FromSnapshot names a DB snapshot to restore the DB instance from when up creates it; "" for none.
	FromSnapshot string
	// RotateDBPasswords plans new passwords for the database users kfaws created per component
	// (plan.Options.RotateDBPasswords); it is bad input when rds.componentUsers is off.
	RotateDBPasswords bool
}

// PlanResult is a plan with the snapshot it was made from.
type PlanResult struct {
	Plan     *plan.Plan
	Snapshot *observe.Snapshot
}

// Run observes and plans.
func (p *Plan) Run(ctx context.Context) (*PlanResult, error) {
	if err := checkFromSnapshot(p.FromSnapshot, p.Config.Option.UsesRDS()); err != nil {
		return nil, badInput(err)
	}
	if err := checkRotate(p.RotateDBPasswords, p.Config.UsesComponentUsers()); err != nil {
		return nil, badInput(err)
	}
	recorded := p.State.Snapshot()
	// What the state records under names the configuration no longer gives is read too, so the plan can say
	// what happens to it.
	profiles := p.profiles(ctx)
	o := &observe.Observer{AWS: p.AWS, Config: p.Config, Recorded: plan.Formers(p.Config, recorded), FromSnapshot: p.FromSnapshot,
		PodIdentity: plan.ObservesPodIdentity(p.Config, recorded), RecordedKey: plan.RecordedKey(recorded), FindCreatedKey: plan.RecordsKeyIntent(recorded),
		Profiles: profiles, ProfileRoles: plan.ProfileRolesToObserve(p.Config, profiles, recorded)}
	p.logger().Info("observing AWS", "region", p.Config.Region, "cluster", p.Config.Cluster)
	snap, err := o.Observe(ctx)
	if err != nil {
		return nil, err
	}
	pl, err := plan.BuildWith(p.Config, snap, recorded, plan.Options{RotateDBPasswords: p.RotateDBPasswords})
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

// snapshotName is RDS's rule for a DB snapshot identifier: a letter, then letters, digits and single hyphens,
// not ending with one, at most 255 characters.
var snapshotName = regexp.MustCompile(`^[A-Za-z](-?[A-Za-z0-9])*$`)

// checkFromSnapshot refuses a snapshot name RDS would refuse, or one given where up creates no DB instance.
func checkFromSnapshot(name string, usesRDS bool) error {
	switch {
	case name == "":
		return nil
	case !usesRDS:
		return fmt.Errorf("--from-snapshot %q: the option creates no DB instance to restore; use option rds-s3 or rds-only", name)
	case strings.HasPrefix(name, "arn:"): // a snapshot shared from another account is named by its ARN
		return nil
	case len(name) > 255 || !snapshotName.MatchString(name):
		return fmt.Errorf("--from-snapshot %q is not a DB snapshot identifier (a letter, then letters, digits and single hyphens, "+
			"not ending with one, at most 255 characters)", name)
	}
	return nil
}
