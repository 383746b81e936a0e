package policy

import (
	"encoding/json"
	"testing"
)

var tlsOnly = Statement{
	Sid: "kfaws-deny-insecure-transport", Effect: "Deny", Principal: "*", Action: []string{"s3:*"},
	Resource:  []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"},
	Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
}

const userStatement = `{"Sid":"ReadFromVPC","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpc":["vpc-1","vpc-2"]}}}`

func statements(t *testing.T, doc string) []json.RawMessage {
	t.Helper()
	var d struct {
		Version   string
		Id        string
		Statement []json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	if d.Version != Version {
		t.Errorf("version %q in %s", d.Version, doc)
	}
	return d.Statement
}

func TestWithStatement(t *testing.T) {
	stale := tlsOnly
	stale.Resource = []string{"arn:aws:s3:::old"}
	staleJSON, _ := json.Marshal(stale)
	for _, tc := range []struct {
		name, have string
		want       int // statements after the merge
	}{
		{"no policy", "", 1},
		{"the user's statement is kept", `{"Version":"2012-10-17","Id":"mine","Statement":[` + userStatement + `]}`, 2},
		{"a single statement written as an object", `{"Version":"2012-10-17","Statement":` + userStatement + `}`, 2},
		{"kfaws's stale statement is replaced", `{"Version":"2012-10-17","Statement":[` + userStatement + `,` + string(staleJSON) + `]}`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := WithStatement(tc.have, tlsOnly)
			if err != nil {
				t.Fatal(err)
			}
			st := statements(t, got)
			if len(st) != tc.want {
				t.Fatalf("%d statements, want %d: %s", len(st), tc.want, got)
			}
			if tc.want == 2 && string(st[0]) != userStatement {
				t.Errorf("the user's statement changed:\n got %s\nwant %s", st[0], userStatement)
			}
			if !HasStatement(got, tlsOnly) {
				t.Errorf("merged policy lacks kfaws's statement: %s", got)
			}
			if tc.have != "" && tc.name == "the user's statement is kept" {
				var d struct{ Id string }
				_ = json.Unmarshal([]byte(got), &d)
				if d.Id != "mine" {
					t.Errorf("the policy's Id was lost: %s", got)
				}
			}
		})
	}
}

func TestWithStatementRefusesUnreadablePolicy(t *testing.T) {
	for _, doc := range []string{"not json", `{"Statement":"x"}`} {
		if _, err := WithStatement(doc, tlsOnly); err == nil {
			t.Errorf("%q: merged", doc)
		}
	}
}

func TestWithoutStatement(t *testing.T) {
	both, err := WithStatement(`{"Version":"2012-10-17","Statement":[`+userStatement+`]}`, tlsOnly)
	if err != nil {
		t.Fatal(err)
	}
	got, err := WithoutStatement(both, tlsOnly.Sid)
	if err != nil {
		t.Fatal(err)
	}
	if st := statements(t, got); len(st) != 1 || string(st[0]) != userStatement {
		t.Errorf("want only the user's statement: %s", got)
	}
	only, _ := WithStatement("", tlsOnly)
	if got, err := WithoutStatement(only, tlsOnly.Sid); err != nil || got != "" {
		t.Errorf("removing the only statement: %q, %v; want no policy", got, err)
	}
}

func TestHasStatement(t *testing.T) {
	// The same statement as S3 may return it: single values as strings, lists in another order.
	respelled := `{"Version":"2012-10-17","Statement":[{"Sid":"kfaws-deny-insecure-transport","Effect":"Deny","Principal":"*",` +
		`"Action":"s3:*","Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}}}]}`
	if !HasStatement(respelled, tlsOnly) {
		t.Error("a respelling of the statement is not recognised")
	}
	for name, doc := range map[string]string{
		"no policy":   "",
		"other sid":   `{"Statement":[` + userStatement + `]}`,
		"allows http": `{"Statement":[{"Sid":"kfaws-deny-insecure-transport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`,
		"bucket only": `{"Statement":[{"Sid":"kfaws-deny-insecure-transport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
		"not json":    "{",
	} {
		if HasStatement(doc, tlsOnly) {
			t.Errorf("%s: statement reported present in %s", name, doc)
		}
	}
	if !HasSid(respelled, tlsOnly.Sid) || HasSid(`{"Statement":[`+userStatement+`]}`, tlsOnly.Sid) {
		t.Error("HasSid")
	}
}
