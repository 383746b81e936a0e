package plan

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// SameGrants reports whether the policy document have, as IAM returns it, allows and denies what want does:
// statement by statement, whatever their order, Sids, and whether one action or resource is written as a
// string or a list. A document that cannot be read grants something else.
func SameGrants(have, want string) bool {
	h, ok := grants(have)
	if !ok {
		return false
	}
	w, ok := grants(want)
	return ok && slices.Equal(h, w)
}

// grants are a document's statements, each as one sorted string, sorted.
func grants(doc string) ([]string, bool) {
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil || len(d.Statement) == 0 {
		return nil, false
	}
	var statements []map[string]json.RawMessage
	if err := json.Unmarshal(d.Statement, &statements); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(d.Statement, &one); err != nil {
			return nil, false
		}
		statements = []map[string]json.RawMessage{one}
	}
	var out []string
	for _, st := range statements {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(st)) {
			if k == "Sid" {
				continue
			}
			v, ok := stringSet(st[k])
			if !ok {
				// Principals and conditions are compared by their JSON value, whatever its spacing and key order.
				v = []string{canonical(st[k])}
			}
			parts = append(parts, k+"="+strings.Join(v, ","))
		}
		out = append(out, strings.Join(parts, ";"))
	}
	slices.Sort(out)
	return out, true
}

// stringSet reads a string or a list of strings, sorted.
func stringSet(raw json.RawMessage) ([]string, bool) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, false
	}
	slices.Sort(many)
	return many, true
}

// canonical is raw re-encoded with sorted keys and no spacing; raw itself when it is not JSON.
func canonical(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return string(raw)
	}
	return string(b)
}
