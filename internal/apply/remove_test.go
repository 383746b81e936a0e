package apply

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kfaws/kfaws/internal/kube"
)

func TestRemoveDeletesEverythingLabelledInOrder(t *testing.T) {
	c := cluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	objs := readObjects(t, "testdata/install.yaml", "remove")
	if _, err := newApplier(c, "remove", &syncBuffer{}).Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	// The ScheduledWorkflow's controller holds it with a finalizer. The test
	// plays that controller: it drops the finalizer once the object is being
	// deleted, and notes whether its own Deployment still existed then.
	swf := schema.GroupVersionResource{Group: "remove.kubeflow.example", Version: "v1beta1", Resource: "scheduledworkflows"}
	fin := []byte(`{"metadata":{"finalizers":["remove.kubeflow.example/cleanup"]}}`)
	if _, err := c.Dynamic.Resource(swf).Namespace("kf-remove").Patch(ctx, "nightly", types.MergePatchType, fin, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	var controllerAlive atomic.Bool
	go finalizeWhenDeleted(ctx, c, swf, "kf-remove", "nightly", &controllerAlive)
	actAsControllers(ctx, t, c, "remove") // finalizes the emptied namespace, as the namespace controller would

	leftovers := seedLeftovers(t, c)
	progress := &syncBuffer{}
	res, err := (&Remover{Client: c, Installation: "remove", Progress: progress, Timeout: time.Minute,
		CleanGuideLeftovers: true}).Remove(ctx)
	if err != nil {
		t.Fatalf("remove: %v\nprogress:\n%s", err, progress)
	}
	if got := resourceVersions(t, c, "remove"); len(got) != 0 {
		t.Errorf("objects still labelled after removal: %v", got)
	}
	if len(res.Deleted) != len(objs) || len(res.Kept) != 0 {
		t.Errorf("deleted %d (want %d), kept %v", len(res.Deleted), len(objs), res.Kept)
	}
	if !controllerAlive.Load() {
		t.Error("the custom resource was finalized after its controller's Deployment was deleted")
	}
	if got := refStrings(res.Leftovers); got != leftovers {
		t.Errorf("leftovers deleted = %q, want %q", got, leftovers)
	}
	if _, err := c.Dynamic.Resource(validatingGVR).Get(ctx, "webhook.eventing.knative.dev", metav1.GetOptions{}); err != nil {
		t.Errorf("a live Knative webhook configuration was deleted: %v", err)
	}
}

func TestRemoveKeepsNamespacesAndCRDsOthersUse(t *testing.T) {
	c := cluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	objs := readObjects(t, "testdata/install.yaml", "shared")
	if _, err := newApplier(c, "shared", &syncBuffer{}).Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	// Other software puts its own objects into kfaws's namespace and CRD.
	other := []*unstructured.Unstructured{
		{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "theirs", "namespace": "kf-shared"}}},
		{Object: map[string]any{"apiVersion": "shared.kubeflow.example/v1beta1", "kind": "ScheduledWorkflow",
			"metadata": map[string]any{"name": "theirs", "namespace": "default"}}},
	}
	for _, u := range other {
		ri, err := resourceFor(c, u.GroupVersionKind(), u.GetNamespace())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "someone"}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := (&Remover{Client: c, Installation: "shared", Timeout: time.Minute}).Remove(ctx)
	if err != nil {
		t.Fatalf("remove: %v", err)
	}
	left := resourceVersions(t, c, "shared")
	if len(left) != 2 || left["Namespace/kf-shared"] == "" || left["CustomResourceDefinition/scheduledworkflows.shared.kubeflow.example"] == "" {
		t.Errorf("left labelled: %v; want only the shared namespace and CRD", left)
	}
	if len(res.Kept) != 2 || !strings.Contains(strings.Join(res.Kept, "\n"), "--delete-shared") {
		t.Errorf("kept = %q, want the namespace and the CRD with a hint", res.Kept)
	}

	// Told to, removal deletes them too (the CRD takes the other's object with it).
	actAsControllers(ctx, t, c, "shared")
	if _, err := (&Remover{Client: c, Installation: "shared", DeleteShared: true, Timeout: time.Minute}).Remove(ctx); err != nil {
		t.Fatalf("remove --delete-shared: %v", err)
	}
	if left := resourceVersions(t, c, "shared"); len(left) != 0 {
		t.Errorf("left labelled after --delete-shared: %v", left)
	}
}

func finalizeWhenDeleted(ctx context.Context, c *kube.Client, gvr schema.GroupVersionResource, ns, name string, alive *atomic.Bool) {
	ri := c.Dynamic.Resource(gvr).Namespace(ns)
	for ctx.Err() == nil {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return
		}
		if u.GetDeletionTimestamp() != nil {
			_, err := c.Dynamic.Resource(deploymentGVR).Namespace(ns).Get(ctx, "ml-pipeline", metav1.GetOptions{})
			alive.Store(err == nil)
			_, _ = ri.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seedLeftovers creates what upstream uninstalls leave behind, as the guide's
// teardown describes: a Knative webhook configuration whose Service is gone,
// one whose Service still runs, and a training operator's Endpoints without a
// Service. It returns the refs removal should delete.
func seedLeftovers(t *testing.T, c *kube.Client) string {
	t.Helper()
	ctx := context.Background()
	hook := func(name, svcNS string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
			"metadata": map[string]any{"name": name},
			"webhooks": []any{map[string]any{"name": "v." + name, "admissionReviewVersions": []any{"v1"},
				"sideEffects": "None", "failurePolicy": "Ignore",
				"clientConfig": map[string]any{"service": map[string]any{"name": "webhook", "namespace": svcNS}},
				"rules": []any{map[string]any{"apiGroups": []any{"serving.knative.dev"}, "apiVersions": []any{"v1"},
					"operations": []any{"CREATE"}, "resources": []any{"services"}}}}},
		}}
	}
	live := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "webhook", "namespace": "default"},
		"spec":     map[string]any{"ports": []any{map[string]any{"port": int64(443)}}}}}
	eps := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Endpoints",
		"metadata": map[string]any{"name": "tf-operator", "namespace": "default"}}}
	for _, u := range []*unstructured.Unstructured{hook("webhook.serving.knative.dev", "knative-serving"),
		hook("webhook.eventing.knative.dev", "default"), live, eps} {
		ri, err := resourceFor(c, u.GroupVersionKind(), u.GetNamespace())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "upstream"}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	return "ValidatingWebhookConfiguration/webhook.serving.knative.dev Endpoints/default/tf-operator"
}

// TestRemoveLeavesGuideLeftoversUnlessAsked: kfaws did not create the guide's leftovers, so a removal that was
// not asked to clean them touches none.
func TestRemoveLeavesGuideLeftoversUnlessAsked(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	name := fresh("noleft")
	if _, err := newApplier(c, name, &syncBuffer{}).Apply(ctx, readObjects(t, "testdata/install.yaml", name)); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	actAsControllers(cctx, t, c, name)
	seedLeftovers(t, c)
	res, err := (&Remover{Client: c, Installation: name, Timeout: time.Minute}).Remove(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Leftovers) != 0 {
		t.Errorf("deleted %v without being asked", res.Leftovers)
	}
	if _, err := c.Dynamic.Resource(validatingGVR).Get(ctx, "webhook.serving.knative.dev", metav1.GetOptions{}); err != nil {
		t.Errorf("a dangling guide leftover was deleted without being asked: %v", err)
	}
}

func refStrings(refs []Ref) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.String()
	}
	return strings.Join(s, " ")
}

func TestRemoveNamesObjectsStuckOnFinalizers(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	objs := readObjects(t, "testdata/install.yaml", "stuck")
	if _, err := newApplier(c, "stuck", &syncBuffer{}).Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	cms := c.Dynamic.Resource(configMapGVR).Namespace("kf-stuck")
	fin := []byte(`{"metadata":{"finalizers":["example.com/never"]}}`)
	if _, err := cms.Patch(ctx, "pipeline-install-config", types.MergePatchType, fin, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := (&Remover{Client: c, Installation: "stuck", Timeout: 3 * time.Second}).Remove(ctx)
	if err == nil || !strings.Contains(err.Error(), "ConfigMap/kf-stuck/pipeline-install-config (finalizers [example.com/never])") {
		t.Errorf("removal error = %v, want the stuck ConfigMap and its finalizer named", err)
	}
	if strings.Contains(fmt.Sprint(err), "Service/") {
		t.Errorf("error names objects that are gone: %v", err)
	}
	// Once the finalizer goes, removal finishes.
	if _, err := cms.Patch(ctx, "pipeline-install-config", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	actAsControllers(cctx, t, c, "stuck")
	if _, err := (&Remover{Client: c, Installation: "stuck", Timeout: time.Minute}).Remove(ctx); err != nil {
		t.Fatalf("second removal: %v", err)
	}
}
