package execute

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kfaws/kfaws/internal/plan"
)

// createKMSKey creates the installation's symmetric key, tagged, records its ARN before anything else, then gives
// it kfaws's alias, by which the next run finds it.
func (e *Executor) createKMSKey(ctx context.Context, s plan.Step, p plan.CreateKMSKey) error {
	if err := e.intend(s.Resource, p.Alias); err != nil {
		return err
	}
	var tags []kmstypes.Tag
	for _, t := range e.tags() {
		tags = append(tags, kmstypes.Tag{TagKey: aws.String(t.Key), TagValue: aws.String(t.Value)})
	}
	out, err := e.AWS.KMS.CreateKey(ctx, &kms.CreateKeyInput{
		Description: &p.Description, KeySpec: kmstypes.KeySpecSymmetricDefault, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt,
		Tags: tags,
	})
	if err != nil {
		return fmt.Errorf("kms:CreateKey for %q: %w", p.Alias, err)
	}
	arn := aws.ToString(out.KeyMetadata.Arn)
	e.mu.Lock()
	e.createdKey = arn
	e.mu.Unlock()
	if err := e.record(s.Resource, arn); err != nil {
		return err
	}
	if _, err := e.AWS.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: &p.Alias, TargetKeyId: &arn}); err != nil {
		return fmt.Errorf("kms:CreateAlias %q for key %q: %w", p.Alias, arn, err)
	}
	return nil
}

// restoreKMSKey cancels a scheduled deletion of the key kfaws created and enables it, and gives it its alias when
// it lacks it; each is harmless on a key that needs none, so an interrupted restore is finished by running it
// again. The key's ARN is recorded, for a key found by its tag.
func (e *Executor) restoreKMSKey(ctx context.Context, s plan.Step, p plan.RestoreKMSKey) error {
	out, err := e.AWS.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &p.ARN})
	if err != nil {
		return fmt.Errorf("kms:DescribeKey %q: %w", p.Alias, err)
	}
	id := out.KeyMetadata.KeyId // by id: moto 5.2.1 fails these calls given the key's ARN
	_, err = e.AWS.KMS.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: id})
	var state *kmstypes.KMSInvalidStateException
	if err != nil && !errors.As(err, &state) {
		return fmt.Errorf("kms:CancelKeyDeletion %q: %w", p.Alias, err)
	}
	if _, err := e.AWS.KMS.EnableKey(ctx, &kms.EnableKeyInput{KeyId: id}); err != nil {
		return fmt.Errorf("kms:EnableKey %q: %w", p.Alias, err)
	}
	if !p.CreateAlias {
		return nil
	}
	_, err = e.AWS.KMS.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: &p.Alias, TargetKeyId: id})
	var exists *kmstypes.AlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("kms:CreateAlias %q for key %q: %w", p.Alias, p.ARN, err)
	}
	return e.record(s.Resource, p.ARN)
}

// encryptSecret has Secrets Manager encrypt a secret kfaws created with the key.
func (e *Executor) encryptSecret(ctx context.Context, _ plan.Step, p plan.EncryptSecret) error {
	key, err := e.keyARN(p.KMSKey)
	if err != nil {
		return err
	}
	if _, err := e.AWS.SecretsManager.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: &p.Name, KmsKeyId: &key}); err != nil {
		return fmt.Errorf("secretsmanager:UpdateSecret %q (KMS key): %w", p.Name, err)
	}
	return nil
}

// deleteKMSKey schedules the key's deletion; a key already gone or already scheduled is done.
func (e *Executor) deleteKMSKey(ctx context.Context, _ plan.Step, p plan.DeleteKMSKey) error {
	out, err := e.AWS.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &p.ARN})
	var nf *kmstypes.NotFoundException
	switch {
	case errors.As(err, &nf):
		return nil
	case err != nil:
		return fmt.Errorf("kms:DescribeKey %q: %w", p.Alias, err)
	case out.KeyMetadata.KeyState == kmstypes.KeyStatePendingDeletion:
		return nil
	}
	// By id: moto 5.2.1 fails ScheduleKeyDeletion given the key's ARN; AWS takes either.
	id := out.KeyMetadata.KeyId
	if _, err := e.AWS.KMS.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: &p.WindowDays}); err != nil {
		return fmt.Errorf("kms:ScheduleKeyDeletion %q: %w", p.Alias, err)
	}
	return nil
}

// keyARN is the key a step's params name: the key this run created in place of plan.CreatedKeyARN.
func (e *Executor) keyARN(ref string) (string, error) {
	if ref != plan.CreatedKeyARN {
		return ref, nil
	}
	e.mu.Lock()
	arn := e.createdKey
	e.mu.Unlock()
	if arn == "" {
		arn = e.State.Snapshot().Resources[plan.KeyKMSKey].ARN
	}
	if arn == "" {
		return "", errors.New("the KMS key this run was to create is not recorded; run kfaws up again")
	}
	return arn, nil
}

// withKey is a policy document with the ARN of the key this run created in place of plan.CreatedKeyARN.
func (e *Executor) withKey(doc string) (string, error) {
	if !strings.Contains(doc, plan.CreatedKeyARN) {
		return doc, nil
	}
	arn, err := e.keyARN(plan.CreatedKeyARN)
	return strings.ReplaceAll(doc, plan.CreatedKeyARN, arn), err
}
