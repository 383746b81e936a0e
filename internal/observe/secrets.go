package observe

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/kfaws/kfaws/internal/ownership"
)

// pendingStage is the staging label of a secret version being rotated in, as AWS's own rotation protocol uses it.
const pendingStage = "AWSPENDING"

// secret reads a secret's metadata and tags; its value is never read.
func (o *Observer) secret(ctx context.Context, name string) (Secret, error) {
	out, err := o.AWS.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &name})
	var nf *smtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return Secret{}, nil
	}
	if err != nil {
		return Secret{}, fmt.Errorf("secretsmanager:DescribeSecret: %w", err)
	}
	s := Secret{Presence: Presence{Exists: true, ARN: aws.ToString(out.ARN)}, Deleted: out.DeletedDate != nil,
		KMSKey: aws.ToString(out.KmsKeyId)}
	for id, stages := range out.VersionIdsToStages {
		if slices.Contains(stages, pendingStage) {
			s.Pending = id
		}
	}
	for _, t := range out.Tags {
		switch aws.ToString(t.Key) {
		case ownership.TagInstallation:
			s.Installation = aws.ToString(t.Value)
		case ownership.TagComplete:
			s.Complete = aws.ToString(t.Value) == "true"
		}
	}
	return s, nil
}
