package operation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/execute"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// Down tears an installation down: first what it applied on the cluster (so nothing there keeps using the
// database or the bucket), then what it created in AWS. What it did not create is kept, and so is the bucket
// unless DeleteData; the instance goes with a final snapshot unless SkipFinalSnapshot.
type Down struct {
	*Configuration
	Reporter execute.Reporter
	// DeleteData empties and deletes the bucket kfaws created.
	DeleteData bool
	// SkipFinalSnapshot deletes the instance without a final snapshot.
	SkipFinalSnapshot bool
	// ForceDeleteSecrets deletes secrets at once instead of after Secrets Manager's 7-day recovery window.
	ForceDeleteSecrets bool
	// DeleteAdopted deletes what kfaws adopt recorded too (the bucket still only with DeleteData).
	DeleteAdopted bool
	// SkipCluster leaves the cluster alone: it is gone, or its objects were removed another way.
	SkipCluster bool
	// DryRun plans and stops; nothing is changed.
	DryRun bool
	// Timeout bounds the removal from the cluster.
	Timeout time.Duration
	// Progress receives the cluster half's lines.
	Progress io.Writer
	// PollInterval is how often the waits poll; 0 for the default.
	PollInterval time.Duration
	// InstanceTimeout bounds the wait for the DB instance's deletion; 0 for execute.DefaultInstanceTimeout.
	InstanceTimeout time.Duration
	// Now gives the time the final snapshot is named after; nil means time.Now.
	Now func() time.Time
	// Confirm, when set, sees the teardown before any change, with the state lock held; false stops it with
	// ErrNotConfirmed and nothing changed.
	Confirm func(*DownResult) bool
}

// ErrNotConfirmed is Down's error when Confirm declined.
var ErrNotConfirmed = errors.New("teardown not confirmed; nothing was deleted")

// DownResult says what Down decided and did.
type DownResult struct {
	Plan     *plan.Plan
	Snapshot *observe.Snapshot
	// ClusterHost is the API server the cluster half removes from, "" with SkipCluster.
	ClusterHost string
	// ClusterObjects are the objects labelled with the installation's labels, found before any change; Remove
	// deletes them, except namespaces and CRDs others still use.
	ClusterObjects []apply.Ref
	// Cluster is what was removed from the cluster; nil when the cluster half did not run.
	Cluster *apply.RemoveResult
	// FinalSnapshot names the DB snapshot RDS took of the deleted instance, "" when none.
	FinalSnapshot string
	// Changed is false when there was nothing to delete (records of resources already gone are still dropped).
	Changed bool
}

// downCommand is how down names itself in the state lock.
const downCommand = "kfaws down"

// Run plans the teardown and, unless DryRun, carries it out. It holds the state lock throughout. A cluster that
// cannot be reached stops it before any change, unless SkipCluster.
func (d *Down) Run(ctx context.Context) (*DownResult, error) {
	lock, err := d.State.Lock(downCommand)
	if err != nil {
		return nil, badInput(err)
	}
	defer func() {
		if err := lock.Release(); err != nil {
			d.logger().Warn("releasing the state lock", "error", err)
		}
	}()
	recorded := d.State.Snapshot()
	profiles := d.profiles(ctx)
	o := &observe.Observer{AWS: d.AWS, Config: d.Config, Recorded: plan.Formers(d.Config, recorded),
		PodIdentity: plan.ObservesPodIdentity(d.Config, recorded), RecordedKey: plan.RecordedKey(recorded), FindCreatedKey: plan.RecordsKeyIntent(recorded),
		Profiles: profiles, ProfileRoles: plan.ProfileRolesToObserve(d.Config, profiles, recorded)}
	d.logger().Info("observing AWS", "region", d.Config.Region, "cluster", d.Config.Cluster)
	snap, err := o.Observe(ctx)
	if err != nil {
		return nil, err
	}
	opts := plan.DownOptions{DeleteData: d.DeleteData, ForceDeleteSecrets: d.ForceDeleteSecrets, DeleteAdopted: d.DeleteAdopted}
	if !d.SkipFinalSnapshot {
		opts.FinalSnapshot = d.finalSnapshotName(recorded, snap)
	}
	p := plan.BuildDown(d.Config, snap, recorded, opts)
	res := &DownResult{Plan: p, Snapshot: snap, Changed: len(p.Steps) > 0}
	if _, ok := deletes(p, plan.KeyInstance); ok {
		res.FinalSnapshot = opts.FinalSnapshot
	}
	var remover *apply.Remover
	if !d.SkipCluster {
		if remover, err = d.remover(); err != nil {
			return res, err
		}
		res.ClusterHost = remover.Client.Config.Host
		found, err := apply.Labelled(ctx, remover.Client, d.Config.Name)
		if err != nil {
			return res, err
		}
		for _, f := range found {
			res.ClusterObjects = append(res.ClusterObjects, f.Ref())
		}
		res.Changed = res.Changed || len(found) > 0
	}
	if d.DryRun || !res.Changed && len(p.Forget) == 0 {
		return res, nil
	}
	// Records of resources already gone are dropped without asking: that deletes nothing.
	if res.Changed && d.Confirm != nil && !d.Confirm(res) {
		return res, badInput(ErrNotConfirmed)
	}
	if remover != nil && len(res.ClusterObjects) > 0 {
		if res.Cluster, err = remover.Remove(ctx); err != nil {
			return res, fmt.Errorf("removing the installation from the cluster (nothing in AWS was deleted yet): %w", err)
		}
	}
	if res.FinalSnapshot != "" {
		// Recorded before the delete call: a resumed teardown waits for this snapshot instead of naming another.
		if err := d.State.Update(func(st *state.State) { st.Outputs.FinalSnapshot = res.FinalSnapshot }); err != nil {
			return res, err
		}
	}
	ex := &execute.Executor{AWS: d.AWS, Config: d.Config, Plan: p, Snapshot: snap, State: d.State,
		Reporter: d.Reporter, Log: d.logger(), PollInterval: d.PollInterval, InstanceTimeout: d.InstanceTimeout}
	return res, ex.Run(ctx)
}

// remover is the cluster half, checked before anything is deleted: a cluster that cannot be reached is bad input
// the user resolves (a kubeconfig, --context, or --skip-cluster when it is gone).
func (d *Down) remover() (*apply.Remover, error) {
	if err := apply.CheckInstallation(d.Config.Name); err != nil {
		return nil, badInput(err)
	}
	k, err := d.KubeClient()
	if err != nil {
		return nil, badInput(fmt.Errorf("%w; pass --skip-cluster to tear down only what kfaws created in AWS "+
			"(what it applied on the cluster then stays, and fails once the database is gone)", err))
	}
	if _, err := k.Discovery.ServerVersion(); err != nil {
		return nil, badInput(fmt.Errorf("cannot reach the cluster at %s (%w); check --kubeconfig and --context, or pass "+
			"--skip-cluster when the cluster is gone", k.Config.Host, err))
	}
	progress := d.Progress
	if progress == nil {
		progress = io.Discard
	}
	return &apply.Remover{Client: k, Installation: d.Config.Name, Timeout: d.Timeout, Progress: progress}, nil
}

// finalSnapshotName is the snapshot a teardown interrupted after its delete call already asked for while that
// instance is still there, else a new name from the instance's and the time (RDS snapshot names are unique in
// the account and region).
func (d *Down) finalSnapshotName(recorded state.State, snap *observe.Snapshot) string {
	if prev := recorded.Outputs.FinalSnapshot; prev != "" && snap.Instance.Status == "deleting" {
		return prev
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	return fmt.Sprintf("%s-final-%s", d.Config.RDS.InstanceName, now().UTC().Format("20060102-150405"))
}

// deletes reports whether the teardown plan deletes the resource key.
func deletes(p *plan.Plan, key string) (plan.Resource, bool) {
	r, ok := p.Resource(key)
	return r, ok && r.Action == plan.Delete
}
