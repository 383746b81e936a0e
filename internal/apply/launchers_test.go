package apply

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/ownership"
)

// A kfp-launcher kfaws's hook wrote with a root outside the profile's own prefix is deleted (metacontroller writes
// it again); one with the right root, and one the upstream controller wrote (no kfaws labels), are left alone.
func TestRefreshLaunchers(t *testing.T) {
	ctx := context.Background()
	k := cluster(t)
	cs := kubernetes.NewForConfigOrDie(k.Config)
	stale, current, upstream := fresh("launcher-stale"), fresh("launcher-current"), fresh("launcher-upstream")
	want := func(ns string) string { return kubeflow.ProfilePipelineRoot("bkt", ns) }
	hookLabels := map[string]string{ownership.LabelManagedBy: ownership.ManagedByValue, "app.kubernetes.io/component": "profile"}
	for _, c := range []struct {
		ns, root string
		labels   map[string]string
	}{
		{stale, "s3://bkt/v2/artifacts", hookLabels},
		{current, want(current), hookLabels},
		{upstream, "minio://mlpipeline/v2/artifacts", nil},
	} {
		kubetest.CreateProfile(ctx, t, cs, c.ns)
		_, err := cs.CoreV1().ConfigMaps(c.ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: kubeflow.LauncherConfig, Labels: c.labels},
			Data:       map[string]string{"defaultPipelineRoot": c.root}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := RefreshLaunchers(ctx, k, want)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{stale}) {
		t.Errorf("refreshed %v, want only %s", got, stale)
	}
	if _, err := cs.CoreV1().ConfigMaps(stale).Get(ctx, kubeflow.LauncherConfig, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the stale kfp-launcher is still there: %v", err)
	}
	for _, ns := range []string{current, upstream} {
		if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, kubeflow.LauncherConfig, metav1.GetOptions{}); err != nil {
			t.Errorf("kfp-launcher in %s: %v", ns, err)
		}
	}
	// Nothing left to refresh: a second run deletes nothing.
	if got, err := RefreshLaunchers(ctx, k, want); err != nil || len(got) != 0 {
		t.Errorf("second run refreshed %v (%v)", got, err)
	}
}
