package execute

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/plan"
)

func (e *Executor) createSecurityGroup(ctx context.Context, s plan.Step) error {
	r, vpc := e.Config.RDS, e.Snapshot.Cluster.VPCID
	if err := e.intend(plan.KeySecurityGroup, r.SecurityGroupName); err != nil {
		return err
	}
	var tags []ec2types.Tag
	for _, t := range e.tags() {
		tags = append(tags, ec2types.Tag{Key: aws.String(t[0]), Value: aws.String(t[1])})
	}
	tags = append(tags, ec2types.Tag{Key: aws.String("Name"), Value: aws.String(r.SecurityGroupName)})
	out, err := e.AWS.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:   &r.SecurityGroupName,
		Description: aws.String("Kubeflow RDS instance: MySQL from the EKS cluster " + e.Config.Cluster),
		VpcId:       &vpc,
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: tags,
		}},
	})
	var id string
	switch {
	case kaws.ErrorCode(err) == "InvalidGroup.Duplicate":
		if id, err = e.findSecurityGroup(ctx); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("ec2:CreateSecurityGroup %q: %w", r.SecurityGroupName, err)
	default:
		id = aws.ToString(out.GroupId)
	}
	e.setSecurityGroupID(id)
	if err := e.record(plan.KeySecurityGroup, id); err != nil {
		return err
	}
	return e.authorizeMySQL(ctx, s)
}

// authorizeMySQL admits MySQL from the plan's sources; rules already present are not an error.
func (e *Executor) authorizeMySQL(ctx context.Context, _ plan.Step) error {
	id := e.securityGroupID()
	perm := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(3306), ToPort: aws.Int32(3306)}
	for _, src := range e.Plan.DBIngress {
		if strings.HasPrefix(src, "sg-") {
			perm.UserIdGroupPairs = append(perm.UserIdGroupPairs, ec2types.UserIdGroupPair{
				GroupId: aws.String(src), Description: aws.String("EKS cluster"),
			})
		} else {
			perm.IpRanges = append(perm.IpRanges, ec2types.IpRange{CidrIp: aws.String(src), Description: aws.String("EKS cluster VPC")})
		}
	}
	_, err := e.AWS.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: &id, IpPermissions: []ec2types.IpPermission{perm},
	})
	if err != nil && kaws.ErrorCode(err) != "InvalidPermission.Duplicate" {
		return fmt.Errorf("ec2:AuthorizeSecurityGroupIngress %q: %w", id, err)
	}
	return nil
}

func (e *Executor) findSecurityGroup(ctx context.Context) (string, error) {
	out, err := e.AWS.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{e.Config.RDS.SecurityGroupName}},
		{Name: aws.String("vpc-id"), Values: []string{e.Snapshot.Cluster.VPCID}},
	}})
	if err != nil {
		return "", fmt.Errorf("ec2:DescribeSecurityGroups: %w", err)
	}
	if len(out.SecurityGroups) == 0 {
		return "", fmt.Errorf("security group %q reported as duplicate but not found", e.Config.RDS.SecurityGroupName)
	}
	return aws.ToString(out.SecurityGroups[0].GroupId), nil
}

// securityGroupID is the DB security group: the observed one, or the one this run created.
func (e *Executor) securityGroupID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sgID == "" {
		return e.Snapshot.SecurityGroup.ID
	}
	return e.sgID
}

func (e *Executor) setSecurityGroupID(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sgID = id
}
