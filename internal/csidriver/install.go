// Package csidriver installs the Secrets Store CSI driver, with secret
// syncing, and the AWS Secrets and Configuration Provider, at pinned versions
// and without fetching anything at install time: through the EKS add-on when
// EKS offers it for the cluster's Kubernetes version, otherwise from objects
// kfaws carries (CRDs generated from the driver's Go API types, the rest
// written from the upstream manifests' facts), applied by package apply.
package csidriver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
	"github.com/kfaws/kfaws/internal/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Method says how the driver is (to be) installed.
type Method string

// Methods.
const (
	// Auto uses the EKS add-on when EKS offers it, else Manifests.
	Auto Method = "auto"
	// Addon is the EKS add-on aws-secrets-store-csi-driver-provider.
	Addon Method = "eks-addon"
	// Manifests are the objects kfaws carries.
	Manifests Method = "manifests"
	// Existing is a driver installed by something other than kfaws; it is
	// left as it is.
	Existing Method = "existing"
)

// Installer installs the driver and provider on one cluster.
type Installer struct {
	Client       *kube.Client
	Installation string
	// Method is Auto, Addon or Manifests; empty means Auto.
	Method Method
	// EKS and ClusterName enable the add-on path; nil EKS means manifests.
	EKS         AddonAPI
	ClusterName string
	// ImageRegistry replaces registry.k8s.io and public.ecr.aws in the
	// manifests path's images, for clusters that pull from a mirror.
	ImageRegistry string
	// Apply options of the manifests path.
	ForceConflicts bool
	Adopt          bool
	Wait           bool
	Timeout        time.Duration
	Progress       io.Writer
	Log            *slog.Logger
}

// Result says what Run did.
type Result struct {
	Method Method
	// Addon says the add-on is used ("in use") and AddonVersion its
	// version, on the add-on path.
	Addon        string
	AddonVersion string
	// Apply is the manifests path's outcome.
	Apply *apply.Result
}

var csiDriverGVR = schema.GroupVersionResource{Group: "storage.k8s.io", Version: "v1", Resource: "csidrivers"}

// Run installs or updates the driver. It is idempotent: a second Run on an
// installed driver changes nothing.
func (in *Installer) Run(ctx context.Context) (*Result, error) {
	if in.Progress == nil {
		in.Progress = io.Discard
	}
	if in.Timeout == 0 {
		in.Timeout = 10 * time.Minute
	}
	method := in.Method
	if method == "" {
		method = Auto
	}
	if method != Manifests && in.EKS != nil {
		res, err := in.tryAddon(ctx, method)
		if res != nil || err != nil {
			return res, err
		}
	} else if method == Addon {
		return nil, fmt.Errorf("the EKS add-on path needs the EKS cluster name and AWS access; use --csi-driver=manifests otherwise")
	}
	if res, err := in.existing(ctx); res != nil || err != nil {
		return res, err
	}
	return in.manifests(ctx)
}

// tryAddon uses the add-on when it is installed: kfaws up creates it (a plan step) where EKS offers it. (nil,
// nil) means it is not, and Auto falls back to manifests.
func (in *Installer) tryAddon(ctx context.Context, method Method) (*Result, error) {
	cur, err := addonState(ctx, in.EKS, in.ClusterName)
	if err != nil && method == Auto {
		// Without EKS (no credentials, a non-EKS cluster) the manifests path still works; say why it was chosen.
		fmt.Fprintf(in.Progress, "! cannot ask EKS for the %s add-on (%v); installing kfaws's pinned manifests\n", AddonName, err)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if cur == nil {
		if method == Addon {
			return nil, fmt.Errorf("the EKS add-on %q is not installed on cluster %q; kfaws up creates it where EKS offers "+
				"it (kfaws plan says whether), or use --csi-driver=manifests", AddonName, in.ClusterName)
		}
		fmt.Fprintf(in.Progress, "EKS add-on %s is not installed; installing kfaws's pinned manifests\n", AddonName)
		return nil, nil
	}
	if !eksaddon.SyncEnabled(aws.ToString(cur.ConfigurationValues)) {
		return nil, fmt.Errorf("the EKS add-on %q of cluster %q has secret syncing off, which KFP's synced Secrets need; "+
			"turn it on (aws eks update-addon --configuration-values with syncSecret.enabled) or run kfaws up if kfaws "+
			"created it", AddonName, in.ClusterName)
	}
	if in.Wait {
		if err := waitAddonActive(ctx, in.EKS, in.ClusterName, in.Timeout); err != nil {
			return nil, err
		}
	}
	version := aws.ToString(cur.AddonVersion)
	fmt.Fprintf(in.Progress, "✓ EKS add-on %s %s (secret syncing on)\n", AddonName, version)
	return &Result{Method: Addon, Addon: "in use", AddonVersion: version}, nil
}

// existing detects a driver someone else installed (Helm, the guide's
// manifests): kfaws leaves it alone rather than fight over its objects.
func (in *Installer) existing(ctx context.Context) (*Result, error) {
	d, err := in.Client.Dynamic.Resource(csiDriverGVR).Get(ctx, DriverName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("looking for an installed CSI driver %q: %w", DriverName, err)
	}
	l := d.GetLabels()
	if (l[apply.LabelManagedBy] == apply.ManagedByValue && l[apply.LabelInstallation] == in.Installation) || in.Adopt {
		return nil, nil
	}
	fmt.Fprintf(in.Progress, "! CSI driver %q is already installed by something else; leaving it as is (make sure its "+
		"secret syncing is on), or pass --adopt to manage it with kfaws\n", DriverName)
	return &Result{Method: Existing}, nil
}

func (in *Installer) manifests(ctx context.Context) (*Result, error) {
	objs, err := Objects(in.ImageRegistry)
	if err != nil {
		return nil, err
	}
	a := &apply.Applier{
		Client: in.Client, Installation: in.Installation, ForceConflicts: in.ForceConflicts, Adopt: in.Adopt,
		Wait: in.Wait, Timeout: in.Timeout, Progress: in.Progress, Log: in.Log,
	}
	res, err := a.Apply(ctx, objs)
	if err != nil {
		return nil, fmt.Errorf("installing the Secrets Store CSI driver %s and AWS provider %s: %w", DriverVersion, ProviderVersion, err)
	}
	if err := in.deleteRetired(ctx); err != nil {
		return nil, err
	}
	return &Result{Method: Manifests, Apply: res}, nil
}
