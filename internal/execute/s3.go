package execute

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/policy"
)

func (e *Executor) createBucket(ctx context.Context, s plan.Step, p plan.CreateBucket) error {
	name := p.Bucket
	if err := e.intend(s.Resource, name); err != nil {
		return err
	}
	in := &s3.CreateBucketInput{Bucket: &name, ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}
	if p.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(p.Region),
		}
	}
	_, err := e.AWS.S3.CreateBucket(ctx, in)
	if err != nil && kaws.ErrorCode(err) != "BucketAlreadyOwnedByYou" {
		return fmt.Errorf("s3:CreateBucket %q: %w", name, err)
	}
	if err := e.configureBucket(ctx, s, plan.ConfigureBucket{Bucket: name, KMSKey: p.KMSKey}); err != nil {
		return err
	}
	if p.TLSOnly == nil {
		return nil
	}
	return e.bucketTLSPolicy(ctx, s, plan.BucketTLSPolicy{Bucket: name, Statement: p.TLSOnly})
}

// bucketTLSPolicy merges kfaws's statement into the bucket policy as it is now, not as plan saw it, so a
// statement the owner added in between is kept too.
func (e *Executor) bucketTLSPolicy(ctx context.Context, _ plan.Step, p plan.BucketTLSPolicy) error {
	name := p.Bucket
	have := ""
	out, err := e.AWS.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &name})
	switch {
	case kaws.ErrorCode(err) == "NoSuchBucketPolicy":
	case err != nil:
		return fmt.Errorf("s3:GetBucketPolicy %q: %w", name, err)
	default:
		have = aws.ToString(out.Policy)
	}
	var want string
	switch {
	case p.Statement != nil && policy.HasStatement(have, *p.Statement),
		p.Statement == nil && !policy.HasSid(have, plan.TLSOnlySid):
		return nil // an earlier, interrupted attempt already did it
	case p.Statement != nil:
		want, err = policy.WithStatement(have, *p.Statement)
	default:
		want, err = policy.WithoutStatement(have, plan.TLSOnlySid)
	}
	if err != nil {
		return fmt.Errorf("bucket %q: %w", name, err)
	}
	if want == "" {
		if _, err := e.AWS.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &name}); err != nil {
			return fmt.Errorf("s3:DeleteBucketPolicy %q: %w", name, err)
		}
		return nil
	}
	if _, err := e.AWS.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &name, Policy: &want}); err != nil {
		return fmt.Errorf("s3:PutBucketPolicy %q: %w", name, err)
	}
	return nil
}

// configureBucket tags the bucket as this installation's, blocks all public access and turns on default
// encryption. Every call is a full overwrite, so repeating it is harmless.
func (e *Executor) configureBucket(ctx context.Context, _ plan.Step, p plan.ConfigureBucket) error {
	name := p.Bucket
	var tags []s3types.Tag
	for _, t := range e.tags() {
		tags = append(tags, s3types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	if _, err := e.AWS.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{
		Bucket: &name, Tagging: &s3types.Tagging{TagSet: tags},
	}); err != nil {
		return fmt.Errorf("s3:PutBucketTagging %q: %w", name, err)
	}
	if _, err := e.AWS.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: &name,
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
			BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
		},
	}); err != nil {
		return fmt.Errorf("s3:PutPublicAccessBlock %q: %w", name, err)
	}
	rule := s3types.ServerSideEncryptionRule{
		ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256},
	}
	if p.KMSKey != "" {
		key, err := e.keyARN(p.KMSKey)
		if err != nil {
			return err
		}
		// An S3 Bucket Key cuts the KMS requests (and their cost) of SSE-KMS to one per bucket key period.
		rule = s3types.ServerSideEncryptionRule{BucketKeyEnabled: aws.Bool(true), ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{
			SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: &key,
		}}
	}
	if _, err := e.AWS.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket:                            &name,
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{rule}},
	}); err != nil {
		return fmt.Errorf("s3:PutBucketEncryption %q: %w", name, err)
	}
	return nil
}

// createStaticKeys stores the configured static keys (which the plan does not carry) in the format the
// reference overlay's SecretProviderClass reads.
func (e *Executor) createStaticKeys(ctx context.Context, s plan.Step, p plan.CreateStaticKeys) error {
	value, err := json.Marshal(map[string]string{
		"accesskey": e.Config.S3.AccessKeyID,
		"secretkey": e.Config.S3.SecretAccessKey,
	})
	if err != nil {
		return err
	}
	return e.createSecret(ctx, s.Resource, secretSpec{name: p.SecretName, desc: "Static S3 keys for Kubeflow Pipelines",
		value: string(value), complete: true, kmsKey: p.KMSKey})
}

// secretSpec is a secret to create: complete marks a value that needs no further writes; kmsKey, when set, is
// the key that encrypts it.
type secretSpec struct {
	name, desc, value, kmsKey string
	complete                  bool
}

// createSecret creates a secret with ownership tags.
func (e *Executor) createSecret(ctx context.Context, key string, sp secretSpec) error {
	name := sp.name
	if err := e.intend(key, name); err != nil {
		return err
	}
	in := &secretsmanager.CreateSecretInput{Name: &name, Description: &sp.desc, SecretString: &sp.value, Tags: e.secretTags(sp.complete)}
	if sp.kmsKey != "" {
		k, err := e.keyARN(sp.kmsKey)
		if err != nil {
			return err
		}
		in.KmsKeyId = &k
	}
	out, err := e.AWS.SecretsManager.CreateSecret(ctx, in)
	if err != nil {
		// The SDK's error never contains the secret value: it is sent in the body, and errors echo only the name.
		return fmt.Errorf("secretsmanager:CreateSecret %q: %w", name, err)
	}
	return e.record(key, aws.ToString(out.ARN))
}
