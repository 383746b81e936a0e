package verify

import (
	"bytes"
	"encoding/json"
	"strings"
)

// outcome is what a condition says of a request: it holds, it does not, or the request does not say enough.
type outcome int

const (
	condFalse outcome = iota
	condTrue
	condUndecided
)

// conditionHolds evaluates the statement's Condition block: every operator and every key in it must hold (IAM
// ANDs them), so one that does not decides the block even when another is undecided.
func (s statement) conditionHolds(req request) outcome {
	if len(s.Condition) == 0 {
		return condTrue
	}
	var block map[string]map[string]json.RawMessage
	if json.Unmarshal(s.Condition, &block) != nil {
		return condUndecided
	}
	result := condTrue
	for op, keys := range block {
		for key, values := range keys {
			switch keyHolds(op, key, values, req) {
			case condFalse:
				return condFalse
			case condUndecided:
				result = condUndecided
			}
		}
	}
	return result
}

// stringOperator is how one of the implemented operators compares the request's value with the policy's.
type stringOperator struct {
	wildcards, fold, negated bool
}

// stringOperators are the operators this evaluator decides (each also with IfExists); Bool compares "true" and
// "false" as IAM does, case-insensitively. Others (Arn*, Numeric*, Date*, IpAddress, ForAnyValue:...) stay
// undecided.
var stringOperators = map[string]stringOperator{
	"StringEquals":              {},
	"StringNotEquals":           {negated: true},
	"StringEqualsIgnoreCase":    {fold: true},
	"StringNotEqualsIgnoreCase": {fold: true, negated: true},
	"StringLike":                {wildcards: true},
	"StringNotLike":             {wildcards: true, negated: true},
	"Bool":                      {fold: true},
}

// keyHolds evaluates one operator on one key. A key the request lacks makes a positive operator false and a
// negated one (StringNotEquals, StringNotLike) true; with IfExists both are true.
func keyHolds(op, key string, raw json.RawMessage, req request) outcome {
	values, ok := conditionValues(raw)
	if !ok {
		return condUndecided
	}
	have, present, decided := req.lookup(key)
	if !decided {
		return condUndecided
	}
	if op == "Null" {
		// "true": the key must be absent; "false": present.
		if len(values) != 1 || !strings.EqualFold(values[0], "true") && !strings.EqualFold(values[0], "false") {
			return condUndecided
		}
		return boolOutcome(strings.EqualFold(values[0], "true") != present)
	}
	name, ifExists := strings.CutSuffix(op, "IfExists")
	cmp, known := stringOperators[name]
	if !known {
		return condUndecided
	}
	if !present {
		return boolOutcome(ifExists || cmp.negated)
	}
	matched := false
	for _, v := range values {
		// A value naming a variable the request lacks matches nothing.
		if pat, ok := expand(v, req, cmp.wildcards); ok && pat.match(have, cmp.fold) {
			matched = true
			break
		}
	}
	return boolOutcome(matched != cmp.negated)
}

func boolOutcome(b bool) outcome {
	if b {
		return condTrue
	}
	return condFalse
}

// conditionValues reads a condition's value: a string, boolean or number, or a list of them (any of which
// may match). JSON booleans and numbers compare as IAM compares them, by their text.
func conditionValues(raw json.RawMessage) ([]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		switch x := e.(type) {
		case string:
			out = append(out, x)
		case bool:
			out = append(out, map[bool]string{true: "true", false: "false"}[x])
		case json.Number:
			out = append(out, x.String())
		default:
			return nil, false
		}
	}
	return out, true
}

// lookup finds a condition key in the request: its value and whether it is present, or decided=false when the
// request says nothing of it.
func (r request) lookup(key string) (value string, present, decided bool) {
	for k, v := range r.keys {
		if strings.EqualFold(k, key) {
			return v, true, true
		}
	}
	for _, k := range r.absent {
		if strings.EqualFold(k, key) {
			return "", false, true
		}
	}
	return "", false, false
}

// pattern is a policy string with its variables filled: a byte is a wildcard only when the policy wrote * or ?
// itself, not when a variable's value or an escape (${*}, ${?}) supplied it.
type pattern []patternByte

type patternByte struct {
	c    byte
	wild bool
}

// expand fills the policy variables ${key} of p from the request, and the escapes ${*}, ${?} and ${$} with
// their literal characters. ok is false when p names a key the request lacks: IAM then lets p match nothing.
func expand(p string, req request, wildcards bool) (pat pattern, ok bool) {
	lit := func(s string) {
		for i := 0; i < len(s); i++ {
			pat = append(pat, patternByte{c: s[i]})
		}
	}
	for i := 0; i < len(p); i++ {
		if strings.HasPrefix(p[i:], "${") {
			if end := strings.IndexByte(p[i:], '}'); end > 0 {
				name := p[i+2 : i+end]
				switch name {
				case "*", "?", "$":
					lit(name)
				default:
					v, present, _ := req.lookup(name)
					if !present {
						return nil, false
					}
					lit(v)
				}
				i += end
				continue
			}
		}
		pat = append(pat, patternByte{c: p[i], wild: wildcards && (p[i] == '*' || p[i] == '?')})
	}
	return pat, true
}

// match reports whether s matches the pattern (* spans any characters, slashes included; ? is one character),
// comparing ASCII letters case-insensitively when fold is set. It backtracks only to the last *.
func (p pattern) match(s string, fold bool) bool {
	eq := func(a, b byte) bool {
		if fold {
			return lower(a) == lower(b)
		}
		return a == b
	}
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && p[i].wild && p[i].c == '*':
			star, mark = i, j
			i++
		case i < len(p) && ((p[i].wild && p[i].c == '?') || (!p[i].wild && eq(p[i].c, s[j]))):
			i++
			j++
		case star >= 0:
			mark++
			i, j = star+1, mark
		default:
			return false
		}
	}
	for i < len(p) && p[i].wild && p[i].c == '*' {
		i++
	}
	return i == len(p)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
