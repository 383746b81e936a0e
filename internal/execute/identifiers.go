package execute

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/kfaws/kfaws/internal/plan"
)

// observedID is the ARN (for the security group: the id) observe saw for key's resource before the run, "" when
// it did not exist then. Observe looks each resource up by the name the configuration gives, the plan's name.
func (e *Executor) observedID(key string) string {
	s := e.Snapshot
	if s == nil {
		return ""
	}
	switch key {
	case plan.KeyOIDCProvider:
		return s.OIDCProvider.ARN
	case plan.KeyBucket:
		return s.Bucket.ARN
	case plan.KeyS3Secret:
		return s.S3Secret.ARN
	case plan.KeyS3Policy:
		return s.S3Policy.ARN
	case plan.KeyBackendRole:
		return s.BackendRole.ARN
	case plan.KeyProfileRole:
		return s.ProfileRole.ARN
	case plan.KeySecretsRole:
		return s.SecretsRole.ARN
	case plan.KeySubnetGroup:
		return s.SubnetGroup.ARN
	case plan.KeyParameterGroup:
		return s.ParameterGroup.ARN
	case plan.KeySecurityGroup:
		return s.SecurityGroup.ID
	case plan.KeyRDSSecret:
		return s.RDSSecret.ARN
	case plan.KeyInstance:
		return s.Instance.ARN
	case plan.KeyCSIAddon:
		return s.CSIAddon.ARN
	case plan.KeyPodIdentityAgent:
		return s.PodIdentity.Agent.ARN
	}
	if r, ok := e.Plan.Resource(key); ok && strings.HasPrefix(key, plan.KeyProfileRolePrefix) {
		return s.ProfileRoles[r.Name].ARN
	}
	if r, ok := e.Plan.Resource(key); ok && strings.HasPrefix(key, plan.KeyAssociationPrefix) {
		return r.ARN // the ARN of the association observe found for the account
	}
	return ""
}

// The RDS lookups below give the ARN of a resource whose create call answered "already exists": an earlier
// attempt of this very call created it (its answer was lost and the SDK retried), so the answer carried no ARN.

func (e *Executor) subnetGroupARN(ctx context.Context, name string) (string, error) {
	out, err := e.AWS.RDS.DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: &name})
	if err != nil {
		return "", fmt.Errorf("rds:DescribeDBSubnetGroups %q: %w", name, err)
	}
	if len(out.DBSubnetGroups) == 0 {
		return "", fmt.Errorf("DB subnet group %q reported as existing but not found", name)
	}
	return aws.ToString(out.DBSubnetGroups[0].DBSubnetGroupArn), nil
}

func (e *Executor) parameterGroupARN(ctx context.Context, name string) (string, error) {
	out, err := e.AWS.RDS.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: &name})
	if err != nil {
		return "", fmt.Errorf("rds:DescribeDBParameterGroups %q: %w", name, err)
	}
	if len(out.DBParameterGroups) == 0 {
		return "", fmt.Errorf("DB parameter group %q reported as existing but not found", name)
	}
	return aws.ToString(out.DBParameterGroups[0].DBParameterGroupArn), nil
}

func (e *Executor) instanceARN(ctx context.Context, id string) (string, error) {
	out, err := e.AWS.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &id})
	if err != nil {
		return "", fmt.Errorf("rds:DescribeDBInstances %q: %w", id, err)
	}
	if len(out.DBInstances) == 0 {
		return "", fmt.Errorf("DB instance %q reported as existing but not found", id)
	}
	return aws.ToString(out.DBInstances[0].DBInstanceArn), nil
}
