package execute

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
)

// eksOIDCThumbprint is the root CA thumbprint commonly registered for EKS issuers. IAM no longer checks it for
// well-known providers, but the API still asks for one.
const eksOIDCThumbprint = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

func (e *Executor) iamTags() []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, t := range e.tags() {
		out = append(out, iamtypes.Tag{Key: aws.String(t[0]), Value: aws.String(t[1])})
	}
	return out
}

func (e *Executor) createOIDCProvider(ctx context.Context, _ plan.Step) error {
	issuer := e.Snapshot.Cluster.OIDCIssuer
	if err := e.intend(plan.KeyOIDCProvider, issuer); err != nil {
		return err
	}
	out, err := e.AWS.IAM.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: &issuer, ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{eksOIDCThumbprint},
		Tags: e.iamTags(),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("iam:CreateOpenIDConnectProvider %q: %w", issuer, err)
	}
	return e.record(plan.KeyOIDCProvider, aws.ToString(out.OpenIDConnectProviderArn))
}

func (e *Executor) createS3Policy(ctx context.Context, _ plan.Step) error {
	name := e.Config.IAM.S3PolicyName
	if err := e.intend(plan.KeyS3Policy, name); err != nil {
		return err
	}
	_, err := e.AWS.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName:     &name,
		Description:    aws.String("Kubeflow Pipelines access to S3 bucket " + e.Config.S3.Bucket),
		PolicyDocument: aws.String(plan.S3Policy(e.Plan.Partition, e.Config.S3.Bucket)),
		Tags:           e.iamTags(),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("iam:CreatePolicy %q: %w", name, err)
	}
	return nil
}

// s3Role returns the step that creates (or restores) a role for one service account with the S3 policy.
func (e *Executor) s3Role(name, namespace, serviceAccount string) stepFunc {
	return func(ctx context.Context, _ plan.Step) error {
		if err := e.ensureRole(ctx, name, namespace, serviceAccount); err != nil {
			return err
		}
		arn := observe.PolicyARN(e.Plan.Partition, e.Plan.Account, e.Config.IAM.S3PolicyName)
		if _, err := e.AWS.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: &name, PolicyArn: &arn}); err != nil {
			return fmt.Errorf("iam:AttachRolePolicy %q to %q: %w", arn, name, err)
		}
		return nil
	}
}

// secretsRole creates (or restores) the role the Secrets Store CSI driver's pods use to read the secrets.
func (e *Executor) secretsRole(ctx context.Context, _ plan.Step) error {
	c := e.Config
	name := c.IAM.SecretsRoleName
	if err := e.ensureRole(ctx, name, plan.KubeflowNamespace, plan.SecretsServiceAccount); err != nil {
		return err
	}
	var secrets []string
	if c.Option.UsesRDS() {
		secrets = append(secrets, c.RDS.SecretName)
	}
	if config.StaticS3(c.Option, c.S3.Credentials) {
		secrets = append(secrets, c.S3.SecretName)
	}
	doc := plan.SecretsPolicy(e.Plan.Partition, c.Region, e.Plan.Account, secrets...)
	if _, err := e.AWS.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName: &name, PolicyName: aws.String(plan.SecretsInlinePolicy), PolicyDocument: &doc,
	}); err != nil {
		return fmt.Errorf("iam:PutRolePolicy %q: %w", name, err)
	}
	return nil
}

// ensureRole creates the role, or, when it exists (an earlier run made it), resets its trust policy.
func (e *Executor) ensureRole(ctx context.Context, name, namespace, serviceAccount string) error {
	issuer := e.Snapshot.Cluster.OIDCIssuer
	trust := plan.TrustPolicy(e.Plan.OIDCProviderARN(issuer), issuer, namespace, serviceAccount)
	key := roleKey(e.Config, name)
	if err := e.intend(key, name); err != nil {
		return err
	}
	_, err := e.AWS.IAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: &name, AssumeRolePolicyDocument: &trust, Tags: e.iamTags(),
		Description: aws.String("Kubeflow " + namespace + "/" + serviceAccount + " (IRSA, managed by kfaws)"),
	})
	var exists *iamtypes.EntityAlreadyExistsException
	switch {
	case errors.As(err, &exists):
		if _, err := e.AWS.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
			RoleName: &name, PolicyDocument: &trust,
		}); err != nil {
			return fmt.Errorf("iam:UpdateAssumeRolePolicy %q: %w", name, err)
		}
	case err != nil:
		return fmt.Errorf("iam:CreateRole %q: %w", name, err)
	}
	return nil
}

func roleKey(c *config.Config, name string) string {
	switch name {
	case c.IAM.BackendRoleName:
		return plan.KeyBackendRole
	case c.IAM.ProfileRoleName:
		return plan.KeyProfileRole
	}
	return plan.KeySecretsRole
}
