package apply

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// ObjectError is a failure to apply or delete one object: the object, the
// server's reason and what to do about it.
type ObjectError struct {
	Ref  Ref
	Verb string // "applying", "deleting", ...
	Err  error
	Hint string
}

func (e *ObjectError) Error() string {
	msg := fmt.Sprintf("%s %s: %v", e.Verb, e.Ref, e.Err)
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *ObjectError) Unwrap() error { return e.Err }

// ConflictError reports fields another field manager owns. Applying again
// with ForceConflicts takes them over.
type ConflictError struct {
	Ref       Ref
	Conflicts []FieldConflict
}

// FieldConflict is one field owned by another manager.
type FieldConflict struct {
	Field   string // e.g. ".spec.replicas"
	Manager string // the server's description, e.g. `conflict with "kubectl" using apps/v1`
}

func (e *ConflictError) Error() string {
	parts := make([]string, 0, len(e.Conflicts))
	for _, c := range e.Conflicts {
		parts = append(parts, fmt.Sprintf("field %q (%s)", c.Field, c.Manager))
	}
	return fmt.Sprintf("applying %s: fields owned by another field manager: %s (apply with --force-conflicts to take them over)",
		e.Ref, strings.Join(parts, ", "))
}

// NotOwnedError is an existing object that kfaws did not create.
type NotOwnedError struct {
	Ref Ref
}

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("%s exists and was not applied by this kfaws installation (no %s=%s label); remove it, "+
		"or apply with --adopt to take it over", e.Ref, LabelManagedBy, ManagedByValue)
}

// conflictError turns a server-side apply 409 into a ConflictError.
func conflictError(ref Ref, err error) (*ConflictError, bool) {
	var status apierrors.APIStatus
	if !apierrors.IsConflict(err) || !errors.As(err, &status) {
		return nil, false
	}
	details := status.Status().Details
	if details == nil {
		return nil, false
	}
	ce := &ConflictError{Ref: ref}
	for _, c := range details.Causes {
		if c.Type == metav1.CauseTypeFieldManagerConflict {
			ce.Conflicts = append(ce.Conflicts, FieldConflict{Field: c.Field, Manager: c.Message})
		}
	}
	if len(ce.Conflicts) == 0 {
		return nil, false
	}
	sort.Slice(ce.Conflicts, func(i, j int) bool { return ce.Conflicts[i].Field < ce.Conflicts[j].Field })
	return ce, true
}

// transient reports whether an error is worth retrying: the API server is
// briefly unable, not unwilling. A webhook whose Service has no ready
// endpoints yet and a kind whose CRD was established a moment ago are the
// usual cases during an install.
func transient(err error) bool {
	switch {
	case err == nil:
		return false
	case meta.IsNoMatchError(err):
		return true
	case apierrors.IsServiceUnavailable(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsTooManyRequests(err), apierrors.IsInternalError(err):
		return true
	case utilnet.IsConnectionRefused(err), utilnet.IsConnectionReset(err), utilnet.IsProbableEOF(err):
		return true
	case apierrors.IsNotFound(err) && strings.Contains(err.Error(), "the server could not find the requested resource"):
		return true // discovery knew the kind a moment before the API group was served
	}
	// Admission webhooks that cannot be reached are reported with varying
	// codes (500, or 4xx when the webhook's own call failed).
	msg := err.Error()
	return strings.Contains(msg, "failed calling webhook") || strings.Contains(msg, "no endpoints available for service")
}

// explain wraps a permanent error with what to do about it.
func explain(ref Ref, verb string, err error) error {
	if ce, ok := conflictError(ref, err); ok {
		return ce
	}
	oe := &ObjectError{Ref: ref, Verb: verb, Err: err}
	switch {
	case apierrors.IsForbidden(err):
		oe.Hint = "the credentials of this kubeconfig context lack that permission; use a context with " +
			"cluster-admin rights, or ask a cluster admin to grant it"
	case apierrors.IsUnauthorized(err):
		oe.Hint = "the cluster rejected the credentials; refresh them (for EKS: aws eks update-kubeconfig)"
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		oe.Hint = "the API server rejected the object; fix the manifest or the option that produced it"
	case meta.IsNoMatchError(err):
		oe.Hint = "the cluster does not serve this kind; install the CRD or operator that provides it"
	case transient(err):
		oe.Hint = "still failing after retries; check the webhook or API service named in the message"
	}
	return oe
}
