package observe

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kfaws/kfaws/internal/ownership"
)

// oidcProvider finds the IAM OIDC provider registered for the cluster's issuer.
func (o *Observer) oidcProvider(ctx context.Context, issuer string) (Presence, error) {
	if issuer == "" {
		return Presence{}, nil
	}
	want := "oidc-provider/" + strings.TrimPrefix(issuer, "https://")
	out, err := o.AWS.IAM.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		return Presence{}, fmt.Errorf("iam:ListOpenIDConnectProviders: %w", err)
	}
	for _, p := range out.OpenIDConnectProviderList {
		arn := aws.ToString(p.Arn)
		if !strings.HasSuffix(arn, want) {
			continue
		}
		got, err := o.AWS.IAM.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
		if err != nil {
			return Presence{}, fmt.Errorf("iam:GetOpenIDConnectProvider: %w", err)
		}
		return Presence{Exists: true, ARN: arn, Installation: iamTag(got.Tags)}, nil
	}
	return Presence{}, nil
}

// policy reads a managed policy and its default version's document.
func (o *Observer) policy(ctx context.Context, arn string) (Policy, error) {
	out, err := o.AWS.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &arn})
	var nf *iamtypes.NoSuchEntityException
	if errors.As(err, &nf) {
		return Policy{}, nil
	}
	if err != nil {
		return Policy{}, fmt.Errorf("iam:GetPolicy: %w", err)
	}
	p := Policy{Presence: Presence{Exists: true, ARN: arn, Installation: iamTag(out.Policy.Tags)}}
	v, err := o.AWS.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: out.Policy.DefaultVersionId})
	if err != nil {
		return Policy{}, fmt.Errorf("iam:GetPolicyVersion: %w", err)
	}
	if v.PolicyVersion != nil {
		p.Document = policyDocument(aws.ToString(v.PolicyVersion.Document))
	}
	return p, nil
}

// policyDocument undoes the URL encoding IAM returns documents in (RFC 3986; a document is JSON, so one that
// already starts as an object is left as it is).
func policyDocument(doc string) string {
	if strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return doc
	}
	if d, err := url.QueryUnescape(doc); err == nil {
		return d
	}
	return doc
}

func (o *Observer) role(ctx context.Context, name string) (Role, error) {
	out, err := o.AWS.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
	var nf *iamtypes.NoSuchEntityException
	if errors.As(err, &nf) {
		return Role{}, nil
	}
	if err != nil {
		return Role{}, fmt.Errorf("iam:GetRole: %w", err)
	}
	r := Role{Presence: Presence{Exists: true, ARN: aws.ToString(out.Role.Arn), Installation: iamTag(out.Role.Tags)},
		InlineDocuments: map[string]string{}}
	// GetRole returns the trust policy URL-encoded.
	if doc, err := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument)); err == nil {
		r.TrustPolicy = doc
	}
	ap := iam.NewListAttachedRolePoliciesPaginator(o.AWS.IAM, &iam.ListAttachedRolePoliciesInput{RoleName: &name})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return Role{}, fmt.Errorf("iam:ListAttachedRolePolicies: %w", err)
		}
		for _, p := range page.AttachedPolicies {
			r.AttachedPolicies = append(r.AttachedPolicies, aws.ToString(p.PolicyArn))
		}
	}
	ip := iam.NewListRolePoliciesPaginator(o.AWS.IAM, &iam.ListRolePoliciesInput{RoleName: &name})
	for ip.HasMorePages() {
		page, err := ip.NextPage(ctx)
		if err != nil {
			return Role{}, fmt.Errorf("iam:ListRolePolicies: %w", err)
		}
		r.InlinePolicies = append(r.InlinePolicies, page.PolicyNames...)
	}
	for _, p := range r.InlinePolicies {
		out, err := o.AWS.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: &p})
		if err != nil {
			return Role{}, fmt.Errorf("iam:GetRolePolicy %q: %w", p, err)
		}
		r.InlineDocuments[p] = policyDocument(aws.ToString(out.PolicyDocument))
	}
	return r, nil
}

func iamTag(tags []iamtypes.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == ownership.TagInstallation {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
