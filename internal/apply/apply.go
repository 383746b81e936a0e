// Package apply installs and removes sets of Kubernetes objects the way kfaws
// needs: server-side apply with field manager "kfaws" in stages (CRDs until
// Established, namespaces, objects, webhooks), bounded retries with backoff
// for transient errors only, conflicts reported by object and field, readiness
// of workloads with per-object progress, and removal of exactly the objects
// carrying an installation's labels, in reverse dependency order.
package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/kfaws/kfaws/internal/kube"
)

// Action is what applying did to one object.
type Action string

// Actions reported per object.
const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	// Kept is an existing namespace kfaws did not create: it is used as is and
	// never labelled, so removal never deletes it.
	Kept Action = "kept"
)

// ObjectResult is the outcome for one object.
type ObjectResult struct {
	Ref    Ref
	Action Action
}

// Result is the outcome of an Apply.
type Result struct {
	Objects []ObjectResult
	// Retries counts objects re-sent after a transient error.
	Retries int
}

// Count returns how many objects got action a.
func (r *Result) Count(a Action) int {
	n := 0
	for _, o := range r.Objects {
		if o.Action == a {
			n++
		}
	}
	return n
}

// Applier applies object sets to one cluster for one installation.
type Applier struct {
	Client *kube.Client
	// Installation names the install; it becomes the kfaws.dev/installation
	// label value.
	Installation string
	// ForceConflicts takes over fields other field managers own.
	ForceConflicts bool
	// Adopt takes over existing objects kfaws did not create (except
	// namespaces, which are always kept as they are).
	Adopt bool
	// Wait waits for Deployments, StatefulSets and DaemonSets to be ready.
	Wait bool
	// Timeout bounds the whole Apply, retries and waiting included; zero
	// means 10 minutes.
	Timeout time.Duration
	// Progress receives one line per finished object or step; nil discards.
	Progress io.Writer
	// Log receives diagnostics; nil discards.
	Log *slog.Logger
	// Concurrency bounds parallel requests; zero means 8.
	Concurrency int
	// Backoff paces retries of transient errors; zero value means the default
	// (250ms doubling to 10s, 10 attempts).
	Backoff wait.Backoff
	// PatchWait bounds the wait for the objects that patches target (see
	// IsPatch); zero means 2 minutes.
	PatchWait time.Duration
}

func (a *Applier) defaults() {
	if a.Timeout == 0 {
		a.Timeout = 10 * time.Minute
	}
	if a.Progress == nil {
		a.Progress = io.Discard
	}
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.Concurrency == 0 {
		a.Concurrency = 8
	}
	if a.Backoff.Steps == 0 {
		a.Backoff = wait.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: 10, Cap: 10 * time.Second}
	}
}

// Apply applies objs stage by stage and, when Wait is set, waits for the
// workloads among them; patches of other controllers' objects come last.
// Preflight should run first; Apply itself stops at the first stage with a
// permanent error.
func (a *Applier) Apply(ctx context.Context, objs []*unstructured.Unstructured) (*Result, error) {
	a.defaults()
	if err := CheckInstallation(a.Installation); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, a.Timeout)
	defer cancel()
	res := &Result{}
	objs, patches := splitPatches(objs)
	for stage, batch := range Staged(objs) {
		if len(batch) == 0 {
			continue
		}
		start := time.Now()
		batch = clusterScoped(a.Client, batch)
		if err := a.applyStage(ctx, batch, res); err != nil {
			return res, err
		}
		if Stage(stage) == StageCRDs {
			if err := a.waitEstablished(ctx, batch); err != nil {
				return res, err
			}
		}
		fmt.Fprintf(a.Progress, "✓ %s: %d applied (%s)\n", Stage(stage), len(batch), since(start))
	}
	if a.Wait {
		if err := a.waitReady(ctx, objs); err != nil {
			return res, err
		}
	}
	// Last: the objects patches target are created by other controllers, possibly only now.
	return res, a.applyPatches(ctx, patches, res)
}

// applyStage applies a batch in parallel, retrying only the objects that
// failed transiently, with exponential backoff, until the backoff is spent.
func (a *Applier) applyStage(ctx context.Context, batch []*unstructured.Unstructured, res *Result) error {
	backoff := a.Backoff
	pending := batch
	for {
		outcomes := a.applyAll(ctx, pending)
		var retry []*unstructured.Unstructured
		var errs, retryErrs []error
		for i, o := range outcomes {
			switch {
			case o.err == nil:
				res.Objects = append(res.Objects, ObjectResult{Ref: RefOf(pending[i]), Action: o.action})
			case transient(o.err):
				retry = append(retry, pending[i])
				retryErrs = append(retryErrs, o.err)
			default:
				errs = append(errs, o.err)
			}
		}
		if len(errs) > 0 || len(retry) == 0 {
			return errors.Join(errs...)
		}
		if backoff.Steps <= 1 || ctx.Err() != nil {
			for i, u := range retry {
				errs = append(errs, explain(RefOf(u), "applying", retryErrs[i]))
			}
			return errors.Join(errs...)
		}
		d := backoff.Step()
		a.Log.Info("retrying transient failures", "objects", len(retry), "after", d, "error", retryErrs[0])
		res.Retries += len(retry)
		select {
		case <-ctx.Done():
			return fmt.Errorf("applying: %w (last error: %w)", ctx.Err(), retryErrs[0])
		case <-time.After(d):
		}
		pending = retry
	}
}

type outcome struct {
	action Action
	err    error
}

// applyAll applies objects concurrently, Concurrency at a time.
func (a *Applier) applyAll(ctx context.Context, objs []*unstructured.Unstructured) []outcome {
	out := make([]outcome, len(objs))
	sem := make(chan struct{}, a.Concurrency)
	var wg sync.WaitGroup
	for i, u := range objs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			act, err := a.applyOne(ctx, u)
			out[i] = outcome{action: act, err: err}
			if err == nil {
				a.Log.Debug("applied", "object", RefOf(u).String(), "action", act)
			}
		}()
	}
	wg.Wait()
	return out
}

// applyOne server-side applies one object. Errors that are not transient
// come back explained (object, reason, what to do).
func (a *Applier) applyOne(ctx context.Context, u *unstructured.Unstructured) (Action, error) {
	ref := RefOf(u)
	ri, err := resourceFor(a.Client, u.GroupVersionKind(), u.GetNamespace())
	if err != nil {
		if transient(err) {
			return "", err
		}
		return "", explain(ref, "applying", err)
	}
	existing, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		existing = nil
	case err != nil:
		if transient(err) {
			return "", err
		}
		return "", explain(ref, "reading", err)
	case !owned(existing, a.Installation) && u.GetKind() == "Namespace" && u.GroupVersionKind().Group == "":
		return Kept, nil
	case !owned(existing, a.Installation) && !a.Adopt:
		return "", &NotOwnedError{Ref: ref}
	}
	desired := prepare(u, a.Installation)
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: a.ForceConflicts}
	if existing != nil {
		// A server-side dry run first: some kinds (PersistentVolumeClaims, as
		// admission plugins touch them) get a new resourceVersion from an
		// apply that changes nothing. Comparing the dry run's result with the
		// live object keeps a re-apply from writing at all.
		dry := opts
		dry.DryRun = []string{metav1.DryRunAll}
		got, err := ri.Apply(ctx, u.GetName(), desired, dry)
		if err == nil && sameObject(existing, got) {
			return Unchanged, nil
		}
	}
	got, err := ri.Apply(ctx, u.GetName(), desired, opts)
	if err != nil {
		if transient(err) {
			return "", err
		}
		return "", explain(ref, "applying", err)
	}
	switch {
	case existing == nil:
		return Created, nil
	case existing.GetResourceVersion() == got.GetResourceVersion():
		return Unchanged, nil
	default:
		return Configured, nil
	}
}

// clusterScoped returns batch with the namespace cleared on cluster-scoped
// objects: kustomize's namespace transformer sets one on custom resources it
// cannot know are cluster-scoped (metacontroller's DecoratorController), and
// the object should be reported and labelled under its real name.
func clusterScoped(c *kube.Client, batch []*unstructured.Unstructured) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(batch))
	reset := false
	for i, u := range batch {
		out[i] = u
		if u.GetNamespace() == "" {
			continue
		}
		gvk := u.GroupVersionKind()
		m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) && !reset { // a CRD of this install, established since the last discovery
			c.Mapper.Reset()
			reset = true
			m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		if err == nil && m.Scope.Name() != meta.RESTScopeNameNamespace {
			out[i] = u.DeepCopy()
			out[i].SetNamespace("")
		}
	}
	return out
}

// resourceFor maps a kind to its REST resource. A kind the mapper does not
// know may belong to a CRD established a moment ago: the mapper's discovery
// cache is reset and the lookup tried once more before giving up.
func resourceFor(c *kube.Client, gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, error) {
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.Mapper.Reset()
		m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if namespace == "" {
			namespace = metav1.NamespaceDefault
		}
		return c.Dynamic.Resource(m.Resource).Namespace(namespace), nil
	}
	return c.Dynamic.Resource(m.Resource), nil
}

// sameObject reports whether two versions of an object are equal apart from
// the times in their managed fields.
func sameObject(a, b *unstructured.Unstructured) bool {
	return equality.Semantic.DeepEqual(withoutTimes(a), withoutTimes(b))
}

func withoutTimes(u *unstructured.Unstructured) map[string]any {
	c := u.DeepCopy()
	mf := c.GetManagedFields()
	for i := range mf {
		mf[i].Time = nil
	}
	c.SetManagedFields(mf)
	return c.Object
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }
