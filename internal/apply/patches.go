package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kfaws/kfaws/internal/ownership"
)

// Patched is the action for an object of another controller whose fields kfaws set (see ownership.PatchAnnotation).
const Patched Action = "patched"

// defaultPatchWait bounds the wait for a patched object to appear: Kubeflow's profile controller creates a
// profile's namespace and ServiceAccounts within seconds of the Profile, so minutes mean it is not coming.
const defaultPatchWait = 2 * time.Minute

// IsPatch reports whether an object of a rendered stream is a patch of another controller's object.
func IsPatch(u *unstructured.Unstructured) bool {
	_, ok := u.GetAnnotations()[ownership.PatchAnnotation]
	return ok
}

// splitPatches separates the patches from the objects kfaws creates and owns.
func splitPatches(objs []*unstructured.Unstructured) (own, patches []*unstructured.Unstructured) {
	for _, u := range objs {
		if IsPatch(u) {
			patches = append(patches, u)
		} else {
			own = append(own, u)
		}
	}
	return own, patches
}

// PendingError lists patches whose object did not appear in time; everything else was applied.
type PendingError struct {
	Missing []PendingPatch
	Waited  time.Duration
}

// PendingPatch is one patch whose object does not exist yet, with where that object comes from.
type PendingPatch struct {
	Ref  Ref
	From string
}

func (e *PendingError) Error() string {
	lines := make([]string, 0, len(e.Missing))
	for _, m := range e.Missing {
		lines = append(lines, fmt.Sprintf("%s does not exist after %s; it comes from %s", m.Ref, e.Waited, m.From))
	}
	return "everything else was applied, but kfaws could not set its fields on objects that other controllers " +
		"create:\n  - " + strings.Join(lines, "\n  - ") + "\ncreate them (e.g. the Profile), then run kfaws apply again"
}

// applyPatches waits, up to PatchWait, for each patched object to exist, then server-side applies only the
// fields the manifest sets: no ownership labels, so removal never deletes another controller's object.
func (a *Applier) applyPatches(ctx context.Context, patches []*unstructured.Unstructured, res *Result) error {
	if len(patches) == 0 {
		return nil
	}
	start := time.Now()
	waitFor := a.PatchWait
	if waitFor == 0 {
		waitFor = defaultPatchWait
	}
	var pending []PendingPatch
	var errs []error
	for _, u := range patches {
		act, err := a.applyPatch(ctx, u, waitFor)
		var missing *missingTarget
		switch {
		case errors.As(err, &missing):
			pending = append(pending, PendingPatch{Ref: RefOf(u), From: u.GetAnnotations()[ownership.PatchAnnotation]})
		case err != nil:
			errs = append(errs, err)
		default:
			res.Objects = append(res.Objects, ObjectResult{Ref: RefOf(u), Action: act})
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(pending) > 0 {
		return &PendingError{Missing: pending, Waited: waitFor}
	}
	fmt.Fprintf(a.Progress, "✓ patches of other controllers' objects: %d applied (%s)\n", len(patches), since(start))
	return nil
}

type missingTarget struct{ ref Ref }

func (m *missingTarget) Error() string { return m.ref.String() + " does not exist" }

func (a *Applier) applyPatch(ctx context.Context, u *unstructured.Unstructured, waitFor time.Duration) (Action, error) {
	ref := RefOf(u)
	ri, err := resourceFor(a.Client, u.GroupVersionKind(), u.GetNamespace())
	if err != nil {
		return "", explain(ref, "patching", err)
	}
	var existing *unstructured.Unstructured
	logged := false
	err = wait.PollUntilContextTimeout(ctx, 2*time.Second, waitFor, true, func(ctx context.Context) (bool, error) {
		got, err := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
		switch {
		case err == nil:
			existing = got
			return true, nil
		case apierrors.IsNotFound(err) || transient(err):
			if !logged {
				fmt.Fprintf(a.Progress, "… waiting up to %s for %s (it comes from %s)\n", waitFor, ref,
					u.GetAnnotations()[ownership.PatchAnnotation])
				logged = true
			}
			return false, nil
		default:
			return false, explain(ref, "reading", err)
		}
	})
	if existing == nil {
		if ctx.Err() == nil && (err == nil || wait.Interrupted(err)) {
			return "", &missingTarget{ref: ref}
		}
		return "", err
	}
	desired := u.DeepCopy()
	ann := desired.GetAnnotations()
	delete(ann, ownership.PatchAnnotation)
	desired.SetAnnotations(ann)
	got, err := ri.Apply(ctx, u.GetName(), desired, metav1.ApplyOptions{FieldManager: FieldManager, Force: a.ForceConflicts})
	if err != nil {
		return "", explain(ref, "patching", err)
	}
	if got.GetResourceVersion() == existing.GetResourceVersion() {
		return Unchanged, nil
	}
	return Patched, nil
}
