package operation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/render"
	"github.com/kfaws/kfaws/internal/state"
)

// Render generates and builds the overlay for a manifests checkout with this installation's values: the
// configuration, what `kfaws up` recorded in the state file, and the overrides (highest precedence).
type Render struct {
	*Configuration
	// Manifests is the root of the manifests checkout.
	Manifests string
	// Overrides are values for resources the user brought instead of `kfaws up`.
	Overrides Overrides
	// OutDir keeps the overlay (for GitOps); empty means a temporary directory.
	OutDir string
	// GitMirrors maps a remote base's repository URL to a local git repository with the same refs.
	GitMirrors map[string]string
	// AllowNetwork lets kustomize clone remote bases that have no mirror.
	AllowNetwork bool
}

// RenderResult is what render found and produced.
type RenderResult = render.Result

// Run renders with the recorded values.
func (r *Render) Run(ctx context.Context) (*RenderResult, error) {
	return r.run(ctx, r.State.Snapshot().Outputs, r.Overrides)
}

// objects renders with outputs and over, and returns the built objects ready for Apply.
func (r *Render) objects(ctx context.Context, outputs state.Outputs, over Overrides) ([]*unstructured.Unstructured, *RenderResult, error) {
	res, err := r.run(ctx, outputs, over)
	if err != nil {
		return nil, res, err
	}
	data, err := res.YAML()
	if err != nil {
		return nil, res, err
	}
	objs, err := apply.Decode(strings.NewReader(string(data)), "rendered manifests")
	return objs, res, err
}

func (r *Render) run(ctx context.Context, outputs state.Outputs, over Overrides) (*RenderResult, error) {
	if r.Manifests == "" {
		return nil, badInput(fmt.Errorf("--manifests is required: the root of your Kubeflow manifests checkout"))
	}
	op := &render.Render{Manifests: r.Manifests, Values: combine(r.Config, outputs, over), OutDir: r.OutDir,
		GitMirrors: r.GitMirrors, AllowNetwork: r.AllowNetwork, Logger: r.logger()}
	res, err := op.Run(ctx)
	var fe render.FieldError
	if errors.As(err, &fe) {
		return res, &InputError{Err: &ValuesError{Option: string(r.Config.Option), Err: err}}
	}
	return res, renderInput(err)
}

// ValuesError says a value the option needs is missing or malformed; it is bad input, not a failure.
type ValuesError struct {
	Option string
	Err    error
}

func (e *ValuesError) Error() string {
	return fmt.Sprintf("values for option %q (run kfaws up first, or give them as flags):\n%v", e.Option, e.Err)
}

func (e *ValuesError) Unwrap() error { return e.Err }
