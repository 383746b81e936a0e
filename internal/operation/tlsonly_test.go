package operation_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/plan"
)

// bucketStatements reads the bucket policy's statements; nil when the bucket has no policy.
func (in *install) bucketStatements(ctx context.Context) []map[string]any {
	in.t.Helper()
	out, err := in.clients.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &in.cfg.S3.Bucket})
	if kaws.ErrorCode(err) == "NoSuchBucketPolicy" {
		return nil
	}
	if err != nil {
		in.t.Fatalf("reading the bucket policy: %v", err)
	}
	var d struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &d); err != nil {
		in.t.Fatalf("bucket policy %s: %v", aws.ToString(out.Policy), err)
	}
	return d.Statement
}

// wantTLSOnly checks that the statements hold kfaws's TLS-only statement, whole.
func (in *install) wantTLSOnly(statements []map[string]any) {
	in.t.Helper()
	i := slices.IndexFunc(statements, func(s map[string]any) bool { return s["Sid"] == plan.TLSOnlySid })
	if i < 0 {
		in.t.Fatalf("no statement %q in the bucket policy: %v", plan.TLSOnlySid, statements)
	}
	st, _ := json.Marshal(statements[i])
	var got struct {
		Effect, Principal string
		Action            any
		Resource          []string
		Condition         map[string]map[string]string
	}
	if err := json.Unmarshal(st, &got); err != nil {
		in.t.Fatalf("statement %s: %v", st, err)
	}
	bucketARN := "arn:aws:s3:::" + in.cfg.S3.Bucket
	slices.Sort(got.Resource)
	if got.Effect != "Deny" || got.Principal != "*" || !slices.Equal(got.Resource, []string{bucketARN, bucketARN + "/*"}) ||
		got.Condition["Bool"]["aws:SecureTransport"] != "false" {
		in.t.Errorf("TLS-only statement %s", st)
	}
	if a := got.Action; a != "s3:*" && !(slices.Equal(anyStrings(a), []string{"s3:*"})) {
		in.t.Errorf("TLS-only statement denies %v, want s3:*", a)
	}
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

func (in *install) putBucketPolicy(ctx context.Context, doc string) {
	in.t.Helper()
	if _, err := in.clients.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &in.cfg.S3.Bucket, Policy: &doc}); err != nil {
		in.t.Fatalf("putting the bucket policy: %v", err)
	}
}

// A fresh up puts the TLS-only statement into the policy of the bucket it creates; when the owner replaces the
// policy with a statement of their own, plan shows the drift and a second up restores kfaws's statement beside
// theirs, which it keeps as written.
func TestUpTLSOnlyBucketPolicy(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	if r, _ := in.plan(ctx).Resource(plan.KeyBucket); r.Action != plan.Create || !strings.Contains(r.Detail, "TLS-only bucket policy") {
		t.Errorf("plan of a fresh bucket: %+v, want a create that names the TLS-only policy", r)
	}
	in.mustUp(ctx)
	st := in.bucketStatements(ctx)
	if len(st) != 1 {
		t.Fatalf("bucket policy after up: %v, want only kfaws's statement", st)
	}
	in.wantTLSOnly(st)

	id, err := in.clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	theirs := `{"Sid":"TheirReaders","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + aws.ToString(id.Account) +
		`:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + in.cfg.S3.Bucket + `/*"}`
	in.putBucketPolicy(ctx, `{"Version":"2012-10-17","Statement":[`+theirs+`]}`)
	p := in.plan(ctx)
	if r, _ := p.Resource(plan.KeyBucket); r.Action != plan.Update || !strings.Contains(r.Detail, "TLS-only") {
		t.Errorf("plan of the bucket without kfaws's statement: %+v, want an update restoring it", r)
	}
	if !slices.ContainsFunc(p.Steps, func(s plan.Step) bool { return s.ID == plan.KeyBucket+":tls-policy" }) {
		t.Errorf("no tls-policy step in %v", p.Steps)
	}
	in.mustUp(ctx)
	st = in.bucketStatements(ctx)
	if len(st) != 2 {
		t.Fatalf("bucket policy after the second up: %v, want theirs and kfaws's", st)
	}
	kept, _ := json.Marshal(st[0])
	if !sameJSON(t, string(kept), theirs) {
		t.Errorf("the owner's statement changed:\n got %s\nwant %s", kept, theirs)
	}
	in.wantTLSOnly(st)
	if r, _ := in.plan(ctx).Resource(plan.KeyBucket); r.Action != plan.Exists {
		t.Errorf("plan after the restore: %+v, want no change", r)
	}
}

// s3.requireTLS: false gives a fresh bucket no policy; turned on, up adds the statement; turned off again, up
// takes it out, and with it the policy it was alone in.
func TestUpTLSOnlySwitch(t *testing.T) {
	in := newInstall(t, func(c *config.Config) { c.S3.RequireTLS = aws.Bool(false) })
	ctx := context.Background()
	in.mustUp(ctx)
	if st := in.bucketStatements(ctx); st != nil {
		t.Fatalf("s3.requireTLS false: bucket policy %v, want none", st)
	}
	in.cfg.S3.RequireTLS = aws.Bool(true)
	in.mustUp(ctx)
	in.wantTLSOnly(in.bucketStatements(ctx))
	in.cfg.S3.RequireTLS = aws.Bool(false)
	if r, _ := in.plan(ctx).Resource(plan.KeyBucket); r.Action != plan.Update || !strings.Contains(r.Detail, "remove the TLS-only") {
		t.Errorf("plan after turning s3.requireTLS off: %+v, want an update removing the statement", r)
	}
	in.mustUp(ctx)
	if st := in.bucketStatements(ctx); st != nil {
		t.Fatalf("s3.requireTLS turned off: bucket policy %v, want none", st)
	}
}

// A bucket the user made, untagged, is reused as it is: no policy is put on it.
func TestUpReusedBucketGetsNoTLSPolicy(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	if _, err := in.clients.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &in.cfg.S3.Bucket,
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(in.cfg.Region)}}); err != nil {
		t.Fatal(err)
	}
	p := in.plan(ctx)
	if slices.ContainsFunc(p.Steps, func(s plan.Step) bool { return s.Resource == plan.KeyBucket }) {
		t.Errorf("plan changes the user's bucket: %v", p.Steps)
	}
	in.mustUp(ctx)
	if st := in.bucketStatements(ctx); st != nil {
		t.Fatalf("the user's bucket got a policy: %v", st)
	}
}

func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}
