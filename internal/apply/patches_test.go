package apply

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/ownership"
)

const roleAnnotation = "eks.amazonaws.com/role-arn"

// profilePatch is what render emits for the configured profile in irsa mode: the role annotation on the
// default-editor ServiceAccount that Kubeflow's profile controller creates.
func profilePatch(ns string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("ServiceAccount")
	u.SetName("default-editor")
	u.SetNamespace(ns)
	u.SetAnnotations(map[string]string{roleAnnotation: "arn:aws:iam::123456789012:role/profile",
		ownership.PatchAnnotation: "profile " + ns + " (Kubeflow's profile controller)"})
	return u
}

// asProfileController creates a namespace with its default-editor, as Kubeflow's profile controller does.
func asProfileController(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		metav1.CreateOptions{FieldManager: "profile-controller"}); err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default-editor", Namespace: ns,
		Labels: map[string]string{"app": "profile"}}}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{FieldManager: "profile-controller"}); err != nil {
		t.Fatal(err)
	}
}

// TestApplyPatchesAnotherControllersObject: the profile's ServiceAccount belongs to Kubeflow's profile controller.
// The pre-flight accepts that its namespace does not exist yet; apply waits for it, sets only the annotation
// (no kfaws labels, the marker stripped), and removal leaves the ServiceAccount in place.
func TestApplyPatchesAnotherControllersObject(t *testing.T) {
	c := cluster(t)
	cs := kubernetes.NewForConfigOrDie(c.Config)
	name := fresh("patch")
	ns := "profile-" + name
	objs := append(readObjects(t, "testdata/install.yaml", name), profilePatch(ns))
	ctx := context.Background()
	if err := Preflight(ctx, c, objs); err != nil {
		t.Fatalf("preflight refused a patch whose namespace the profile controller creates later: %v", err)
	}
	progress := &syncBuffer{}
	a := newApplier(c, name, progress)
	go func() {
		time.Sleep(3 * time.Second) // the Profile arrives while kfaws applies
		asProfileController(t, cs, ns)
	}()
	res, err := a.Apply(ctx, objs)
	if err != nil {
		t.Fatalf("apply: %v\nprogress:\n%s", err, progress)
	}
	if res.Count(Patched) != 1 || !strings.Contains(progress.String(), "waiting up to") {
		t.Errorf("want one patched object after a wait; results %+v\nprogress:\n%s", res.Objects, progress)
	}
	sa, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default-editor", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Annotations[roleAnnotation] == "" || sa.Annotations[ownership.PatchAnnotation] != "" {
		t.Errorf("annotations %v: want the role set and the marker stripped", sa.Annotations)
	}
	if sa.Labels[LabelManagedBy] != "" || sa.Labels[LabelInstallation] != "" || sa.Labels["app"] != "profile" {
		t.Errorf("labels %v: the profile controller's labels must stay and kfaws's must not be added", sa.Labels)
	}
	if res, err := a.Apply(ctx, objs); err != nil || res.Count(Patched) != 0 {
		t.Errorf("re-apply: %v, %+v; want the patch unchanged", err, res)
	}
	r := &Remover{Client: c, Installation: name, Timeout: time.Minute}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	actAsControllers(rctx, t, c, name)
	if _, err := r.Remove(ctx); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default-editor", metav1.GetOptions{}); err != nil {
		t.Errorf("removal deleted the profile controller's ServiceAccount: %v", err)
	}
}

// TestApplyPatchTargetNeverAppears: everything else is applied, and the error names the missing object, where it
// comes from and what to do.
func TestApplyPatchTargetNeverAppears(t *testing.T) {
	c := cluster(t)
	name := fresh("nopatch")
	objs := append(readObjects(t, "testdata/install.yaml", name), profilePatch("absent-"+name))
	a := newApplier(c, name, &syncBuffer{})
	a.PatchWait = time.Second
	res, err := a.Apply(context.Background(), objs)
	var pe *PendingError
	if !errors.As(err, &pe) || len(pe.Missing) != 1 {
		t.Fatalf("want a PendingError for one object, got %v", err)
	}
	for _, want := range []string{"ServiceAccount/absent-" + name + "/default-editor", "Kubeflow's profile controller",
		"run kfaws apply again", "everything else was applied"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
	if got := res.Count(Created); got != len(objs)-1 {
		t.Errorf("created %d objects, want every other object (%d)", got, len(objs)-1)
	}
}
