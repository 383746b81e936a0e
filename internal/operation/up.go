package operation

import (
	"context"
	"time"

	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/execute"
)

// Up provisions the AWS side of an installation: it plans, refuses on any conflict, then runs the plan.
type Up struct {
	*Configuration
	Reporter execute.Reporter
	// PollInterval is how often the RDS wait polls; 0 for the default.
	PollInterval time.Duration
	// InstanceTimeout bounds the wait for the DB instance; 0 for execute.DefaultInstanceTimeout.
	InstanceTimeout time.Duration
	// Sequential runs one step at a time, as the reference script does (for comparison).
	Sequential bool
	// ApplyImmediately has RDS apply modifications of the instance now instead of at its next maintenance window.
	ApplyImmediately bool
	// Cluster, when set, renders the manifests with the provisioned values and applies them after AWS.
	Cluster *ClusterUp
	// DB chooses how the login that tests a given master password reaches an existing instance, as verify's
	// DB does; the relay path uses the Kubernetes client when there is one.
	DB dbaccess.Options
	// SkipPasswordCheck records a given master password for an existing instance without logging in with it.
	SkipPasswordCheck bool
	// FromSnapshot names a DB snapshot to restore the DB instance from when up creates it (Plan.FromSnapshot).
	FromSnapshot string
	// RotateDBPasswords gives every database user kfaws created per component a new password (Plan.RotateDBPasswords).
	RotateDBPasswords bool
}

// UpResult says what Up did.
type UpResult struct {
	*PlanResult
	// Changed is false when the plan had nothing to do.
	Changed bool
	// Render and Apply are the cluster half's results, when Cluster was set and AWS succeeded.
	Render *RenderResult
	Apply  *ApplyResult
	// RotatedDBPasswords are the components (dbusers IDs) whose user got a new password in this run, asked for or
	// finishing an interrupted rotation: their running pods and synced Kubernetes Secrets still hold the old one.
	RotatedDBPasswords []string
}

// upCommand is how up names itself in the state lock, for the message a refused run prints.
const upCommand = "kfaws up"

// Run plans and executes. With conflicts it returns a *ConflictError before any change; a master password given
// for an existing instance is tested by logging in before any change, and refused as bad input when it fails. It holds the state
// file's lock from before planning to its return, whatever ends it; a state locked by another run is refused as
// bad input (a *state.LockedError inside), before any AWS call.
func (u *Up) Run(ctx context.Context) (*UpResult, error) {
	lock, err := u.State.Lock(upCommand)
	if err != nil {
		return nil, badInput(err)
	}
	defer func() {
		if err := lock.Release(); err != nil {
			u.logger().Warn("releasing the state lock", "error", err)
		}
	}()
	if h := lock.TookOver; h != nil {
		u.logger().Warn("took over the state lock of a run that is gone", "holder", h.String(), "lock", lock.Path())
	}
	pr, err := (&Plan{Configuration: u.Configuration, FromSnapshot: u.FromSnapshot, RotateDBPasswords: u.RotateDBPasswords}).Run(ctx)
	if err != nil {
		return nil, err
	}
	res := &UpResult{PlanResult: pr}
	if c := pr.Plan.Conflicts(); len(c) > 0 {
		return res, &ConflictError{Conflicts: c, Renames: pr.Plan.Renames}
	}
	if c := pr.Plan.LoginCheck; c != nil {
		if err := u.checkGivenPassword(ctx, c); err != nil {
			return res, err
		}
	}
	if u.Cluster != nil {
		if err := u.Cluster.preflight(ctx, u.Configuration, pr.Plan, u.State.Snapshot().Outputs); err != nil {
			return res, err
		}
	}
	rotated := &rotations{Reporter: u.Reporter}
	ex := &execute.Executor{
		AWS: u.AWS, Config: u.Config, Plan: pr.Plan, Snapshot: pr.Snapshot, State: u.State,
		Reporter: rotated, Log: u.logger(), PollInterval: u.PollInterval, InstanceTimeout: u.InstanceTimeout,
		Sequential: u.Sequential, ApplyImmediately: u.ApplyImmediately, OpenDB: u.openDB,
	}
	res.Changed = pr.Plan.HasChanges()
	err = ex.Run(ctx)
	res.RotatedDBPasswords = rotated.components()
	if err != nil {
		return res, dbUsersError(err)
	}
	if u.Cluster != nil {
		res.Render, res.Apply, err = u.Cluster.run(ctx, u.Configuration, u.State.Snapshot().Outputs)
	}
	return res, err
}
