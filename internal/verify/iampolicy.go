package verify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// policyDocument is the part of an IAM policy document the evaluator reads.
type policyDocument struct {
	Statement oneOrMany[statement] `json:"Statement"`
}

type statement struct {
	Effect      string            `json:"Effect"`
	Action      oneOrMany[string] `json:"Action"`
	NotAction   oneOrMany[string] `json:"NotAction"`
	Resource    oneOrMany[string] `json:"Resource"`
	NotResource oneOrMany[string] `json:"NotResource"`
	Condition   json.RawMessage   `json:"Condition"`
}

// oneOrMany reads IAM's "a string or a list of strings" (and one statement or a list of them).
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	var many []T
	if err := json.Unmarshal(b, &many); err == nil {
		*o = many
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = []T{one}
	return nil
}

// parsePolicy reads a document as IAM returns it (URL-encoded) or as written.
func parsePolicy(doc string) (policyDocument, error) {
	if dec, err := url.QueryUnescape(doc); err == nil {
		doc = dec
	}
	var p policyDocument
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return p, fmt.Errorf("parsing policy document: %w", err)
	}
	return p, nil
}

// Decision is the outcome of evaluating one request against identity policies.
type Decision string

// The outcomes. Conditional means only statements with conditions allow it, and the request does not say enough
// to decide them (a key it does not know, or an operator this evaluator does not implement).
const (
	Allowed     Decision = "allowed"
	Denied      Decision = "denied"
	Conditional Decision = "conditional"
	ImplicitNo  Decision = "not allowed"
)

// request is one call as IAM evaluates it: the action, the resource's ARN and what the request context says of
// condition keys (key names compare case-insensitively, as in IAM).
type request struct {
	action, resource string
	// keys are the condition keys the call carries, with their values; they also fill policy variables ${key}.
	keys map[string]string
	// absent are condition keys the call is known not to carry. A condition on a key in neither keys nor absent
	// is undecided: the request says nothing of, say, aws:SecureTransport, which a real call always carries.
	absent []string
}

// evaluate applies IAM's identity-policy logic to one action on one resource, with no request context: every
// statement with a condition on a key is undecided.
func evaluate(docs []policyDocument, action, resource string) Decision {
	return evaluateRequest(docs, request{action: action, resource: resource})
}

// evaluateRequest applies IAM's identity-policy logic (an explicit deny wins, then any allow, else implicit deny)
// to req. It exists because moto has no iam:SimulatePrincipalPolicy; it does not consider permission boundaries,
// SCPs or bucket policies. A Deny whose condition is undecided is taken not to apply, as kfaws always has.
func evaluateRequest(docs []policyDocument, req request) Decision {
	allowed, conditional := false, false
	for _, d := range docs {
		for _, s := range d.Statement {
			if !s.matches(req) {
				continue
			}
			cond := s.conditionHolds(req)
			switch {
			case strings.EqualFold(s.Effect, "Deny") && cond == condTrue:
				return Denied
			case strings.EqualFold(s.Effect, "Allow") && cond == condTrue:
				allowed = true
			case strings.EqualFold(s.Effect, "Allow") && cond == condUndecided:
				conditional = true
			}
		}
	}
	switch {
	case allowed:
		return Allowed
	case conditional:
		return Conditional
	}
	return ImplicitNo
}

// matches reports whether the statement names the request's action and resource; policy variables in
// Resource and NotResource take their values from the request.
func (s statement) matches(req request) bool {
	actionOK := anyMatch(s.Action, req.action, true) || (len(s.NotAction) > 0 && !anyMatch(s.NotAction, req.action, true))
	resourceOK := anyResource(s.Resource, req) || (len(s.NotResource) > 0 && !anyResource(s.NotResource, req))
	return actionOK && resourceOK
}

// anyResource matches the ARN against patterns after filling their policy variables; a pattern naming a key the
// request lacks matches nothing (IAM's rule).
func anyResource(patterns []string, req request) bool {
	for _, p := range patterns {
		if pat, ok := expand(p, req, true); ok && pat.match(req.resource, false) {
			return true
		}
	}
	return false
}

// anyMatch matches IAM wildcards (* spans any characters, slashes included; ? is one character; nothing else
// is special); actions compare case-insensitively, resources (ARNs) exactly.
func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		if wildcard(p, s) {
			return true
		}
	}
	return false
}

// wildcard matches s against p, in which * and ? are wildcards.
func wildcard(p, s string) bool {
	pat := make(pattern, len(p))
	for i := 0; i < len(p); i++ {
		pat[i] = patternByte{c: p[i], wild: p[i] == '*' || p[i] == '?'}
	}
	return pat.match(s, false)
}
