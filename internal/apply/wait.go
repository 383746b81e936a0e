package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

var (
	crdGVR        = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	deploymentGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	daemonSetGVR  = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}
	statefulGVR   = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
)

// readiness decides whether one object is ready and, if not, says why.
type readiness func(u *unstructured.Unstructured) (ready bool, why string)

// waitTarget is a set of objects of one resource to wait for.
type waitTarget struct {
	gvr   schema.GroupVersionResource
	kind  string
	verb  string // "established", "available", ...
	ready readiness
	keys  map[string]bool // "namespace/name"
}

func (a *Applier) waitEstablished(ctx context.Context, crds []*unstructured.Unstructured) error {
	t := waitTarget{gvr: crdGVR, kind: "CustomResourceDefinition", verb: "established", ready: crdEstablished, keys: keysOf(crds)}
	return waitFor(ctx, a, t, false)
}

// waitReady waits for the workloads among objs, printing a line as each
// becomes ready and, every 15 seconds, the ones still pending and why.
func (a *Applier) waitReady(ctx context.Context, objs []*unstructured.Unstructured) error {
	targets := []waitTarget{
		{gvr: deploymentGVR, kind: "Deployment", verb: "available", ready: deploymentReady},
		{gvr: statefulGVR, kind: "StatefulSet", verb: "ready", ready: statefulSetReady},
		{gvr: daemonSetGVR, kind: "DaemonSet", verb: "ready", ready: daemonSetReady},
	}
	var errs []error
	for _, t := range targets {
		var of []*unstructured.Unstructured
		for _, u := range objs {
			if u.GetKind() == t.kind && u.GroupVersionKind().Group == "apps" {
				of = append(of, u)
			}
		}
		if len(of) == 0 {
			continue
		}
		t.keys = keysOf(of)
		if err := waitFor(ctx, a, t, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func keysOf(objs []*unstructured.Unstructured) map[string]bool {
	keys := map[string]bool{}
	for _, u := range objs {
		keys[u.GetNamespace()+"/"+u.GetName()] = true
	}
	return keys
}

// waitFor watches the target's resource (restricted to the installation's
// labels) until every key is ready or ctx ends. It reacts to watch events, so
// there is no polling interval to tune.
func waitFor(ctx context.Context, a *Applier, t waitTarget, progress bool) error {
	start := time.Now()
	var mu sync.Mutex
	pending := map[string]string{}
	for k := range t.keys {
		pending[k] = "not seen yet"
	}
	if progress {
		stop := make(chan struct{})
		defer close(stop)
		go reportPending(a.Progress, t, &mu, pending, stop)
	}
	// see reports whether all are ready after u; callers hold mu.
	see := func(u *unstructured.Unstructured) bool {
		k := u.GetNamespace() + "/" + u.GetName()
		if _, waiting := pending[k]; !waiting {
			return len(pending) == 0
		}
		if ready, why := t.ready(u); !ready {
			pending[k] = why
			return false
		}
		delete(pending, k)
		if progress {
			fmt.Fprintf(a.Progress, "✓ %s %s (%s)\n", Ref{GVK: u.GroupVersionKind(), Namespace: u.GetNamespace(), Name: u.GetName()}, t.verb, since(start))
		}
		return len(pending) == 0
	}
	err := watchUntil(ctx, a.Client.Dynamic.Resource(t.gvr), Selector(a.Installation),
		func(items []unstructured.Unstructured) bool {
			mu.Lock()
			defer mu.Unlock()
			for i := range items {
				if see(&items[i]) {
					return true
				}
			}
			return len(pending) == 0
		},
		func(typ watch.EventType, u *unstructured.Unstructured) bool {
			mu.Lock()
			defer mu.Unlock()
			if typ == watch.Deleted {
				return false
			}
			return see(u)
		})
	if err == nil {
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	return fmt.Errorf("waiting for %d %s(s) to be %s: %w; still pending: %s (rerun with a longer --timeout, "+
		"or --wait=false to skip waiting)", len(pending), t.kind, t.verb, err, pendingList(pending))
}

func reportPending(w io.Writer, t waitTarget, mu *sync.Mutex, pending map[string]string, stop chan struct{}) {
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			mu.Lock()
			if len(pending) > 0 {
				fmt.Fprintf(w, "… %d %s(s) not %s yet: %s\n", len(pending), t.kind, t.verb, pendingList(pending))
			}
			mu.Unlock()
		}
	}
}

func pendingList(pending map[string]string) string {
	parts := make([]string, 0, len(pending))
	for k, why := range pending {
		parts = append(parts, fmt.Sprintf("%s (%s)", strings.TrimPrefix(k, "/"), why))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func condition(u *unstructured.Unstructured, typ string) (status, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == typ {
			s, _ := m["status"].(string)
			msg, _ := m["message"].(string)
			return s, msg
		}
	}
	return "", ""
}

func crdEstablished(u *unstructured.Unstructured) (bool, string) {
	if s, msg := condition(u, "NamesAccepted"); s == "False" {
		return false, "names not accepted: " + msg
	}
	if s, _ := condition(u, "Established"); s != "True" {
		return false, "not established yet"
	}
	return true, ""
}

func nestedInt(u *unstructured.Unstructured, def int64, path ...string) int64 {
	v, found, err := unstructured.NestedInt64(u.Object, path...)
	if !found || err != nil {
		return def
	}
	return v
}

func observed(u *unstructured.Unstructured) (bool, string) {
	if og := nestedInt(u, 0, "status", "observedGeneration"); og < u.GetGeneration() {
		return false, fmt.Sprintf("controller has not observed generation %d", u.GetGeneration())
	}
	return true, ""
}

func deploymentReady(u *unstructured.Unstructured) (bool, string) {
	if ok, why := observed(u); !ok {
		return false, why
	}
	want := nestedInt(u, 1, "spec", "replicas")
	if got := nestedInt(u, 0, "status", "updatedReplicas"); got < want {
		return false, fmt.Sprintf("%d of %d replicas updated", got, want)
	}
	if got := nestedInt(u, 0, "status", "availableReplicas"); got < want {
		return false, fmt.Sprintf("%d of %d replicas available", got, want)
	}
	if s, msg := condition(u, "Available"); s != "True" {
		return false, "not available: " + msg
	}
	return true, ""
}

func statefulSetReady(u *unstructured.Unstructured) (bool, string) {
	if ok, why := observed(u); !ok {
		return false, why
	}
	want := nestedInt(u, 1, "spec", "replicas")
	if got := nestedInt(u, 0, "status", "updatedReplicas"); got < want {
		return false, fmt.Sprintf("%d of %d replicas updated", got, want)
	}
	if got := nestedInt(u, 0, "status", "readyReplicas"); got < want {
		return false, fmt.Sprintf("%d of %d replicas ready", got, want)
	}
	return true, ""
}

func daemonSetReady(u *unstructured.Unstructured) (bool, string) {
	if ok, why := observed(u); !ok {
		return false, why
	}
	want := nestedInt(u, 0, "status", "desiredNumberScheduled")
	if got := nestedInt(u, 0, "status", "updatedNumberScheduled"); got < want {
		return false, fmt.Sprintf("%d of %d nodes updated", got, want)
	}
	if got := nestedInt(u, 0, "status", "numberAvailable"); got < want {
		return false, fmt.Sprintf("%d of %d nodes available", got, want)
	}
	return true, ""
}
