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

func (e *Executor) createSecurityGroup(ctx context.Context, s plan.Step, p plan.CreateSecurityGroup) error {
	if err := e.intend(s.Resource, p.Name); err != nil {
		return err
	}
	var tags []ec2types.Tag
	for _, t := range e.tags() {
		tags = append(tags, ec2types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	tags = append(tags, ec2types.Tag{Key: aws.String("Name"), Value: aws.String(p.Name)})
	out, err := e.AWS.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName:   &p.Name,
		Description: aws.String("Kubeflow RDS instance: MySQL from the EKS cluster " + p.Cluster),
		VpcId:       &p.VPCID,
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: tags,
		}},
	})
	var id string
	switch {
	case kaws.ErrorCode(err) == "InvalidGroup.Duplicate":
		if id, err = e.findSecurityGroup(ctx, p); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("ec2:CreateSecurityGroup %q: %w", p.Name, err)
	default:
		id = aws.ToString(out.GroupId)
	}
	e.setSecurityGroupID(id)
	if err := e.record(s.Resource, id); err != nil {
		return err
	}
	return e.admitMySQL(ctx, s, plan.AdmitMySQL{GroupID: id, Ingress: p.Ingress})
}

// admitMySQL admits MySQL from the plan's sources; rules already present are not an error.
func (e *Executor) admitMySQL(ctx context.Context, _ plan.Step, p plan.AdmitMySQL) error {
	id := p.GroupID
	if id == "" {
		id = e.securityGroupID()
	}
	perm := ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(3306), ToPort: aws.Int32(3306)}
	for _, src := range p.Ingress {
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

func (e *Executor) findSecurityGroup(ctx context.Context, p plan.CreateSecurityGroup) (string, error) {
	out, err := e.AWS.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{p.Name}},
		{Name: aws.String("vpc-id"), Values: []string{p.VPCID}},
	}})
	if err != nil {
		return "", fmt.Errorf("ec2:DescribeSecurityGroups: %w", err)
	}
	if len(out.SecurityGroups) == 0 {
		return "", fmt.Errorf("security group %q reported as duplicate but not found", p.Name)
	}
	return aws.ToString(out.SecurityGroups[0].GroupId), nil
}

// securityGroupID is the DB security group this run created, "" when it created none.
func (e *Executor) securityGroupID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sgID
}

func (e *Executor) setSecurityGroupID(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sgID = id
}
