package plan

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

const givenKeyARN = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// givenKey is a usable customer managed key named by alias/team-key; mutate spoils it.
func givenKey(mutate ...func(*observe.Key)) observe.Key {
	k := observe.Key{Presence: observe.Presence{Exists: true, ARN: givenKeyARN}, Ref: "alias/team-key",
		ID: "1234abcd-12ab-34cd-56ef-1234567890ab", State: "Enabled", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT",
		Manager: "CUSTOMER", Aliases: []string{"alias/team-key"}}
	for _, m := range mutate {
		m(&k)
	}
	return k
}

// A given key is checked before anything changes: one S3, RDS and Secrets Manager cannot encrypt with is refused
// (bad input, naming the key and what to do); a usable one encrypts every resource kfaws creates.
func TestGivenKMSKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  observe.Key
		want string // a fragment of the refusal; "" for a usable key
	}{
		{name: "usable", key: givenKey()},
		{name: "missing", key: observe.Key{Ref: "alias/team-key"}, want: "does not exist in region us-west-2"},
		{name: "disabled", key: givenKey(func(k *observe.Key) { k.State = "Disabled" }), want: "is Disabled; enable it"},
		{name: "pending deletion", key: givenKey(func(k *observe.Key) { k.State = "PendingDeletion" }), want: "cancel-key-deletion"},
		{name: "asymmetric", key: givenKey(func(k *observe.Key) { k.Spec, k.Usage = "RSA_2048", "SIGN_VERIFY" }), want: "need a symmetric key"},
		{name: "another region", key: givenKey(func(k *observe.Key) { k.ARN = strings.Replace(givenKeyARN, "us-west-2", "eu-west-1", 1) }),
			want: "is in region eu-west-1"},
		{name: "AWS managed", key: givenKey(func(k *observe.Key) { k.Manager = "AWS" }), want: "AWS managed key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			c.KMS.Key = "alias/team-key"
			s := freshSnapshot()
			s.KMSKey = tc.key
			p, err := Build(c, s, state.State{})
			if tc.want != "" {
				var pe *PreflightError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), `KMS key "alias/team-key" (kms.key) `) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err %v, want a preflight error saying %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r, _ := p.Resource(KeyKMSKey); r.Action != Exists || r.Owned || r.ARN != givenKeyARN {
				t.Errorf("key: %+v, want a key used as is, not owned", r)
			}
			wantKeyEverywhere(t, p, givenKeyARN)
			if r, _ := p.Resource(KeyBucket); !strings.Contains(r.Detail, "SSE-KMS with alias/team-key") {
				t.Errorf("bucket line %q does not name the key", r.Detail)
			}
		})
	}
}

// wantKeyEverywhere checks that every create step of an encrypted resource, and the roles' documents, use key.
func wantKeyEverywhere(t *testing.T, p *Plan, key string) {
	t.Helper()
	for _, st := range p.Steps {
		switch v := st.Params.(type) {
		case CreateBucket:
			if v.KMSKey != key {
				t.Errorf("bucket encrypted with %q", v.KMSKey)
			}
		case CreateInstance:
			if v.KMSKey != key {
				t.Errorf("instance encrypted with %q", v.KMSKey)
			}
		case CreateRDSSecret:
			if v.KMSKey != key {
				t.Errorf("RDS secret encrypted with %q", v.KMSKey)
			}
		case CreatePolicy:
			if !strings.Contains(v.Document, `"Resource":["`+key+`"],"Condition":{"StringEquals":{"kms:ViaService":"s3.us-west-2.amazonaws.com"}}`) ||
				!strings.Contains(v.Document, `"kms:GenerateDataKey","kms:Decrypt"`) {
				t.Errorf("S3 policy without the key statement: %s", v.Document)
			}
		case EnsureRole:
			for _, in := range v.InlinePolicies {
				want, what := `"Action":["kms:Decrypt"],"Resource":["`+key+`"],"Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-west-2.amazonaws.com"}}`, "secrets"
				if in.Name == ProfilePolicyName {
					want, what = `"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":["`+key+`"],"Condition":{"StringEquals":{"kms:ViaService":"s3.us-west-2.amazonaws.com"}}`, "profile"
				}
				if !strings.Contains(in.Document, want) {
					t.Errorf("%s role policy without the key statement: %s", what, in.Document)
				}
			}
		}
	}
}

// kms.key: create plans the key first and has every resource wait for it, naming it by the key this run makes.
func TestCreatedKMSKey(t *testing.T) {
	c := testConfig()
	c.KMS.Key = config.KMSCreate
	p, err := Build(c, freshSnapshot(), state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyKMSKey); r.Action != Create || !r.Owned || r.Name != "alias/kfaws-prod" {
		t.Errorf("key: %+v", r)
	}
	wantKeyEverywhere(t, p, CreatedKeyARN)
	for _, st := range p.Steps {
		if _, ok := st.Params.(CreateBucket); ok && !slices.Contains(st.After, KeyKMSKey+":create") {
			t.Errorf("bucket step %s does not wait for the key", st.ID)
		}
	}
	// Existing, owned and enabled: nothing to do; its ARN is used.
	s := freshSnapshot()
	s.KMSKey = givenKey(func(k *observe.Key) { k.Installation, k.Aliases = "prod", []string{"alias/kfaws-prod"} })
	if p, err = Build(c, s, state.State{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyKMSKey); r.Action != Exists || !r.Owned {
		t.Errorf("existing key: %+v", r)
	}
	wantKeyEverywhere(t, p, givenKeyARN)
	// The alias names a key kfaws did not create: a conflict, never used.
	s.KMSKey.Installation = ""
	if p, err = Build(c, s, state.State{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyKMSKey); r.Action != Conflict {
		t.Errorf("someone else's key under kfaws's alias: %+v, want a conflict", r)
	}
}

// An owned bucket on SSE-S3, or an owned secret on the AWS managed key, is switched to the key; a bucket, a secret
// or an instance kfaws did not create is left as it is, with a warning; an owned instance on another key too.
func TestExistingResourcesAndTheKey(t *testing.T) {
	c := testConfig()
	c.KMS.Key = givenKeyARN
	s := freshSnapshot()
	s.KMSKey = givenKey()
	s.Bucket = observe.Bucket{Presence: owned("prod"), Region: "us-west-2", PublicAccessBlocked: true, Encrypted: true,
		Policy: withTLS(t)}
	s.RDSSecret = observe.Secret{Presence: owned("prod"), Complete: true}
	s.Instance = observe.Instance{Presence: owned("prod"), Status: "available", StorageEncrypted: true, KMSKey: "arn:aws:kms:us-west-2:123456789012:key/other"}
	p, err := Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(KeyBucket); r.Action != Update || !strings.Contains(r.Detail, "SSE-KMS with "+givenKeyARN) {
		t.Errorf("owned bucket on SSE-S3: %+v", r)
	}
	if r, _ := p.Resource(KeyRDSSecret); r.Action != Update || !strings.Contains(r.Detail, "encrypt with KMS key") {
		t.Errorf("owned secret on the AWS managed key: %+v", r)
	}
	if !slices.ContainsFunc(p.Steps, func(st Step) bool { e, ok := st.Params.(EncryptSecret); return ok && e.KMSKey == givenKeyARN }) {
		t.Errorf("no encrypt-secret step: %v", p.Steps)
	}
	// (Its settings differ from the configuration too: that modify step is not about the key.)
	if slices.ContainsFunc(p.Steps, func(st Step) bool { return st.Resource == KeyInstance && st.Kind() != KindModifyInstance }) {
		t.Errorf("the instance is changed: %v", p.Steps)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "copy-db-snapshot --kms-key-id") }) {
		t.Errorf("no warning about the instance's key: %v", p.Warnings)
	}

	// The user's bucket and secret, and a re-run where everything already uses the key.
	s.Bucket.Installation, s.RDSSecret.Installation = "", ""
	if p, err = Build(c, s, state.State{}); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(p.Steps, func(st Step) bool { return st.Resource == KeyBucket || st.Resource == KeyRDSSecret }) {
		t.Errorf("resources kfaws did not create are changed: %v", p.Steps)
	}
	if len(p.Warnings) < 3 {
		t.Errorf("warnings %v, want the bucket, the secret and the instance named", p.Warnings)
	}
	s.Bucket.Installation, s.RDSSecret.Installation = "prod", "prod"
	s.Bucket.KMSKey, s.RDSSecret.KMSKey, s.Instance.KMSKey = givenKeyARN, "alias/team-key", givenKeyARN
	if p, err = Build(c, s, state.State{}); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(p.Steps, func(st Step) bool { return st.Resource == KeyBucket || st.Resource == KeyRDSSecret }) || len(p.Warnings) > 0 {
		t.Errorf("everything on the key, yet steps %v, warnings %v", p.Steps, p.Warnings)
	}
}

func withTLS(t *testing.T) string {
	t.Helper()
	return `{"Version":"2012-10-17","Statement":[` + mustJSON(t, TLSOnlyStatement("aws", "prod-artifacts")) + `]}`
}

// Down schedules the deletion of the key kfaws created only when nothing it keeps is encrypted with it, and never
// deletes a key given in kms.key.
func TestDownKMSKey(t *testing.T) {
	created := givenKey(func(k *observe.Key) { k.Installation, k.Aliases = "prod", []string{"alias/kfaws-prod"} })
	for _, tc := range []struct {
		name   string
		key    string
		o      DownOptions
		action Action
		detail string
	}{
		{name: "created, nothing kept", key: config.KMSCreate, o: DownOptions{DeleteData: true}, action: Delete, detail: "7-day waiting period"},
		{name: "created, bucket kept", key: config.KMSCreate, action: Keep, detail: `bucket "prod-artifacts" is encrypted`},
		{name: "created, final snapshot", key: config.KMSCreate, o: DownOptions{DeleteData: true, FinalSnapshot: "final"}, action: Keep, detail: `final snapshot "final"`},
		{name: "given", key: givenKeyARN, o: DownOptions{DeleteData: true}, action: Keep, detail: "given in kms.key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			c.KMS.Key = tc.key
			s := freshSnapshot()
			s.KMSKey = created
			s.Bucket = observe.Bucket{Presence: owned("prod"), Region: "us-west-2", KMSKey: givenKeyARN}
			s.Instance = observe.Instance{Presence: owned("prod"), Status: "available", StorageEncrypted: true, KMSKey: givenKeyARN}
			p := BuildDown(c, s, state.State{}, tc.o)
			r, _ := p.Resource(KeyKMSKey)
			if r.Action != tc.action || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("key: %+v, want %s with %q", r, tc.action, tc.detail)
			}
			deletes := slices.ContainsFunc(p.Steps, func(st Step) bool { return st.Kind() == KindDeleteKMSKey })
			if deletes != (tc.action == Delete) {
				t.Errorf("delete step: %t, want %t", deletes, tc.action == Delete)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
