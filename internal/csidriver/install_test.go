package csidriver

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
)

var env kubetest.Env

func TestMain(m *testing.M) { kubetest.Main(m, &env) }

func TestManifestsInstallReinstallUseAndRemove(t *testing.T) {
	c := env.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// No DaemonSet controller or kubelets here: kubetest reports the driver's DaemonSets running on one node.
	kubetest.ActAsControllers(ctx, t, c, apply.Selector("csi"))
	progress := &strings.Builder{}
	in := &Installer{Client: c, Installation: "csi", Method: Manifests, Wait: true, Timeout: time.Minute, Progress: progress}

	res, err := in.Run(ctx)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, progress)
	}
	objs, _ := Objects("")
	if res.Method != Manifests || res.Apply.Count(apply.Created) != len(objs) {
		t.Errorf("install: method %s, %d of %d created", res.Method, res.Apply.Count(apply.Created), len(objs))
	}
	for _, ds := range []string{"DaemonSet/kube-system/csi-secrets-store ready", "DaemonSet/kube-system/csi-secrets-store-provider-aws ready"} {
		if !strings.Contains(progress.String(), ds) {
			t.Errorf("progress lacks %q:\n%s", ds, progress)
		}
	}

	res, err = in.Run(ctx)
	if err != nil {
		t.Fatalf("re-install: %v", err)
	}
	if got := res.Apply.Count(apply.Unchanged); got != len(objs) {
		t.Errorf("re-install: %d of %d unchanged: %+v", got, len(objs), res.Apply.Objects)
	}

	// The generated CRDs accept the SecretProviderClass the KFP overlay uses.
	spc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
		"metadata": map[string]any{"name": "rds-secret", "namespace": "default"},
		"spec": map[string]any{
			"provider":   "aws",
			"parameters": map[string]any{"objects": "- objectName: rds-secret\n  objectType: secretsmanager\n"},
			"secretObjects": []any{map[string]any{"secretName": "mysql-secret", "type": "Opaque",
				"data": []any{map[string]any{"objectName": "user", "key": "username"}}}},
		},
	}}
	spcs := c.Dynamic.Resource(schema.GroupVersionResource{Group: "secrets-store.csi.x-k8s.io", Version: "v1", Resource: "secretproviderclasses"})
	if _, err := spcs.Namespace("default").Create(ctx, spc, metav1.CreateOptions{}); err != nil {
		t.Errorf("creating a SecretProviderClass: %v", err)
	}
	_ = spcs.Namespace("default").Delete(ctx, "rds-secret", metav1.DeleteOptions{})

	if _, err := (&apply.Remover{Client: c, Installation: "csi", Timeout: time.Minute}).Remove(ctx); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if left, err := apply.Labelled(ctx, c, "csi"); err != nil || len(left) != 0 {
		t.Errorf("after removal %d objects still labelled (%v)", len(left), err)
	}
	if _, err := c.Dynamic.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Get(ctx, Namespace, metav1.GetOptions{}); err != nil {
		t.Errorf("kube-system touched by removal: %v", err)
	}

	// A driver installed by something else is left alone.
	other, _ := Objects("")
	for _, u := range other {
		if u.GetKind() == "CSIDriver" {
			u.SetLabels(nil)
			if _, err := c.Dynamic.Resource(csiDriverGVR).Apply(ctx, DriverName, u, metav1.ApplyOptions{FieldManager: "helm"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer func() { _ = c.Dynamic.Resource(csiDriverGVR).Delete(ctx, DriverName, metav1.DeleteOptions{}) }()
	res, err = (&Installer{Client: c, Installation: "csi", Progress: progress}).Run(ctx)
	if err != nil || res.Method != Existing {
		t.Fatalf("run over a foreign driver = %+v, %v; want it left as is", res, err)
	}
	if left, _ := apply.Labelled(ctx, c, "csi"); len(left) != 0 {
		t.Errorf("kfaws applied %d objects next to a foreign driver", len(left))
	}
}

func TestObjectsUseMirrorForEveryImage(t *testing.T) {
	objs, err := Objects("mirror.example.com/k8s")
	if err != nil {
		t.Fatal(err)
	}
	var images []string
	for _, u := range objs {
		cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		for _, c := range cs {
			img, _ := c.(map[string]any)["image"].(string)
			images = append(images, img)
		}
	}
	if len(images) != 4 {
		t.Fatalf("found %d images, want 4: %v", len(images), images)
	}
	for _, img := range images {
		if !strings.HasPrefix(img, "mirror.example.com/k8s/") {
			t.Errorf("image %q does not use the mirror", img)
		}
	}
	if !strings.Contains(strings.Join(images, " "), "mirror.example.com/k8s/csi-secrets-store/driver:"+DriverVersion) {
		t.Errorf("driver image path or tag wrong: %v", images)
	}
}
