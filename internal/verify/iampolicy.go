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

// wildcard matches s against p, backtracking only to the last '*'.
func wildcard(p, s string) bool {
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == s[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case star >= 0:
			mark++
			i, j = star+1, mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}
