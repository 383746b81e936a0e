package operation

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/render"
	"github.com/kfaws/kfaws/internal/state"
)

// CSISkip leaves the Secrets Store CSI driver to the user.
const CSISkip = "skip"

// Apply installs the Secrets Store CSI driver and applies Kubeflow's objects to the cluster in stages, after a
// pre-flight that changes nothing.
type Apply struct {
	Config  *config.Config
	Kube    *kube.Client
	Objects []*unstructured.Unstructured
	// CSI is a csidriver.Method or CSISkip; empty means csidriver.Auto.
	CSI string
	// EKS enables the EKS add-on path for the CSI driver; nil means the objects kfaws carries.
	EKS            csidriver.AddonAPI
	ImageRegistry  string
	ForceConflicts bool
	Adopt          bool
	Wait           bool
	Timeout        time.Duration
	// Progress receives one line per object as it becomes ready; nil discards.
	Progress io.Writer
	Log      *slog.Logger
}

// ApplyResult is what Apply did: the CSI driver's installation (nil when skipped) and Kubeflow's objects.
type ApplyResult struct {
	CSI     *csidriver.Result
	Objects *apply.Result
}

// Run checks the cluster, installs the CSI driver and applies the objects.
func (a *Apply) Run(ctx context.Context) (*ApplyResult, error) {
	if err := apply.CheckInstallation(a.Config.Name); err != nil {
		return nil, err
	}
	progress, log := a.Progress, a.Log
	if progress == nil {
		progress = io.Discard
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var provided []*unstructured.Unstructured
	if a.CSI != CSISkip {
		objs, err := csidriver.Objects(a.ImageRegistry)
		if err != nil {
			return nil, err
		}
		provided = objs
	}
	if err := apply.Preflight(ctx, a.Kube, a.Objects, provided...); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "✓ pre-flight: %d objects for installation %q on %s\n", len(a.Objects), a.Config.Name, a.Kube.Config.Host)
	res := &ApplyResult{}
	if a.CSI != CSISkip {
		in := &csidriver.Installer{
			Client: a.Kube, Installation: a.Config.Name, Method: csidriver.Method(a.CSI), EKS: a.EKS,
			ClusterName: a.Config.Cluster, ImageRegistry: a.ImageRegistry, ForceConflicts: a.ForceConflicts,
			Adopt: a.Adopt, Wait: a.Wait, Timeout: a.Timeout, Progress: progress, Log: log,
		}
		csi, err := in.Run(ctx)
		res.CSI = csi
		if err != nil {
			return res, err
		}
	}
	ap := &apply.Applier{Client: a.Kube, Installation: a.Config.Name, ForceConflicts: a.ForceConflicts,
		Adopt: a.Adopt, Wait: a.Wait, Timeout: a.Timeout, Progress: progress, Log: log}
	objs, err := ap.Apply(ctx, a.Objects)
	res.Objects = objs
	return res, err
}

// RenderObjects renders a manifests checkout with the values of cfg and its state (overridden by over) and
// returns the built objects, ready for Apply.
func RenderObjects(ctx context.Context, r *render.Render, cfg *config.Config, outputs state.Outputs, over render.Overrides) ([]*unstructured.Unstructured, *render.Result, error) {
	vals, err := render.NewValues(cfg, outputs, over)
	if err != nil {
		return nil, nil, &ValuesError{Option: string(cfg.Option), Err: err}
	}
	r.Values = vals
	res, err := r.Run(ctx)
	if err != nil {
		return nil, res, err
	}
	data, err := res.YAML()
	if err != nil {
		return nil, res, err
	}
	objs, err := apply.Decode(strings.NewReader(string(data)), "rendered manifests")
	return objs, res, err
}

// ValuesError says a value the option needs is missing; it is bad input, not a failure.
type ValuesError struct {
	Option string
	Err    error
}

func (e *ValuesError) Error() string {
	return fmt.Sprintf("values for option %q (run kfaws up first, or give them as flags):\n%v", e.Option, e.Err)
}

func (e *ValuesError) Unwrap() error { return e.Err }
