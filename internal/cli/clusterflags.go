package cli

import (
	"io"
	"time"

	"github.com/spf13/pflag"

	"github.com/kfaws/kfaws/internal/operation"
)

// clusterFlags are what `apply` and `up --manifests` share: where the manifests are, which cluster, and how to
// apply.
type clusterFlags struct {
	manifests     string
	mirrors       []string
	allowNetwork  bool
	kube          operation.KubeOptions
	force, adopt  bool
	wait          bool
	timeout       time.Duration
	imageRegistry string
	// skipSnapshot and allowDowngrade loosen what a change of KFP version requires.
	skipSnapshot, allowDowngrade bool
}

func addClusterFlags(fl *pflag.FlagSet) *clusterFlags {
	f := &clusterFlags{}
	fl.StringVar(&f.manifests, "manifests", "", "Kubeflow manifests checkout to render and apply")
	fl.StringArrayVar(&f.mirrors, "git-mirror", nil, "URL=DIR for remote kustomize bases (as in kfaws render)")
	fl.BoolVar(&f.allowNetwork, "allow-network", false, "let kustomize fetch remote bases that have no --git-mirror")
	addKubeFlags(fl, &f.kube)
	fl.BoolVar(&f.force, "force-conflicts", false, "take over fields another field manager owns")
	fl.BoolVar(&f.adopt, "adopt", false, "take over existing objects kfaws did not create")
	fl.BoolVar(&f.wait, "wait", true, "wait for Deployments, StatefulSets and DaemonSets to be ready")
	fl.DurationVar(&f.timeout, "timeout", 15*time.Minute, "bound for applying and waiting (or removing)")
	fl.StringVar(&f.imageRegistry, "image-registry", "", "registry mirror for the CSI driver images (manifests path)")
	fl.BoolVar(&f.skipSnapshot, "skip-upgrade-snapshot", false, "apply a change of KFP version without taking an RDS "+
		"snapshot first (KFP migrates its schema with no way back)")
	fl.BoolVar(&f.allowDowngrade, "allow-downgrade", false, "apply manifests with an older KFP than the running one; "+
		"only after restoring the database to that version's schema")
	return f
}

// addKubeFlags binds --kubeconfig and --context, as kubectl has them.
func addKubeFlags(fl *pflag.FlagSet, o *operation.KubeOptions) {
	fl.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&o.Context, "context", "", "kubeconfig context (default: the current one)")
}

// render returns the render operation for --manifests with the installation's configuration.
func (f *clusterFlags) render(conf *operation.Configuration, over operation.Overrides) (*operation.Render, error) {
	mirrors, err := parseMirrors(f.mirrors)
	if err != nil {
		return nil, usageError(err)
	}
	return &operation.Render{Configuration: conf, Manifests: f.manifests, Overrides: over, GitMirrors: mirrors,
		AllowNetwork: f.allowNetwork}, nil
}

// apply returns the Apply operation bound to the cluster flags; its input is set by the caller.
func (f *clusterFlags) apply(conf *operation.Configuration, progress io.Writer) *operation.Apply {
	return &operation.Apply{Configuration: conf, ImageRegistry: f.imageRegistry,
		ForceConflicts: f.force, Adopt: f.adopt, Wait: f.wait, Timeout: f.timeout, Progress: progress,
		SkipUpgradeSnapshot: f.skipSnapshot, AllowDowngrade: f.allowDowngrade}
}
