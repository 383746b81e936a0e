package cli

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

func createSubnetGroup(cfg aws.Config, name string, subnets []string) error {
	_, err := rds.NewFromConfig(cfg).CreateDBSubnetGroup(context.Background(), &rds.CreateDBSubnetGroupInput{
		DBSubnetGroupName: &name, DBSubnetGroupDescription: aws.String("someone else's"), SubnetIds: subnets,
	})
	return err
}
