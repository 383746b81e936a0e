package observe

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// passwordDiffers reports whether the secret name holds a password other than given. It reads the value only
// to compare: the value is neither kept nor quoted in an error.
func (o *Observer) passwordDiffers(ctx context.Context, name, given string) (bool, error) {
	out, err := o.AWS.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name})
	if err != nil {
		return false, fmt.Errorf("secretsmanager:GetSecretValue: %w", err)
	}
	var v struct {
		Password string `json:"password"`
	}
	// A value that is not a JSON object holds no password kfaws can use: the given one differs from it.
	if json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v) != nil {
		return true, nil
	}
	return subtle.ConstantTimeCompare([]byte(v.Password), []byte(given)) != 1, nil
}
