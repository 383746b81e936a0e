package operation

import (
	"context"
	"errors"

	"github.com/kfaws/kfaws/internal/apply"
	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/render"
)

// Class is what kind of outcome an operation's error is; the CLI maps each to its exit code in one place.
type Class int

// The classes, from the user's point of view.
const (
	// Failed: the operation ran and failed (AWS, Kubernetes, database, a build); it may have changed things.
	Failed Class = iota
	// BadInput: the configuration, flags, manifests or values were refused before anything changed.
	BadInput
	// Conflicting: resources or objects exist that kfaws must not touch; nothing was changed.
	Conflicting
)

// InputError marks an error as bad input: nothing was changed, and the user must fix what it names.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// badInput wraps err as an InputError (nil stays nil).
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &InputError{Err: err}
}

// Classify tells which class err belongs to.
func Classify(err error) Class {
	var (
		ie     *InputError
		ce     config.Errors
		pc     *ConflictError
		dest   *DestinationError
		ac     *apply.ConflictError
		nowned *apply.NotOwnedError
		// A pre-flight finds what the cluster or AWS account lacks before anything changes.
		kpre *apply.PreflightError
		apre *plan.PreflightError
		// Missing or refused credentials are the environment's, found before any change.
		creds *kaws.CredentialsError
	)
	switch {
	case errors.As(err, &pc), errors.As(err, &dest), errors.As(err, &ac), errors.As(err, &nowned):
		return Conflicting
	case errors.As(err, &ie), errors.As(err, &ce), errors.As(err, &kpre), errors.As(err, &apre), errors.As(err, &creds):
		return BadInput
	}
	return Failed
}

// renderInput classifies what render refused: an unknown tree, remote bases while offline, a refused
// combination or a missing value are bad input; a failing kustomize build or a cancelled run is not.
func renderInput(err error) error {
	var be *render.BuildError
	if err == nil || errors.As(err, &be) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	return badInput(err)
}
