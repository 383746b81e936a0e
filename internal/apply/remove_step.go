package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// deleteStep deletes one step's objects, keeps shared namespaces and CRDs,
// and waits until the deleted ones are gone, finalizers included.
func (r *Remover) deleteStep(ctx context.Context, objs []found) ([]Ref, []string, error) {
	var deleted []found
	var kept []string
	var errs []error
	for _, f := range objs {
		ref := RefOf(f.obj)
		if !r.DeleteShared {
			why, err := r.usedByOthers(ctx, f.obj)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if why != "" {
				kept = append(kept, fmt.Sprintf("%s: %s (remove with --delete-shared)", ref, why))
				continue
			}
		}
		ri := r.Client.Dynamic.Resource(f.gvr).Namespace(f.obj.GetNamespace())
		policy := metav1.DeletePropagationBackground
		err := ri.Delete(ctx, f.obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &policy})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, explain(ref, "deleting", err))
			continue
		}
		deleted = append(deleted, f)
	}
	if err := errors.Join(errs...); err != nil {
		return refsOf(deleted), kept, err
	}
	return refsOf(deleted), kept, r.waitGone(ctx, deleted)
}

func refsOf(fs []found) []Ref {
	out := make([]Ref, len(fs))
	for i, f := range fs {
		out[i] = RefOf(f.obj)
	}
	return out
}

// waitGone waits, by watching each resource type, until objs no longer
// exist. On timeout it names what is left and the finalizers holding it.
func (r *Remover) waitGone(ctx context.Context, objs []found) error {
	byGVR := map[schema.GroupVersionResource][]found{}
	for _, f := range objs {
		byGVR[f.gvr] = append(byGVR[f.gvr], f)
	}
	// One watch per resource type, all at once, so a type stuck on a
	// finalizer does not eat the others' time.
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for gvr, fs := range byGVR {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.waitGoneOf(ctx, gvr, fs); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *Remover) waitGoneOf(ctx context.Context, gvr schema.GroupVersionResource, fs []found) error {
	var mu sync.Mutex
	left := map[string]*unstructured.Unstructured{}
	for _, f := range fs {
		left[f.obj.GetNamespace()+"/"+f.obj.GetName()] = f.obj
	}
	err := watchUntil(ctx, r.Client.Dynamic.Resource(gvr), Selector(r.Installation),
		func(items []unstructured.Unstructured) bool {
			mu.Lock()
			defer mu.Unlock()
			present := map[string]bool{}
			for i := range items {
				present[items[i].GetNamespace()+"/"+items[i].GetName()] = true
			}
			for k := range left {
				if !present[k] {
					delete(left, k)
				}
			}
			return len(left) == 0
		},
		func(typ watch.EventType, u *unstructured.Unstructured) bool {
			mu.Lock()
			defer mu.Unlock()
			k := u.GetNamespace() + "/" + u.GetName()
			if typ == watch.Deleted {
				delete(left, k)
			} else if _, waiting := left[k]; waiting {
				left[k] = u
			}
			return len(left) == 0
		})
	mu.Lock()
	defer mu.Unlock()
	if err == nil || len(left) == 0 {
		return nil
	}
	r.recheck(gvr, left)
	if len(left) == 0 {
		return nil
	}
	var parts []string
	for _, u := range left {
		parts = append(parts, fmt.Sprintf("%s (finalizers %v)", RefOf(u), u.GetFinalizers()))
	}
	sort.Strings(parts)
	return fmt.Errorf("waiting for deletion: %w; still present: %s (the controllers that remove those finalizers "+
		"may be gone or stuck; check them, then run removal again)", err, strings.Join(parts, ", "))
}

// recheck drops from left what a last list (on a fresh, short context, as
// ctx has ended) shows gone, so the error names only what really remains.
func (r *Remover) recheck(gvr schema.GroupVersionResource, left map[string]*unstructured.Unstructured) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := r.Client.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: Selector(r.Installation)})
	if err != nil {
		return
	}
	present := map[string]*unstructured.Unstructured{}
	for i := range list.Items {
		present[list.Items[i].GetNamespace()+"/"+list.Items[i].GetName()] = &list.Items[i]
	}
	for k := range left {
		if u, ok := present[k]; ok {
			left[k] = u
		} else {
			delete(left, k)
		}
	}
}

// usedByOthers says why a namespace or CRD kfaws created must stay: objects
// kfaws did not apply still live in it or use it. Empty means it can go.
func (r *Remover) usedByOthers(ctx context.Context, u *unstructured.Unstructured) (string, error) {
	switch StageOf(u) {
	case StageCRDs:
		return r.crdInUse(ctx, u)
	case StageNamespaces:
		return r.namespaceInUse(ctx, u.GetName())
	}
	return "", nil
}

func (r *Remover) crdInUse(ctx context.Context, crd *unstructured.Unstructured) (string, error) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		if served, _ := m["served"].(bool); !served || name == "" {
			continue
		}
		gvr := schema.GroupVersionResource{Group: group, Version: name, Resource: plural}
		list, err := r.Client.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return "", fmt.Errorf("checking whether others use CRD %q: %w", crd.GetName(), err)
		}
		if len(list.Items) > 0 {
			o := list.Items[0]
			return fmt.Sprintf("objects kfaws did not apply still use it, e.g. %s", RefOf(&o)), nil
		}
		return "", nil
	}
	return "", nil
}

// namespaceInUse looks for objects of common kinds in a namespace that kfaws
// did not apply, ignoring what Kubernetes itself puts in every namespace.
func (r *Remover) namespaceInUse(ctx context.Context, ns string) (string, error) {
	kinds := []schema.GroupVersionResource{
		{Version: "v1", Resource: "pods"}, {Version: "v1", Resource: "services"},
		{Version: "v1", Resource: "configmaps"}, {Version: "v1", Resource: "secrets"},
		{Version: "v1", Resource: "serviceaccounts"}, {Version: "v1", Resource: "persistentvolumeclaims"},
		{Group: "apps", Version: "v1", Resource: "deployments"}, {Group: "apps", Version: "v1", Resource: "statefulsets"},
		{Group: "batch", Version: "v1", Resource: "jobs"},
	}
	for _, gvr := range kinds {
		list, err := r.Client.Dynamic.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", fmt.Errorf("checking whether others use namespace %q: %w", ns, err)
		}
		for i := range list.Items {
			o := &list.Items[i]
			if owned(o, r.Installation) || builtIn(gvr.Resource, o) {
				continue
			}
			return fmt.Sprintf("it holds objects kfaws did not apply, e.g. %s %q", gvr.Resource, o.GetName()), nil
		}
	}
	return "", nil
}

func builtIn(resource string, o *unstructured.Unstructured) bool {
	switch resource {
	case "configmaps":
		return o.GetName() == "kube-root-ca.crt"
	case "serviceaccounts":
		return o.GetName() == "default"
	case "secrets":
		t, _, _ := unstructured.NestedString(o.Object, "type")
		return t == "kubernetes.io/service-account-token"
	}
	return false
}
