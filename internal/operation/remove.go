package operation

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
)

// Remove deletes from the cluster exactly what this installation applied (the objects carrying its labels),
// then the CSI driver's EKS add-on when this installation created it.
type Remove struct {
	*Configuration
	// DeleteShared also deletes kfaws's namespaces and CRDs that others still use.
	DeleteShared bool
	// CleanGuideLeftovers also deletes the dangling Knative webhook configurations and training-operator
	// Endpoints the reference guide's uninstall deletes by hand; kfaws never created them.
	CleanGuideLeftovers bool
	Timeout             time.Duration
	Progress            io.Writer
}

// RemoveResult says what Remove deleted and what it left.
type RemoveResult struct {
	Objects *apply.RemoveResult
	// Addon is what happened to the EKS add-on: "deleted", "absent", "not created by kfaws", or "" when it was
	// not looked at.
	Addon string
}

// Target describes what Remove would delete, for a confirmation prompt: the label selector and the cluster.
func (r *Remove) Target() (selector, host string, err error) {
	if err := apply.CheckInstallation(r.Config.Name); err != nil {
		return "", "", badInput(fmt.Errorf("%w: pass --name or --cluster, or use --config", err))
	}
	k, err := r.KubeClient()
	if err != nil {
		return "", "", badInput(err)
	}
	return apply.Selector(r.Config.Name), k.Config.Host, nil
}

// Run deletes the installation's objects, then its add-on. Without AWS access in auto mode the add-on is
// reported as unchecked (a warning on Progress), not as a failure.
func (r *Remove) Run(ctx context.Context) (*RemoveResult, error) {
	if _, _, err := r.Target(); err != nil {
		return nil, err
	}
	k, _ := r.KubeClient()
	progress := r.Progress
	if progress == nil {
		progress = io.Discard
	}
	rm := &apply.Remover{Client: k, Installation: r.Config.Name, DeleteShared: r.DeleteShared,
		CleanGuideLeftovers: r.CleanGuideLeftovers, Timeout: r.Timeout, Progress: progress}
	objs, err := rm.Remove(ctx)
	res := &RemoveResult{Objects: objs}
	if err != nil {
		return res, err
	}
	mode := r.Config.CSIDriver
	if (mode != "" && !mode.UsesAddon()) || r.Config.Cluster == "" || r.Config.Region == "" {
		return res, nil
	}
	rec := r.State.Snapshot().Resources[plan.KeyCSIAddon]
	got, err := csidriver.RemoveAddon(ctx, r.AWS.EKS, r.Config.Cluster, r.Config.Name,
		ownership.Record{ID: rec.ID, ARN: rec.ARN, Owned: rec.Owned}, r.Timeout)
	if err == nil {
		res.Addon = got
		fmt.Fprintf(progress, "✓ EKS add-on %s: %s\n", csidriver.AddonName, got)
		return res, nil
	}
	if mode == config.CSIAddon {
		return res, err
	}
	fmt.Fprintf(progress, "! could not check the EKS add-on %s (%v); delete it yourself if kfaws created it\n",
		csidriver.AddonName, err)
	return res, nil
}
