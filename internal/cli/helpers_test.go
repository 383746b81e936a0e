package cli

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kfaws/kfaws/localstack"
)

func createSubnetGroup(cfg aws.Config, name string, subnets []string) error {
	_, err := rds.NewFromConfig(cfg).CreateDBSubnetGroup(context.Background(), &rds.CreateDBSubnetGroupInput{
		DBSubnetGroupName: &name, DBSubnetGroupDescription: aws.String("someone else's"), SubnetIds: subnets,
	})
	return err
}

// secretValue reads one field of a JSON secret from the stack.
func secretValue(t *testing.T, s *localstack.Stack, region, name, field string) string {
	t.Helper()
	cfg, err := s.AWSConfig(context.Background(), region)
	if err != nil {
		t.Fatal(err)
	}
	out, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: &name})
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]string{}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil || v[field] == "" {
		t.Fatalf("secret %q has no %q: %v", name, field, err)
	}
	return v[field]
}
