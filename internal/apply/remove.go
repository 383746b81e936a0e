package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/kfaws/kfaws/internal/kube"
)

// Remover deletes what an installation applied: every object carrying its
// labels, found by asking the cluster (not by re-reading manifests, which may
// have changed since), in reverse dependency order.
type Remover struct {
	Client       *kube.Client
	Installation string
	// DeleteShared also deletes kfaws's namespaces and CRDs that other
	// software still uses (objects without kfaws's labels in them).
	DeleteShared bool
	// CleanGuideLeftovers also deletes what the reference guide's uninstall
	// deletes by hand although kfaws never created it: Knative webhook
	// configurations and training-operator Endpoints, and only those whose
	// Service is gone (see cleanLeftovers).
	CleanGuideLeftovers bool
	// Timeout bounds the whole removal; zero means 10 minutes.
	Timeout  time.Duration
	Progress io.Writer
	Log      *slog.Logger
}

// RemoveResult says what was deleted and what was deliberately kept.
type RemoveResult struct {
	Deleted []Ref
	// Kept are kfaws's namespaces and CRDs left because others use them.
	Kept []string
	// Leftovers are dangling objects of the upstream manifests (see
	// cleanLeftovers) that were deleted.
	Leftovers []Ref
}

// found is a labelled object together with its REST resource.
type found struct {
	obj *unstructured.Unstructured
	gvr schema.GroupVersionResource
}

// Remove deletes the installation's objects in this order, waiting for each
// step's objects (and their finalizers) to be gone before the next: custom
// resources (while the controllers that finalize them still run), webhook
// configurations and API services, the other objects, CRDs, namespaces. Then
// it deletes the upstream manifests' leftovers that are dangling.
func (r *Remover) Remove(ctx context.Context) (*RemoveResult, error) {
	if r.Timeout == 0 {
		r.Timeout = 10 * time.Minute
	}
	if r.Progress == nil {
		r.Progress = io.Discard
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	if err := CheckInstallation(r.Installation); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	objs, err := Labelled(ctx, r.Client, r.Installation)
	if err != nil {
		return nil, err
	}
	res := &RemoveResult{}
	for _, step := range removalSteps(objs) {
		if len(step.objs) == 0 {
			continue
		}
		start := time.Now()
		del, kept, err := r.deleteStep(ctx, step.objs)
		res.Deleted = append(res.Deleted, del...)
		res.Kept = append(res.Kept, kept...)
		if err != nil {
			return res, err
		}
		fmt.Fprintf(r.Progress, "✓ removed %s: %d deleted (%s)\n", step.name, len(del), since(start))
	}
	if r.CleanGuideLeftovers {
		left, err := cleanLeftovers(ctx, r.Client)
		res.Leftovers = left
		for _, ref := range left {
			fmt.Fprintf(r.Progress, "✓ deleted dangling %s left by the upstream manifests\n", ref)
		}
		if err != nil {
			return res, err
		}
	}
	for _, k := range res.Kept {
		fmt.Fprintf(r.Progress, "! kept %s\n", k)
	}
	return res, nil
}

type removalStep struct {
	name string
	objs []found
}

func removalSteps(objs []found) []removalStep {
	steps := []removalStep{{name: "custom resources"}, {name: "webhooks and API services"}, {name: "objects"},
		{name: "custom resource definitions"}, {name: "namespaces"}}
	for _, f := range objs {
		i := 2
		switch {
		case StageOf(f.obj) == StageCRDs:
			i = 3
		case StageOf(f.obj) == StageNamespaces:
			i = 4
		case StageOf(f.obj) == StageWebhooks:
			i = 1
		case isCustom(f.obj):
			i = 0
		}
		steps[i].objs = append(steps[i].objs, f)
	}
	// Workloads go before the Services, accounts and config they use.
	objects := steps[2].objs
	for a, b := 0, len(objects)-1; a < b; a, b = a+1, b-1 {
		objects[a], objects[b] = objects[b], objects[a]
	}
	return steps
}

// Labelled lists every object in the cluster carrying the installation's
// labels, across all resource types the cluster serves.
func Labelled(ctx context.Context, c *kube.Client, installation string) ([]found, error) {
	lists, err := c.Discovery.ServerPreferredResources()
	var partial *discovery.ErrGroupDiscoveryFailed
	if err != nil && !errors.As(err, &partial) {
		return nil, fmt.Errorf("listing the cluster's resource types: %w", err)
	}
	var out []found
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, res := range l.APIResources {
			if strings.Contains(res.Name, "/") || !hasVerbs(res.Verbs, "list", "delete") || res.Kind == "Event" {
				continue
			}
			gvr := gv.WithResource(res.Name)
			items, err := c.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: Selector(installation)})
			if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
				continue // the API went away between discovery and listing
			}
			if err != nil {
				return nil, fmt.Errorf("listing %s labelled %q: %w", gvr.String(), Selector(installation), err)
			}
			for i := range items.Items {
				u := items.Items[i]
				u.SetGroupVersionKind(gv.WithKind(res.Kind))
				out = append(out, found{obj: &u, gvr: gvr})
			}
		}
	}
	sortFound(out)
	return out, nil
}

func sortFound(fs []found) {
	objs := make([]*unstructured.Unstructured, len(fs))
	byObj := map[*unstructured.Unstructured]found{}
	for i, f := range fs {
		objs[i] = f.obj
		byObj[f.obj] = f
	}
	sortObjects(objs)
	for i, u := range objs {
		fs[i] = byObj[u]
	}
}

func hasVerbs(verbs metav1.Verbs, want ...string) bool {
	for _, w := range want {
		found := false
		for _, v := range verbs {
			if v == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Ref names a found object.
func (f found) Ref() Ref { return RefOf(f.obj) }

// Object is the found object as listed.
func (f found) Object() *unstructured.Unstructured { return f.obj }
