package cli

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/render"
)

var csiModes = []string{string(csidriver.Auto), string(csidriver.Addon), string(csidriver.Manifests), operation.CSISkip}

// clusterFlags are what `apply` and `up --manifests` share: where the manifests are, which cluster, and how to
// apply.
type clusterFlags struct {
	manifests     string
	mirrors       []string
	allowNetwork  bool
	kube          kube.Options
	force, adopt  bool
	wait          bool
	timeout       time.Duration
	csi           string
	imageRegistry string
}

func addClusterFlags(fl *pflag.FlagSet) *clusterFlags {
	f := &clusterFlags{csi: string(csidriver.Auto)}
	fl.StringVar(&f.manifests, "manifests", "", "Kubeflow manifests checkout to render and apply")
	fl.StringArrayVar(&f.mirrors, "git-mirror", nil, "URL=DIR for remote kustomize bases (as in kfaws render)")
	fl.BoolVar(&f.allowNetwork, "allow-network", false, "let kustomize fetch remote bases that have no --git-mirror")
	fl.StringVar(&f.kube.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&f.kube.Context, "context", "", "kubeconfig context (default: the current one)")
	fl.BoolVar(&f.force, "force-conflicts", false, "take over fields another field manager owns")
	fl.BoolVar(&f.adopt, "adopt", false, "take over existing objects kfaws did not create")
	fl.BoolVar(&f.wait, "wait", true, "wait for Deployments, StatefulSets and DaemonSets to be ready")
	fl.DurationVar(&f.timeout, "timeout", 15*time.Minute, "bound for applying and waiting (or removing)")
	fl.Var(&enumValue[string]{allowed: csiModes, p: &f.csi}, "csi-driver",
		"how to install the Secrets Store CSI driver: "+strings.Join(csiModes, ", "))
	fl.StringVar(&f.imageRegistry, "image-registry", "", "registry mirror for the CSI driver images (manifests path)")
	return f
}

// render returns the render operation for --manifests, without values (RenderObjects sets them).
func (f *clusterFlags) render() (*render.Render, error) {
	mirrors, err := parseMirrors(f.mirrors)
	if err != nil {
		return nil, usageError(err)
	}
	return &render.Render{Manifests: f.manifests, GitMirrors: mirrors, AllowNetwork: f.allowNetwork}, nil
}

// operation builds the Apply operation for objs; the EKS client is set only where the add-on path may be used.
func (f *clusterFlags) operation(ctx context.Context, conf *config.Config, profile string, client *kube.Client,
	objs []*unstructured.Unstructured, progress io.Writer, g *globalFlags, errw io.Writer) (*operation.Apply, error) {
	op := &operation.Apply{
		Config: conf, Kube: client, Objects: objs, CSI: f.csi, ImageRegistry: f.imageRegistry,
		ForceConflicts: f.force, Adopt: f.adopt, Wait: f.wait, Timeout: f.timeout,
		Progress: progress, Log: g.logger(errw),
	}
	if f.csi == string(csidriver.Manifests) || f.csi == operation.CSISkip || conf.Cluster == "" || conf.Region == "" {
		return op, nil
	}
	awsCfg, err := kaws.LoadConfig(ctx, profile, conf.Region)
	switch {
	case err != nil && f.csi == string(csidriver.Addon):
		return nil, err
	case err == nil:
		op.EKS = eks.NewFromConfig(awsCfg)
	}
	return op, nil
}
