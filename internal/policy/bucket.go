package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
)

// bucketPolicy is a bucket policy as read: the statements stay raw, so those kfaws did not write are put back
// exactly as they were, and any other top-level key (Id) is kept too.
type bucketPolicy struct {
	fields     map[string]json.RawMessage
	statements []json.RawMessage
}

func readBucketPolicy(doc string) (bucketPolicy, error) {
	p := bucketPolicy{fields: map[string]json.RawMessage{}}
	if doc == "" {
		return p, nil
	}
	if err := json.Unmarshal([]byte(doc), &p.fields); err != nil {
		return p, fmt.Errorf("reading the bucket policy: %w", err)
	}
	raw, ok := p.fields["Statement"]
	if !ok {
		return p, nil
	}
	// A single statement may be written as an object instead of a list.
	if err := json.Unmarshal(raw, &p.statements); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil {
			return p, fmt.Errorf("reading the bucket policy's statements: %w", err)
		}
		p.statements = []json.RawMessage{raw}
	}
	return p, nil
}

// find returns the index of the statement with sid, -1 when there is none.
func (p bucketPolicy) find(sid string) int {
	return slices.IndexFunc(p.statements, func(raw json.RawMessage) bool {
		var s struct{ Sid string }
		return json.Unmarshal(raw, &s) == nil && s.Sid == sid
	})
}

func (p bucketPolicy) String() string {
	if _, ok := p.fields["Version"]; !ok {
		p.fields["Version"], _ = json.Marshal(Version)
	}
	p.fields["Statement"], _ = json.Marshal(p.statements)
	b, err := json.Marshal(p.fields)
	if err != nil {
		panic(err) // raw messages that were read as JSON
	}
	return string(b)
}

// WithStatement returns the bucket policy doc ("" for none) with st in it: it replaces the statement with st's
// Sid, or is added after the others. Every other statement is kept as written.
func WithStatement(doc string, st Statement) (string, error) {
	p, err := readBucketPolicy(doc)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	if i := p.find(st.Sid); i >= 0 {
		p.statements[i] = raw
	} else {
		p.statements = append(p.statements, raw)
	}
	return p.String(), nil
}

// WithoutStatement returns the bucket policy doc without the statement whose Sid is sid; "" when no statement
// is left, since S3 refuses a policy without statements (the caller deletes the policy instead).
func WithoutStatement(doc, sid string) (string, error) {
	p, err := readBucketPolicy(doc)
	if err != nil {
		return "", err
	}
	if i := p.find(sid); i >= 0 {
		p.statements = slices.Delete(p.statements, i, i+1)
	}
	if len(p.statements) == 0 {
		return "", nil
	}
	return p.String(), nil
}

// HasSid reports whether the bucket policy doc has a statement with sid.
func HasSid(doc, sid string) bool {
	p, err := readBucketPolicy(doc)
	return err == nil && p.find(sid) >= 0
}

// HasStatement reports whether the bucket policy doc has a statement with st's Sid that says what st says, a
// single value written as a string or as a one-element list, and lists in any order.
func HasStatement(doc string, st Statement) bool {
	p, err := readBucketPolicy(doc)
	if err != nil {
		return false
	}
	i := p.find(st.Sid)
	if i < 0 {
		return false
	}
	want, err := json.Marshal(st)
	if err != nil {
		return false
	}
	h, okH := canonical(p.statements[i])
	w, okW := canonical(want)
	return okH && okW && reflect.DeepEqual(h, w)
}

// canonical decodes a JSON value with every string turned into a one-element list and every list sorted, so two
// spellings of the same statement compare equal.
func canonical(raw []byte) (any, bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return normalize(v), true
}

func normalize(v any) any {
	switch x := v.(type) {
	case string:
		return []any{x}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
			if _, ok := e.(string); !ok {
				out[i] = normalize(e)
			}
		}
		slices.SortFunc(out, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return bytes.Compare(ja, jb)
		})
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
