package plan

import (
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/policy"
	"github.com/kfaws/kfaws/internal/state"
)

// Up keeps kfaws's TLS-only statement in the policy of the bucket it owns, in the account's partition, and
// never touches the policy of a bucket it does not own.
func TestBucketTLSPolicy(t *testing.T) {
	want := TLSOnlyStatement("aws", "prod-artifacts")
	withStatement, err := policy.WithStatement(`{"Statement":[{"Sid":"Theirs","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::prod-artifacts/*"}]}`, want)
	if err != nil {
		t.Fatal(err)
	}
	protected := observe.Bucket{Presence: owned("prod"), Region: "us-west-2", PublicAccessBlocked: true, Encrypted: true}
	off := func(c *config.Config) { c.S3.RequireTLS = new(bool) }
	for _, tc := range []struct {
		name     string
		mutate   func(*config.Config)
		bucket   observe.Bucket
		action   Action
		restores bool // a tls-policy step with the statement; false with removes
		removes  bool
	}{
		{name: "owned, no policy", bucket: protected, action: Update, restores: true},
		{name: "owned, the statement among the owner's", bucket: withPolicy(protected, withStatement), action: Exists},
		{name: "owned, only the owner's statements", bucket: withPolicy(protected, `{"Statement":[{"Sid":"Theirs","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::prod-artifacts"}]}`),
			action: Update, restores: true},
		{name: "turned off, statement present", mutate: off, bucket: withPolicy(protected, withStatement), action: Update, removes: true},
		{name: "turned off, no statement", mutate: off, bucket: protected, action: Exists},
		{name: "the user's bucket", bucket: observe.Bucket{Presence: untagged, Region: "us-west-2", PublicAccessBlocked: true, Encrypted: true}, action: Exists},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			if tc.mutate != nil {
				tc.mutate(c)
			}
			s := freshSnapshot()
			s.Bucket = tc.bucket
			p, err := Build(c, s, state.State{})
			if err != nil {
				t.Fatal(err)
			}
			if r, _ := p.Resource(KeyBucket); r.Action != tc.action {
				t.Errorf("bucket: %+v, want %s", r, tc.action)
			}
			var step *BucketTLSPolicy
			for _, st := range p.Steps {
				if bp, ok := st.Params.(BucketTLSPolicy); ok {
					step = &bp
				}
			}
			switch {
			case tc.restores && (step == nil || step.Statement == nil || !policy.HasStatement(policy.Document{Statement: []policy.Statement{*step.Statement}}.String(), want)):
				t.Errorf("want a step putting %+v, got %+v", want, step)
			case tc.removes && (step == nil || step.Statement != nil):
				t.Errorf("want a step removing the statement, got %+v", step)
			case !tc.restores && !tc.removes && step != nil:
				t.Errorf("unwanted step %+v", step)
			}
		})
	}
}

func TestFreshBucketIsCreatedTLSOnly(t *testing.T) {
	s := freshSnapshot()
	s.Partition = "aws-us-gov"
	p, err := Build(testConfig(), s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Steps {
		if cb, ok := st.Params.(CreateBucket); ok {
			if cb.TLSOnly == nil || cb.TLSOnly.Resource[0] != "arn:aws-us-gov:s3:::prod-artifacts" ||
				cb.TLSOnly.Resource[1] != "arn:aws-us-gov:s3:::prod-artifacts/*" {
				t.Errorf("create bucket: %+v", cb.TLSOnly)
			}
			return
		}
	}
	t.Fatal("no create-bucket step")
}

func withPolicy(b observe.Bucket, doc string) observe.Bucket {
	b.Policy = doc
	return b
}
