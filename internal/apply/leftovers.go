package apply

import (
	"context"
	"errors"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kfaws/kfaws/internal/kube"
)

// The reference guide's teardown deletes these by hand: webhook
// configurations of Knative and endpoints of the old training operators,
// which upstream uninstalls leave behind. kfaws did not create them, so it
// deletes them only when asked (Remover.CleanGuideLeftovers), only under the
// guide's names, only webhooks that call a Service in a knative-* namespace,
// and only when they are dangling (their Service is gone), so a live Knative
// or operator that still uses them is never touched.
var (
	leftoverWebhooks = []string{
		"webhook.eventing.knative.dev",
		"webhook.istio.networking.internal.knative.dev",
		"webhook.serving.knative.dev",
	}
	leftoverWebhookPrefix = "config.webhook."
	leftoverEndpoints     = []string{"mxnet-operator", "pytorch-operator", "tf-operator"}
)

var (
	validatingGVR = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"}
	mutatingGVR   = schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}
	endpointsGVR  = schema.GroupVersionResource{Version: "v1", Resource: "endpoints"}
	servicesGVR   = schema.GroupVersionResource{Version: "v1", Resource: "services"}
)

// cleanLeftovers deletes the dangling leftovers and returns what it deleted.
func cleanLeftovers(ctx context.Context, c *kube.Client) ([]Ref, error) {
	var deleted []Ref
	var errs []error
	for _, gvr := range []schema.GroupVersionResource{validatingGVR, mutatingGVR} {
		list, err := c.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i := range list.Items {
			w := &list.Items[i]
			if !isLeftoverWebhook(w.GetName(), gvr == validatingGVR) {
				continue
			}
			dangling, err := webhookDangling(ctx, c, w)
			if err != nil || !dangling {
				errs = append(errs, err)
				continue
			}
			if err := deleteIfPresent(ctx, c, gvr, "", w.GetName()); err != nil {
				errs = append(errs, err)
				continue
			}
			deleted = append(deleted, Ref{GVK: w.GroupVersionKind(), Name: w.GetName()})
		}
	}
	for _, name := range leftoverEndpoints {
		_, err := c.Dynamic.Resource(servicesGVR).Namespace("default").Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			continue // the Service still exists, so its endpoints are not leftovers
		}
		if !apierrors.IsNotFound(err) {
			errs = append(errs, err)
			continue
		}
		ep, err := c.Dynamic.Resource(endpointsGVR).Namespace("default").Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err == nil {
			err = deleteIfPresent(ctx, c, endpointsGVR, "default", name)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		deleted = append(deleted, Ref{GVK: ep.GroupVersionKind(), Namespace: "default", Name: name})
	}
	return deleted, errors.Join(errs...)
}

func isLeftoverWebhook(name string, validating bool) bool {
	for _, n := range leftoverWebhooks {
		if name == n {
			return true
		}
	}
	return validating && strings.HasPrefix(name, leftoverWebhookPrefix) && strings.HasSuffix(name, "knative.dev")
}

// webhookDangling reports whether every webhook of a configuration calls a
// Service that no longer exists.
func webhookDangling(ctx context.Context, c *kube.Client, w *unstructured.Unstructured) (bool, error) {
	hooks, _, _ := unstructured.NestedSlice(w.Object, "webhooks")
	for _, h := range hooks {
		m, _ := h.(map[string]any)
		ns, _, _ := unstructured.NestedString(m, "clientConfig", "service", "namespace")
		name, _, _ := unstructured.NestedString(m, "clientConfig", "service", "name")
		if name == "" {
			return false, nil // a URL webhook: nothing to prove it dangling
		}
		if !strings.HasPrefix(ns, "knative-") {
			return false, nil // not what Knative's install (which the guide cleans after) creates
		}
		_, err := c.Dynamic.Resource(servicesGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			return false, nil
		}
		if !apierrors.IsNotFound(err) {
			return false, err
		}
	}
	return true, nil
}

func deleteIfPresent(ctx context.Context, c *kube.Client, gvr schema.GroupVersionResource, ns, name string) error {
	err := c.Dynamic.Resource(gvr).Namespace(ns).Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
