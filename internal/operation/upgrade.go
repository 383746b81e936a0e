package operation

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
	"github.com/kfaws/kfaws/internal/upgrade"
)

// The KFP version of a tree and of a cluster is pipeline-install-config's data.appVersion in the kubeflow
// namespace: every release pins it there (manifests@v1.7.0 … 26.03 and community-distribution@release-26.03.1,
// applications/pipeline/upstream/base/installs/generic/pipeline-install-config.yaml, apps/ up to v1.9), render's
// detection reads the same key, and the profile controller takes KFP_VERSION from it.
var configMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// targetKFP is the KFP version the objects about to be applied pin, "" when they hold no KFP.
func targetKFP(objs []*unstructured.Unstructured) string {
	for _, o := range objs {
		if o.GetKind() == "ConfigMap" && o.GetName() == kubeflow.InstallConfig && o.GetNamespace() == kubeflow.Namespace {
			v, _, _ := unstructured.NestedString(o.Object, "data", "appVersion")
			return v
		}
	}
	return ""
}

// runningKFP is the KFP version applied to the cluster, "" when there is none yet.
func runningKFP(ctx context.Context, k *kube.Client) (string, error) {
	cm, err := k.Dynamic.Resource(configMaps).Namespace(kubeflow.Namespace).Get(ctx, kubeflow.InstallConfig, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("reading the running KFP version from ConfigMap %s/%s: %w", kubeflow.Namespace, kubeflow.InstallConfig, err)
	}
	v, _, _ := unstructured.NestedString(cm.Object, "data", "appVersion")
	return v, nil
}

// The versions of MLMD's metadata server and Katib's db-manager are their images' tags (every release pins them:
// manifests@v1.7.0 … community-distribution@release-26.03.1, applications/pipeline/upstream/base/metadata/base/
// metadata-grpc-deployment.yaml and applications/katib/upstream/components/db-manager/db-manager.yaml): the
// server that ran last is the one whose schema the database holds.

// imageTag is the tag of the first container's image of Deployment name in the kubeflow namespace of objs, ""
// when objs hold no such Deployment or the image is pinned by digest only.
func imageTag(objs []*unstructured.Unstructured, name string) string {
	for _, o := range objs {
		if o.GetKind() == "Deployment" && o.GetName() == name && o.GetNamespace() == kubeflow.Namespace {
			return deploymentTag(o)
		}
	}
	return ""
}

func deploymentTag(o *unstructured.Unstructured) string {
	cs, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
	if len(cs) == 0 {
		return ""
	}
	c, _ := cs[0].(map[string]any)
	img, _ := c["image"].(string)
	img, _, _ = strings.Cut(img, "@")
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		return img[i+1:]
	}
	return ""
}

var deployments = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

// runningTag is the image tag of the cluster's Deployment name in the kubeflow namespace, "" when it is absent.
func runningTag(ctx context.Context, k *kube.Client, name string) (string, error) {
	d, err := k.Dynamic.Resource(deployments).Namespace(kubeflow.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("reading the running version from Deployment %s/%s: %w", kubeflow.Namespace, name, err)
	}
	return deploymentTag(d), nil
}

// versionChange decides what the objects' KFP, MLMD and Katib versions need against the cluster's, and refuses a
// downgrade as bad input before anything changes.
func (a *Apply) versionChange(ctx context.Context, k *kube.Client, objs []*unstructured.Unstructured) (upgrade.Decision, error) {
	in := upgrade.Input{Target: targetKFP(objs), RDS: a.Config.Option.UsesRDS(), AllowDowngrade: a.AllowDowngrade,
		SkipSnapshot: a.SkipUpgradeSnapshot, HeldData: a.heldData()}
	in.MLMD.Target, in.Katib.Target = imageTag(objs, kubeflow.MetadataGRPC), imageTag(objs, kubeflow.KatibDBManager)
	var err error
	if in.Target != "" {
		if in.Running, err = runningKFP(ctx, k); err != nil {
			return upgrade.Decision{}, err
		}
	}
	for _, c := range []struct {
		v    *upgrade.Versions
		name string
	}{{&in.MLMD, kubeflow.MetadataGRPC}, {&in.Katib, kubeflow.KatibDBManager}} {
		if c.v.Target == "" {
			continue
		}
		if c.v.Running, err = runningTag(ctx, k, c.name); err != nil {
			return upgrade.Decision{}, err
		}
	}
	d := upgrade.Decide(in)
	if d.Action == upgrade.Refuse {
		return d, badInput(a.downgradeError(ctx, d))
	}
	return d, nil
}

// heldData says whether the state records data in the databases that no KFP on the cluster wrote: an adopted
// instance, or a finished kfaws migrate.
func (a *Apply) heldData() bool {
	if a.State == nil {
		return false
	}
	st := a.State.Snapshot()
	if m := st.Migration; m != nil && !m.FinishedAt.IsZero() && len(m.Databases) > 0 {
		return true
	}
	return st.Resources[plan.KeyInstance].Adopted
}

// protectData runs before the first change of an apply: when KFP's version changes it snapshots the RDS instance
// and waits for the snapshot, since KFP migrates its schema forward with no way back (kubeflow/pipelines#3636).
// It returns the snapshot's name, "" when none was taken.
func (a *Apply) protectData(ctx context.Context, k *kube.Client, objs []*unstructured.Unstructured) (string, error) {
	d, err := a.versionChange(ctx, k, objs)
	if err != nil || d.Action == upgrade.Proceed {
		return "", err
	}
	progress, id := a.progress(), a.Config.RDS.InstanceName
	switch {
	case d.Action == upgrade.Unprotected && !a.Config.Option.UsesRDS():
		fmt.Fprintf(progress, "! %s %s %s → %s: its databases are in the cluster (option %s) and kfaws takes no "+
			"snapshot of them; %s migrates its schema with no way back\n", d.Component, d.Verb(), d.From, d.To, a.Config.Option, d.Component)
		return "", nil
	case d.Action == upgrade.Unprotected:
		fmt.Fprintf(progress, "! %s %s %s → %s without a snapshot of DB instance %q (--skip-upgrade-snapshot): %s "+
			"migrates its schema with no way back\n", d.Component, d.Verb(), d.From, d.To, id, d.Component)
		return "", nil
	case a.AWS == nil:
		return "", badInput(fmt.Errorf("%s %s %s → %s needs a snapshot of DB instance %q first, and this run has no "+
			"AWS access; configure it, or back the database up yourself and pass --skip-upgrade-snapshot", d.Component, d.Verb(), d.From, d.To, id))
	}
	snap := a.snapshotter()
	inst, err := snap.Instance(ctx, id)
	if err != nil {
		return "", kaws.AccessError("reading DB instance "+id+" before the "+d.Component+" "+d.Verb(), err)
	}
	if inst == nil {
		return "", badInput(fmt.Errorf("%s %s %s → %s: kfaws snapshots DB instance %q (rds.instanceName) first, and %s has "+
			"no such instance; if the databases are elsewhere, back them up yourself and pass --skip-upgrade-snapshot",
			d.Component, d.Verb(), d.From, d.To, id, a.AWS.Region))
	}
	name, err := a.upgradeSnapshotName(id, d)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "  %s %s %s → %s migrates its database schema with no way back: taking DB snapshot %s of "+
		"instance %q first\n", d.Component, d.Verb(), d.From, d.To, name, id)
	if err := snap.Take(ctx, id, name); err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "✓ DB snapshot %s available; to restore it to a new instance:\n    %s\n", name,
		upgrade.RestoreCommand(name, *inst))
	return name, nil
}

// upgradeSnapshotName names the snapshot taken before this change of version: the one a run interrupted while
// waiting for it recorded, else a new one, recorded in the state before the call so that a re-run waits for it
// instead of taking another.
func (a *Apply) upgradeSnapshotName(id string, d upgrade.Decision) (string, error) {
	if a.State == nil {
		return upgrade.SnapshotName(id, d.Component, d.From, d.To, time.Now()), nil
	}
	prefix := upgrade.SnapshotPrefix(id, d.Component, d.From, d.To)
	name := a.State.Snapshot().Outputs.UpgradeSnapshot
	if !strings.HasPrefix(name, prefix) && !strings.HasPrefix(name, "kfaws-"+prefix) {
		name = upgrade.SnapshotName(id, d.Component, d.From, d.To, time.Now())
	}
	return name, a.State.Update(func(st *state.State) { st.Outputs.UpgradeSnapshot = name })
}

// downgradeError says what runs, what the manifests pin and how to go back; it names the snapshot kfaws took
// before the upgrade when it finds one.
func (a *Apply) downgradeError(ctx context.Context, d upgrade.Decision) error {
	e := &upgrade.DowngradeError{Component: d.Component, From: d.From, To: d.To}
	if !a.Config.Option.UsesRDS() {
		return e
	}
	e.Instance = a.Config.RDS.InstanceName
	inst := upgrade.Instance{Identifier: e.Instance}
	snapshot := "SNAPSHOT"
	if a.AWS != nil {
		snap := a.snapshotter()
		// What cannot be read only makes the message less specific; the refusal stands.
		if got, err := snap.Instance(ctx, e.Instance); err == nil && got != nil {
			inst = *got
		}
		if name, err := snap.Latest(ctx, e.Instance, upgrade.SnapshotPrefix(e.Instance, d.Component, d.To, d.From)); err == nil && name != "" {
			e.Snapshot, snapshot = name, name
		} else if err != nil {
			a.logger().Debug("looking for the snapshot taken before the upgrade", "instance", e.Instance, "error", err)
		}
	}
	e.Restore = upgrade.RestoreCommand(snapshot, inst)
	return e
}

func (a *Apply) snapshotter() *upgrade.Snapshotter {
	return &upgrade.Snapshotter{RDS: a.AWS.RDS, Installation: a.Config.Name, Progress: a.progress(),
		PollInterval: a.SnapshotPollInterval}
}
