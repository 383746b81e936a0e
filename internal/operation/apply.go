package operation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// CSIImages lists the CSI driver's images as pulled from registry ("" for their own registries), for mirroring.
func CSIImages(registry string) []string {
	var out []string
	for _, img := range csidriver.Images() {
		out = append(out, img.Ref(registry))
	}
	return out
}

// Apply installs the Secrets Store CSI driver and applies Kubeflow's objects to the cluster in stages, after a
// pre-flight that changes nothing. The objects come from exactly one of Render (a manifests checkout rendered
// with the installation's values), Filename ("-" reads Stdin) and Objects.
type Apply struct {
	*Configuration
	Render   *Render
	Filename string
	Stdin    io.Reader
	Objects  []*unstructured.Unstructured
	// ImageRegistry replaces the CSI driver's image registries (the manifests path; csiDriver in the config says
	// how the driver is installed).
	ImageRegistry  string
	ForceConflicts bool
	Adopt          bool
	Wait           bool
	Timeout        time.Duration
	// Progress receives one line per object as it becomes ready; nil discards.
	Progress io.Writer
	// SkipUpgradeSnapshot applies a change of KFP version without snapshotting the RDS instance first.
	SkipUpgradeSnapshot bool
	// AllowDowngrade applies manifests whose KFP is older than the running one (after the database was restored
	// to their schema); otherwise they are refused.
	AllowDowngrade bool
	// SnapshotPollInterval is how often the snapshot's status is read; 0 for the default.
	SnapshotPollInterval time.Duration
}

// ApplyResult is what Apply did: the DB snapshot taken before a change of KFP version, the CSI driver's
// installation (nil when skipped) and Kubeflow's objects.
type ApplyResult struct {
	// UpgradeSnapshot names the RDS snapshot taken before the apply, "" when none was.
	UpgradeSnapshot string
	// RefreshedLaunchers are the profile namespaces whose kfp-launcher ConfigMap, written by kfaws's profile hook
	// before profiles were confined, was deleted so the hook writes it again with the profile's own root.
	RefreshedLaunchers []string
	CSI                *csidriver.Result
	Objects            *apply.Result
}

// Results of applying one object, as ApplyResult reports them.
type (
	ObjectsResult = apply.Result
	ObjectAction  = apply.Action
)

// The actions per object.
const (
	Created    = apply.Created
	Configured = apply.Configured
	Unchanged  = apply.Unchanged
	Kept       = apply.Kept
	Patched    = apply.Patched
)

// Run checks the cluster, snapshots the RDS instance when KFP's version changes (refusing an older one), installs
// the CSI driver and applies the objects.
func (a *Apply) Run(ctx context.Context) (*ApplyResult, error) {
	if err := a.checkInstallation(); err != nil {
		return nil, err
	}
	k, err := a.cluster()
	if err != nil {
		return nil, err
	}
	objs, err := a.input(ctx)
	if err != nil {
		return nil, err
	}
	a.Objects = objs
	if err := a.preflight(ctx, k, objs); err != nil {
		return nil, err
	}
	progress := a.progress()
	fmt.Fprintf(progress, "✓ pre-flight: %d objects for installation %q on %s\n", len(objs), a.Config.Name, k.Config.Host)
	res := &ApplyResult{}
	if res.UpgradeSnapshot, err = a.protectData(ctx, k, objs); err != nil {
		return nil, err
	}
	if a.csi() != config.CSISkip {
		in := &csidriver.Installer{
			Client: k, Installation: a.Config.Name, Method: csidriver.Method(a.csi()), EKS: a.eks(),
			ClusterName: a.Config.Cluster, ImageRegistry: a.ImageRegistry, ForceConflicts: a.ForceConflicts,
			Adopt: a.Adopt, Wait: a.Wait, Timeout: a.Timeout, Progress: progress, Log: a.logger(),
		}
		csi, err := in.Run(ctx)
		res.CSI = csi
		if err != nil {
			return res, err
		}
	}
	ap := &apply.Applier{Client: k, Installation: a.Config.Name, ForceConflicts: a.ForceConflicts,
		Adopt: a.Adopt, Wait: a.Wait, Timeout: a.Timeout, Progress: progress, Log: a.logger()}
	objRes, err := ap.Apply(ctx, objs)
	res.Objects = objRes
	if err != nil {
		return res, err
	}
	if bucket := a.confinedBucket(); bucket != "" {
		res.RefreshedLaunchers, err = apply.RefreshLaunchers(ctx, k, func(ns string) string { return kubeflow.ProfilePipelineRoot(bucket, ns) })
		for _, ns := range res.RefreshedLaunchers {
			fmt.Fprintf(progress, "✓ profile %s: kfp-launcher written before profiles were confined; deleted so the profile hook writes it again\n", ns)
		}
	}
	return res, err
}

// confinedBucket is the bucket when every profile's role reaches only its own prefix (up recorded per-profile
// roles), "" otherwise: static keys reach the whole bucket, so an older pipeline root still works with them.
func (a *Apply) confinedBucket() string {
	if a.State == nil {
		return ""
	}
	out := a.State.Snapshot().Outputs
	if !a.Config.Option.UsesS3() || len(out.ProfileRoleARNs) == 0 || a.Config.S3.Credentials == config.CredentialsStatic {
		return ""
	}
	if out.Bucket != "" {
		return out.Bucket
	}
	return a.Config.S3.Bucket
}

// checkInstallation refuses an installation name that cannot label Kubernetes objects.
func (a *Apply) checkInstallation() error {
	if err := apply.CheckInstallation(a.Config.Name); err != nil {
		return badInput(fmt.Errorf("%w: pass --name or --cluster, or use --config", err))
	}
	return nil
}

// cluster returns the Kubernetes client; a kubeconfig that cannot be loaded is bad input.
func (a *Apply) cluster() (*kube.Client, error) {
	k, err := a.KubeClient()
	if err != nil {
		return nil, badInput(err)
	}
	return k, nil
}

// input reads the objects from the one source given.
func (a *Apply) input(ctx context.Context) ([]*unstructured.Unstructured, error) {
	sources := 0
	for _, given := range []bool{a.Render != nil, a.Filename != "", a.Objects != nil} {
		if given {
			sources++
		}
	}
	if sources != 1 {
		return nil, badInput(errors.New("give exactly one of --manifests DIR (render a checkout) and --filename FILE|- (apply YAML)"))
	}
	switch {
	case a.Objects != nil:
		return a.Objects, nil
	case a.Filename == "-":
		objs, err := apply.Decode(a.Stdin, "stdin")
		return objs, badInput(err)
	case a.Filename != "":
		f, err := os.Open(a.Filename)
		if err != nil {
			return nil, badInput(fmt.Errorf("reading --filename: %w", err))
		}
		defer f.Close()
		objs, err := apply.Decode(f, a.Filename)
		return objs, badInput(err)
	}
	objs, _, err := a.Render.objects(ctx, a.State.Snapshot().Outputs, a.Render.Overrides)
	return objs, err
}

// preflight checks the cluster against objs and the CSI driver's own objects.
func (a *Apply) preflight(ctx context.Context, k *kube.Client, objs []*unstructured.Unstructured) error {
	var provided []*unstructured.Unstructured
	if a.csi() != config.CSISkip {
		var err error
		if provided, err = csidriver.Objects(a.ImageRegistry); err != nil {
			return err
		}
	}
	return apply.Preflight(ctx, k, objs, provided...)
}

// eks returns the EKS client where the add-on path may be used: not for manifests or skip, and only when the
// installation names its cluster and region.
func (a *Apply) eks() csidriver.AddonAPI {
	if !a.csi().UsesAddon() || a.Config.Cluster == "" || a.Config.Region == "" || a.AWS == nil {
		return nil
	}
	return a.AWS.EKS
}

// csi is how the Secrets Store CSI driver is installed; a configuration built by hand may leave it empty (auto).
func (a *Apply) csi() config.CSIDriver {
	if a.Config.CSIDriver == "" {
		return config.CSIAuto
	}
	return a.Config.CSIDriver
}

func (a *Apply) progress() io.Writer {
	if a.Progress == nil {
		return io.Discard
	}
	return a.Progress
}
