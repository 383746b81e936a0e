package verify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
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

// The outcomes. Conditional means only statements with conditions allow it, which this evaluator cannot judge.
const (
	Allowed     Decision = "allowed"
	Denied      Decision = "denied"
	Conditional Decision = "conditional"
	ImplicitNo  Decision = "not allowed"
)

// evaluate applies IAM's identity-policy logic (an explicit deny wins, then any allow, else implicit deny) to
// one action on one resource. It exists because moto has no iam:SimulatePrincipalPolicy; it does not consider
// permission boundaries, SCPs or bucket policies, and treats conditional statements as undecided.
func evaluate(docs []policyDocument, action, resource string) Decision {
	allowed, conditional := false, false
	for _, d := range docs {
		for _, s := range d.Statement {
			if !s.matches(action, resource) {
				continue
			}
			hasCond := len(s.Condition) > 0 && string(s.Condition) != "null" && string(s.Condition) != "{}"
			switch {
			case strings.EqualFold(s.Effect, "Deny") && !hasCond:
				return Denied
			case strings.EqualFold(s.Effect, "Allow") && hasCond:
				conditional = true
			case strings.EqualFold(s.Effect, "Allow"):
				allowed = true
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

func (s statement) matches(action, resource string) bool {
	actionOK := anyMatch(s.Action, action, true) || (len(s.NotAction) > 0 && !anyMatch(s.NotAction, action, true))
	resourceOK := anyMatch(s.Resource, resource, false) || (len(s.NotResource) > 0 && !anyMatch(s.NotResource, resource, false))
	return actionOK && resourceOK
}

// anyMatch matches IAM wildcards (* and ?); actions compare case-insensitively, resources (ARNs) exactly.
func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, s = strings.ToLower(p), strings.ToLower(s)
		}
		// path.Match treats '/' specially; ARNs' '*' spans slashes, so match with '/' swapped out.
		if ok, _ := path.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(s, "/", "\x00")); ok {
			return true
		}
		if p == "*" {
			return true
		}
	}
	return false
}
