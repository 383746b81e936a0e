package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/ownership"
)

// profileHookSelector selects what kfaws's profile hook writes into profile namespaces (render's profile
// templates carry these labels).
var configMapsGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

var profileHookSelector = ownership.LabelManagedBy + "=" + ownership.ManagedByValue + ",app.kubernetes.io/component=profile"

// RefreshLaunchers deletes each kfp-launcher ConfigMap kfaws's profile hook wrote whose pipeline root is not
// want(namespace), and returns the namespaces it deleted one in. metacontroller never updates these ConfigMaps
// (update strategy OnDelete in every release's controller) and writes a deleted one again at once, with the
// hook's current root; one written before kfaws confined profiles to their own prefix would otherwise keep a root
// the profile's role cannot write to. A ConfigMap without kfaws's labels (the upstream controller's) is never
// touched.
func RefreshLaunchers(ctx context.Context, k *kube.Client, want func(ns string) string) ([]string, error) {
	list, err := k.Dynamic.Resource(configMapsGVR).Namespace(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		LabelSelector: profileHookSelector, FieldSelector: "metadata.name=" + kubeflow.LauncherConfig})
	if err != nil {
		return nil, fmt.Errorf("listing the %s ConfigMaps kfaws's profile hook wrote: %w", kubeflow.LauncherConfig, err)
	}
	var refreshed []string
	for _, cm := range list.Items {
		ns := cm.GetNamespace()
		root, _, _ := unstructured.NestedString(cm.Object, "data", "defaultPipelineRoot")
		if root == want(ns) {
			continue
		}
		uid := types.UID(cm.GetUID())
		err := k.Dynamic.Resource(configMapsGVR).Namespace(ns).Delete(ctx, kubeflow.LauncherConfig,
			metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return refreshed, fmt.Errorf("deleting ConfigMap %s/%s, whose pipeline root %q is outside the profile's own: %w",
				ns, kubeflow.LauncherConfig, root, err)
		}
		refreshed = append(refreshed, ns)
	}
	return refreshed, nil
}
