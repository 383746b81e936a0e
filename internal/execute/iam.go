package execute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/plan"
)

// eksOIDCThumbprint is the root CA thumbprint commonly registered for EKS issuers. IAM no longer checks it for
// well-known providers, but the API still asks for one.
const eksOIDCThumbprint = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

func (e *Executor) iamTags() []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, t := range e.tags() {
		out = append(out, iamtypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return out
}

func (e *Executor) registerOIDCProvider(ctx context.Context, s plan.Step, p plan.RegisterOIDCProvider) error {
	// Recorded under the name the plan gives it: the issuer without its scheme.
	if err := e.intend(s.Resource, strings.TrimPrefix(p.Issuer, "https://")); err != nil {
		return err
	}
	out, err := e.AWS.IAM.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: &p.Issuer, ClientIDList: []string{p.Audience}, ThumbprintList: []string{eksOIDCThumbprint},
		Tags: e.iamTags(),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("iam:CreateOpenIDConnectProvider %q: %w", p.Issuer, err)
	}
	return e.record(s.Resource, aws.ToString(out.OpenIDConnectProviderArn))
}

func (e *Executor) createPolicy(ctx context.Context, s plan.Step, p plan.CreatePolicy) error {
	if err := e.intend(s.Resource, p.Name); err != nil {
		return err
	}
	doc, err := e.withKey(p.Document)
	if err != nil {
		return err
	}
	out, err := e.AWS.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName: &p.Name, Description: &p.Description, PolicyDocument: &doc, Tags: e.iamTags(),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	switch {
	case errors.As(err, &exists):
		return nil // the intent record holds its ARN, which follows from the name
	case err != nil:
		return fmt.Errorf("iam:CreatePolicy %q: %w", p.Name, err)
	}
	return e.record(s.Resource, aws.ToString(out.Policy.Arn))
}

// updatePolicy makes the document the policy's default version. IAM keeps at most five versions, so the oldest
// version that is not the default goes first when there are five.
func (e *Executor) updatePolicy(ctx context.Context, _ plan.Step, p plan.UpdatePolicy) error {
	out, err := e.AWS.IAM.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: &p.ARN})
	if err != nil {
		return fmt.Errorf("iam:ListPolicyVersions %q: %w", p.Name, err)
	}
	if vs := out.Versions; len(vs) >= 5 {
		oldest := slices.MinFunc(slices.DeleteFunc(vs, func(v iamtypes.PolicyVersion) bool { return v.IsDefaultVersion }),
			func(a, b iamtypes.PolicyVersion) int {
				return aws.ToTime(a.CreateDate).Compare(aws.ToTime(b.CreateDate))
			})
		if _, err := e.AWS.IAM.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: &p.ARN, VersionId: oldest.VersionId}); err != nil {
			return fmt.Errorf("iam:DeletePolicyVersion %q %s: %w", p.Name, aws.ToString(oldest.VersionId), err)
		}
	}
	doc, err := e.withKey(p.Document)
	if err != nil {
		return err
	}
	if _, err := e.AWS.IAM.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
		PolicyArn: &p.ARN, PolicyDocument: &doc, SetAsDefault: true,
	}); err != nil {
		return fmt.Errorf("iam:CreatePolicyVersion %q: %w", p.Name, err)
	}
	return nil
}

// ensureRole creates the role, or, when it exists (an earlier run made it), resets its trust policy; then it
// gives the role its permissions.
func (e *Executor) ensureRole(ctx context.Context, s plan.Step, p plan.EnsureRole) error {
	name, sa := p.Name, p.ServiceAccount
	trust := p.Binding.TrustPolicy(append([]identity.ServiceAccount{sa}, p.AlsoTrusted...)...)
	if err := e.intend(s.Resource, name); err != nil {
		return err
	}
	out, err := e.AWS.IAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: &name, AssumeRolePolicyDocument: &trust, Tags: e.iamTags(),
		Description: aws.String("Kubeflow " + sa.String() + " (" + p.Binding.Kind() + ", managed by kfaws)"),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	switch {
	case err == nil:
		if err := e.record(s.Resource, aws.ToString(out.Role.Arn)); err != nil {
			return err
		}
	case errors.As(err, &exists):
		if _, err := e.AWS.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: &name, PolicyDocument: &trust,
		}); err != nil {
			return fmt.Errorf("iam:UpdateAssumeRolePolicy %q: %w", name, err)
		}
	case err != nil:
		return fmt.Errorf("iam:CreateRole %q: %w", name, err)
	}
	for _, arn := range p.AttachPolicies {
		if _, err := e.AWS.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: &name, PolicyArn: &arn}); err != nil {
			return fmt.Errorf("iam:AttachRolePolicy %q to %q: %w", arn, name, err)
		}
	}
	for _, arn := range p.DetachPolicies {
		_, err := e.AWS.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &name, PolicyArn: &arn})
		var nf *iamtypes.NoSuchEntityException
		if err != nil && !errors.As(err, &nf) {
			return fmt.Errorf("iam:DetachRolePolicy %q from %q: %w", arn, name, err)
		}
	}
	for _, in := range p.InlinePolicies {
		doc, err := e.withKey(in.Document)
		if err != nil {
			return err
		}
		if _, err := e.AWS.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
			RoleName: &name, PolicyName: &in.Name, PolicyDocument: &doc,
		}); err != nil {
			return fmt.Errorf("iam:PutRolePolicy %q: %w", name, err)
		}
	}
	return nil
}
