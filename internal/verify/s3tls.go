package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/policy"
)

// TLSInput is what the TLS-only check needs beyond the bucket.
type TLSInput struct {
	// Owned is true when this installation created the bucket, so up keeps its policy's TLS-only statement.
	Owned bool
	// Required is s3.requireTLS.
	Required bool
	// Statement is the statement up puts into the policy of an owned bucket.
	Statement policy.Statement
}

// checkTLSOnly reads the bucket policy: on a bucket kfaws owns, with s3.requireTLS on, kfaws's statement must be
// there as up writes it; any other bucket passes with any statement denying requests made without TLS.
func checkTLSOnly(ctx context.Context, w recorder, in S3Input) {
	const name = "TLS only"
	doc := ""
	out, err := in.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &in.Bucket})
	switch {
	case kaws.ErrorCode(err) == "NoSuchBucketPolicy":
	case err != nil:
		w.add(name, Fail, fmt.Sprintf("reading the bucket policy: %v", err), "")
		return
	default:
		doc = aws.ToString(out.Policy)
	}
	t := in.TLS
	switch {
	case t.Owned && t.Required && policy.HasStatement(doc, t.Statement):
		w.ok(name, fmt.Sprintf("the bucket policy denies requests made without TLS (statement %q)", t.Statement.Sid))
	case t.Owned && t.Required:
		w.add(name, Fail, fmt.Sprintf("the bucket policy lacks kfaws's statement %q denying requests made without TLS", t.Statement.Sid),
			"kfaws up restores it")
	case deniesPlainTransport(doc):
		w.ok(name, "the bucket policy denies requests made without TLS")
	case !t.Required:
		w.add(name, Warn, "s3.requireTLS is false: the bucket accepts requests made without TLS",
			"set s3.requireTLS: true and run kfaws up (for a bucket kfaws created)")
	default:
		w.add(name, Warn, "the bucket accepts requests made without TLS; kfaws does not change the policy of a bucket it did not create",
			`add a statement denying "s3:*" on the bucket and its objects when "aws:SecureTransport" is "false" to its policy`)
	}
}

// deniesPlainTransport reports whether a statement of the policy denies requests when aws:SecureTransport is
// false, whatever else it says. Condition keys are case-insensitive.
func deniesPlainTransport(doc string) bool {
	if doc == "" {
		return false
	}
	p, err := parsePolicy(doc)
	if err != nil {
		return false
	}
	for _, st := range p.Statement {
		var cond map[string]map[string]oneOrMany[string]
		if st.Effect != "Deny" || json.Unmarshal(st.Condition, &cond) != nil {
			continue
		}
		for key, vals := range cond["Bool"] {
			if strings.EqualFold(key, "aws:SecureTransport") && len(vals) == 1 && vals[0] == "false" {
				return true
			}
		}
	}
	return false
}
