package verify

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kfaws/kfaws/internal/arn"
	"github.com/kfaws/kfaws/internal/identity"
)

// kfpNeeds are the S3 permissions KFP's API server, Argo and the v2 launcher use
// (kfp@2.16.0:backend/src/apiserver/client_manager.go and backend/src/v2/objectstore/object_store.go; Argo's S3
// artifact driver): HeadBucket (s3:ListBucket), listing, and object read/write/delete.
var kfpNeeds = []struct{ action, resource string }{
	{"s3:ListBucket", ""},
	{"s3:GetBucketLocation", ""},
	{"s3:GetObject", "/" + probePrefix + "object"},
	{"s3:PutObject", "/" + probePrefix + "object"},
	{"s3:DeleteObject", "/" + probePrefix + "object"},
}

// kfpServiceAccount is the identity that assumes the backend role.
var kfpServiceAccount = identity.ServiceAccount{Namespace: "kubeflow", Name: "ml-pipeline"}

// checkRolePolicy evaluates the backend role's identity policies for what KFP needs, and its trust for the
// binding (IRSA or Pod Identity). It cannot act as the role (only the cluster's service account can), and moto
// lacks iam:SimulatePrincipalPolicy, so kfaws reads the attached and inline policies and evaluates them itself.
func checkRolePolicy(ctx context.Context, w recorder, in S3Input) {
	b := in.Binding
	if b == nil {
		b = identity.IRSA{}
	}
	name := b.Kind() + " role permissions"
	if in.RoleName == "" {
		w.add(name, Fail, "no "+b.Kind()+" role is recorded for ml-pipeline", "run kfaws up")
		return
	}
	role, err := in.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &in.RoleName})
	if err != nil {
		w.add(name, Fail, fmt.Sprintf("reading role %q: %v", in.RoleName, err), "run kfaws up")
		return
	}
	docs, err := rolePolicies(ctx, in.IAM, in.RoleName)
	if err != nil {
		w.add(name, Warn, err.Error(), "")
		return
	}
	bucketARN := arn.Builder{Partition: rolePartition(in, aws.ToString(role.Role.Arn))}.Bucket(in.Bucket)
	var missing []string
	for _, n := range kfpNeeds {
		if d := evaluate(docs, n.action, bucketARN+n.resource); d != Allowed {
			missing = append(missing, fmt.Sprintf("%s (%s)", n.action, d))
		}
	}
	if len(missing) > 0 {
		w.add(name, Fail, fmt.Sprintf("role %q lacks %s on bucket %q", in.RoleName, strings.Join(missing, ", "), in.Bucket),
			"attach kfaws's S3 policy to the role (kfaws up restores it)")
		return
	}
	trust, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	trusted := kfpServiceAccount.Subject()
	if _, pi := b.(identity.PodIdentity); pi {
		trusted = "EKS Pod Identity (" + identity.PodIdentityPrincipal + ")"
	}
	if !b.Trusts(trust, kfpServiceAccount) {
		w.add(name, Fail, fmt.Sprintf("role %q does not trust %s", in.RoleName, trusted),
			"restore the role's trust policy (kfaws up)")
		return
	}
	w.ok(name, fmt.Sprintf("role %q allows what KFP needs on the bucket and trusts %s (policies evaluated by kfaws)",
		in.RoleName, trusted))
}

// rolePartition is the partition the policies must name the bucket in: the one given, else the role's own (an
// IAM role and the bucket its policies grant are in one partition), else the standard one.
func rolePartition(in S3Input, roleARN string) string {
	if in.Partition != "" {
		return in.Partition
	}
	if p := arn.PartitionOf(roleARN); p != "" {
		return p
	}
	return arn.PartitionAWS
}

// rolePolicies returns the role's attached managed policies (default versions) and inline policies.
func rolePolicies(ctx context.Context, c *iam.Client, role string) ([]policyDocument, error) {
	var docs []policyDocument
	att, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &role})
	if err != nil {
		return nil, fmt.Errorf("listing the policies of role %q: %w", role, err)
	}
	for _, p := range att.AttachedPolicies {
		pol, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.PolicyArn})
		if err != nil {
			return nil, fmt.Errorf("reading policy %q: %w", aws.ToString(p.PolicyArn), err)
		}
		v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.PolicyArn, VersionId: pol.Policy.DefaultVersionId})
		if err != nil {
			return nil, fmt.Errorf("reading policy %q: %w", aws.ToString(p.PolicyArn), err)
		}
		d, err := parsePolicy(aws.ToString(v.PolicyVersion.Document))
		if err != nil {
			return nil, fmt.Errorf("policy %q: %w", aws.ToString(p.PolicyArn), err)
		}
		docs = append(docs, d)
	}
	inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: &role})
	if err != nil {
		return nil, fmt.Errorf("listing the inline policies of role %q: %w", role, err)
	}
	for _, n := range inline.PolicyNames {
		p, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: &n})
		if err != nil {
			return nil, fmt.Errorf("reading inline policy %q of role %q: %w", n, role, err)
		}
		d, err := parsePolicy(aws.ToString(p.PolicyDocument))
		if err != nil {
			return nil, fmt.Errorf("inline policy %q: %w", n, err)
		}
		docs = append(docs, d)
	}
	return docs, nil
}
