package apply

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/kfaws/kfaws/internal/kube"
)

func TestApplyInstallsInStagesAndReapplyChangesNothing(t *testing.T) {
	c := cluster(t)
	name := fresh("stages")
	objs := readObjects(t, "testdata/install.yaml", name)
	progress := &syncBuffer{}
	a := newApplier(c, name, progress)
	ctx := context.Background()

	if err := Preflight(ctx, c, objs); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	res, err := a.Apply(ctx, objs)
	if err != nil {
		t.Fatalf("apply: %v\nprogress:\n%s", err, progress)
	}
	if got := res.Count(Created); got != len(objs) {
		t.Errorf("created %d objects, want %d: %+v", got, len(objs), res.Objects)
	}
	if res.Retries != 0 {
		t.Errorf("first apply retried %d times; staging should make retries unnecessary", res.Retries)
	}
	for _, stage := range []string{"custom resource definitions", "namespaces", "objects", "webhooks and API services"} {
		if !strings.Contains(progress.String(), "✓ "+stage) {
			t.Errorf("progress lacks stage %q:\n%s", stage, progress)
		}
	}
	before := resourceVersions(t, c, name)
	if len(before) != len(objs) {
		t.Fatalf("%d objects carry the installation labels, want %d", len(before), len(objs))
	}

	res, err = a.Apply(ctx, objs)
	if err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	if got := res.Count(Unchanged); got != len(objs) {
		t.Errorf("re-apply: %d unchanged, want %d: %+v", got, len(objs), res.Objects)
	}
	after := resourceVersions(t, c, name)
	for ref, rv := range before {
		if after[ref] != rv {
			t.Errorf("re-apply moved %s from resourceVersion %s to %s", ref, rv, after[ref])
		}
	}
}

func TestApplyWaitsForDeploymentsWithProgress(t *testing.T) {
	c := cluster(t)
	objs := readObjects(t, "testdata/install.yaml", "wait")
	progress := &syncBuffer{}
	a := newApplier(c, "wait", progress)
	a.Wait = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// No kubelet here: the test plays the deployment controller.
	actAsControllers(ctx, t, c, "wait")

	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatalf("apply: %v\nprogress:\n%s", err, progress)
	}
	for _, d := range []string{"Deployment/kf-wait/ml-pipeline available", "Deployment/kf-wait/katib-controller available"} {
		if !strings.Contains(progress.String(), "✓ "+d) {
			t.Errorf("progress lacks %q:\n%s", d, progress)
		}
	}
}

func TestApplyReportsTimeoutWithPendingDeployments(t *testing.T) {
	c := cluster(t)
	objs := readObjects(t, "testdata/install.yaml", "timeout")
	a := newApplier(c, "timeout", &syncBuffer{})
	a.Wait = true
	a.Timeout = 5 * time.Second // nothing marks these Deployments ready
	_, err := a.Apply(context.Background(), objs)
	if err == nil {
		t.Fatal("apply succeeded although no Deployment can become available")
	}
	for _, want := range []string{"kf-timeout/ml-pipeline", "controller has not observed generation", "--timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestApplyReportsConflictAndForceTakesOver(t *testing.T) {
	c := cluster(t)
	objs := readObjects(t, "testdata/install.yaml", "conflict")
	ctx := context.Background()
	a := newApplier(c, "conflict", &syncBuffer{})
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	// Another tool (an autoscaler, or someone with kubectl) takes .spec.replicas.
	patch := []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"ml-pipeline","namespace":"kf-conflict"},"spec":{"replicas":3}}`)
	deployments := c.Dynamic.Resource(deploymentGVR).Namespace("kf-conflict")
	force := true
	if _, err := deployments.Patch(ctx, "ml-pipeline", types.ApplyPatchType, patch,
		metav1.PatchOptions{FieldManager: "other-tool", Force: &force}); err != nil {
		t.Fatal(err)
	}

	_, err := a.Apply(ctx, objs)
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("re-apply error = %v, want a ConflictError", err)
	}
	if ce.Ref.String() != "Deployment/kf-conflict/ml-pipeline" || len(ce.Conflicts) != 1 ||
		ce.Conflicts[0].Field != ".spec.replicas" || !strings.Contains(ce.Conflicts[0].Manager, `"other-tool"`) {
		t.Errorf("conflict = %+v, want .spec.replicas of Deployment/kf-conflict/ml-pipeline owned by other-tool", ce)
	}
	if !strings.Contains(err.Error(), "--force-conflicts") {
		t.Errorf("error does not say how to take over: %v", err)
	}

	a.ForceConflicts = true
	if _, err := a.Apply(ctx, objs); err != nil {
		t.Fatalf("apply with force: %v", err)
	}
	got, err := deployments.Get(ctx, "ml-pipeline", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); n != 1 {
		t.Errorf("replicas = %d after force, want kfaws's 1", n)
	}
}

func TestApplyRefusesObjectsItDidNotCreate(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	name := fresh("owned")
	objs := readObjects(t, "testdata/install.yaml", name)
	// Someone else created the namespace and one ConfigMap before kfaws ran.
	var ns, cm *unstructured.Unstructured
	for _, u := range objs {
		switch u.GetKind() {
		case "Namespace":
			ns = u
		case "ConfigMap":
			cm = u
		}
	}
	for _, u := range []*unstructured.Unstructured{ns, cm} {
		ri, err := resourceFor(c, u.GroupVersionKind(), u.GetNamespace())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "someone"}); err != nil {
			t.Fatal(err)
		}
	}
	a := newApplier(c, name, &syncBuffer{})
	_, err := a.Apply(ctx, objs)
	var no *NotOwnedError
	if !errors.As(err, &no) || no.Ref.String() != "ConfigMap/kf-"+name+"/pipeline-install-config" {
		t.Fatalf("apply error = %v, want NotOwnedError for the ConfigMap", err)
	}
	a.Adopt = true
	res, err := a.Apply(ctx, objs)
	if err != nil {
		t.Fatalf("apply with adopt: %v", err)
	}
	for _, o := range res.Objects {
		if o.Ref.String() == "Namespace/kf-"+name && o.Action != Kept {
			t.Errorf("existing namespace was %s, want kept unlabelled", o.Action)
		}
	}
}

func TestApplyRejectedObjectNamesObjectAndReason(t *testing.T) {
	c := cluster(t)
	objs := readObjects(t, "testdata/install.yaml", "rejected")
	for _, u := range objs {
		if u.GetKind() == "Service" && u.GetName() == "ml-pipeline" {
			_ = unstructured.SetNestedField(u.Object, "NotAType", "spec", "type")
		}
	}
	_, err := newApplier(c, "rejected", &syncBuffer{}).Apply(context.Background(), objs)
	var oe *ObjectError
	if !errors.As(err, &oe) || oe.Ref.String() != "Service/kf-rejected/ml-pipeline" {
		t.Fatalf("error = %v, want an ObjectError for the Service", err)
	}
	for _, want := range []string{"spec.type", "NotAType", "fix the manifest"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

func TestPreflightNamesMissingKindsAndUnreachableCluster(t *testing.T) {
	c := cluster(t)
	objs := readObjects(t, "testdata/install.yaml", "preflight")
	extra := &unstructured.Unstructured{}
	extra.SetAPIVersion("telemetry.istio.io/v1")
	extra.SetKind("Telemetry")
	extra.SetName("mesh-default")
	extra.SetNamespace("istio-system")
	err := Preflight(context.Background(), c, append(objs, extra))
	if err == nil || !strings.Contains(err.Error(), "Telemetry (telemetry.istio.io/v1)") || !strings.Contains(err.Error(), "install Istio") {
		t.Errorf("preflight error = %v, want the missing Istio kind named", err)
	}

	cfg := rest.CopyConfig(c.Config)
	cfg.Host = "https://127.0.0.1:1"
	down, err := kube.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = Preflight(context.Background(), down, objs)
	if err == nil || !strings.Contains(err.Error(), `cannot reach the cluster at "https://127.0.0.1:1"`) ||
		!strings.Contains(err.Error(), "--context") {
		t.Errorf("preflight on a dead endpoint = %v, want an unreachable-cluster error with a hint", err)
	}
}

func TestPreflightNamesMissingNamespacesAndPermissions(t *testing.T) {
	c := cluster(t)
	objs := readObjects(t, "testdata/install.yaml", "perm")
	var withoutNS []*unstructured.Unstructured
	for _, u := range objs {
		if u.GetKind() != "Namespace" {
			withoutNS = append(withoutNS, u)
		}
	}
	err := Preflight(context.Background(), c, withoutNS)
	if err == nil || !strings.Contains(err.Error(), `namespace "kf-perm" does not exist and the manifests do not create it`) {
		t.Errorf("preflight = %v, want the missing namespace named", err)
	}

	viewer := env.UserClient(t, "no-rights")
	err = Preflight(context.Background(), viewer, objs)
	for _, want := range []string{"may not create customresourcedefinitions.apiextensions.k8s.io cluster-wide",
		"may not create deployments.apps in namespace \"kf-perm\"", "cluster-admin"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("preflight as a user without rights lacks %q: %v", want, err)
		}
	}
	// Applying anyway fails on the first object with the server's reason and a hint.
	_, err = newApplier(viewer, "perm", &syncBuffer{}).Apply(context.Background(), objs)
	var oe *ObjectError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "forbidden") || !strings.Contains(err.Error(), "cluster-admin") {
		t.Errorf("apply as a user without rights = %v, want a forbidden ObjectError with a hint", err)
	}
}
