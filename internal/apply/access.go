package apply

import (
	"context"
	"fmt"
	"sort"

	authv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kfaws/kfaws/internal/kube"
)

var (
	namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	ssarGVR       = schema.GroupVersionResource{Group: "authorization.k8s.io", Version: "v1", Resource: "selfsubjectaccessreviews"}
)

// missingNamespaces lists namespaces objects go into that neither exist nor
// are among objs.
func missingNamespaces(ctx context.Context, c *kube.Client, objs []*unstructured.Unstructured) ([]string, error) {
	defined := map[string]bool{}
	for _, u := range objs {
		if StageOf(u) == StageNamespaces {
			defined[u.GetName()] = true
		}
	}
	users := map[string][]string{}
	for _, u := range objs {
		// A patch targets another controller's object: apply waits for it and its namespace.
		if ns := u.GetNamespace(); ns != "" && !defined[ns] && !IsPatch(u) {
			users[ns] = append(users[ns], RefOf(u).String())
		}
	}
	var out []string
	for ns, refs := range users {
		_, err := c.Dynamic.Resource(namespacesGVR).Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			out = append(out, fmt.Sprintf("namespace %q does not exist and the manifests do not create it (used by %d "+
				"objects, e.g. %s); create it or install the component that does (Kubeflow's common namespaces)", ns, len(refs), refs[0]))
			continue
		}
		if err != nil && !apierrors.IsForbidden(err) {
			return nil, fmt.Errorf("looking up namespace %q: %w", ns, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// deniedAccess asks the API server, once per resource type and namespace,
// whether the current user may create and patch the objects, so missing
// permissions show before any change instead of halfway through.
func deniedAccess(ctx context.Context, c *kube.Client, objs []*unstructured.Unstructured) ([]string, error) {
	type target struct {
		gvr schema.GroupVersionResource
		ns  string
	}
	seen := map[target]bool{}
	var out []string
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			continue // a kind from a CRD in this set, or reported as missing already
		}
		if err != nil {
			return nil, err
		}
		t := target{gvr: m.Resource}
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			t.ns = u.GetNamespace()
		}
		if seen[t] {
			continue
		}
		seen[t] = true
		for _, verb := range []string{"create", "patch"} {
			ok, err := allowed(ctx, c, t.gvr, t.ns, verb)
			if err != nil {
				return nil, err
			}
			if !ok {
				where := "cluster-wide"
				if t.ns != "" {
					where = fmt.Sprintf("in namespace %q", t.ns)
				}
				out = append(out, fmt.Sprintf("the current user may not %s %s %s (needed for e.g. %s); use a context "+
					"with cluster-admin rights or ask a cluster admin to grant it", verb, t.gvr.GroupResource(), where, RefOf(u)))
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func allowed(ctx context.Context, c *kube.Client, gvr schema.GroupVersionResource, ns, verb string) (bool, error) {
	review := &authv1.SelfSubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SelfSubjectAccessReview"},
		Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authv1.ResourceAttributes{
			Namespace: ns, Verb: verb, Group: gvr.Group, Resource: gvr.Resource,
		}},
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(review)
	if err != nil {
		return false, err
	}
	got, err := c.Dynamic.Resource(ssarGVR).Create(ctx, &unstructured.Unstructured{Object: m}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("asking whether the current user may %s %s: %w", verb, gvr.GroupResource(), err)
	}
	ok, _, _ := unstructured.NestedBool(got.Object, "status", "allowed")
	return ok, nil
}
