package observe

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/ownership"
)

// Parameters kfaws sets in its DB parameter group; the plan compares them with what it wants.
var watchedParameters = map[string]bool{
	"authentication_policy":         true,
	"default_authentication_plugin": true,
	"character_set_server":          true,
	"collation_server":              true,
	"require_secure_transport":      true,
}

func (o *Observer) instance(ctx context.Context, id string) (Instance, error) {
	out, err := o.AWS.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &id})
	var nf *rdstypes.DBInstanceNotFoundFault
	if errors.As(err, &nf) {
		return Instance{}, nil
	}
	if err != nil {
		return Instance{}, fmt.Errorf("rds:DescribeDBInstances: %w", err)
	}
	if len(out.DBInstances) == 0 {
		return Instance{}, nil
	}
	return InstanceFrom(out.DBInstances[0]), nil
}

// InstanceFrom converts the SDK's description of an instance.
func InstanceFrom(db rdstypes.DBInstance) Instance {
	in := Instance{
		Presence:       Presence{Exists: true, ARN: aws.ToString(db.DBInstanceArn), Installation: rdsTag(db.TagList)},
		Status:         aws.ToString(db.DBInstanceStatus),
		EngineVersion:  aws.ToString(db.EngineVersion),
		DBName:         aws.ToString(db.DBName),
		MasterUsername: aws.ToString(db.MasterUsername),
	}
	if db.Endpoint != nil {
		in.Address = aws.ToString(db.Endpoint.Address)
		in.Port = aws.ToInt32(db.Endpoint.Port)
	}
	return in
}

func (o *Observer) subnetGroup(ctx context.Context, name string) (SubnetGroup, error) {
	out, err := o.AWS.RDS.DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: &name})
	var nf *rdstypes.DBSubnetGroupNotFoundFault
	if errors.As(err, &nf) {
		return SubnetGroup{}, nil
	}
	if err != nil {
		return SubnetGroup{}, fmt.Errorf("rds:DescribeDBSubnetGroups: %w", err)
	}
	if len(out.DBSubnetGroups) == 0 {
		return SubnetGroup{}, nil
	}
	g := out.DBSubnetGroups[0]
	sg := SubnetGroup{Presence: Presence{Exists: true, ARN: aws.ToString(g.DBSubnetGroupArn)}, VPCID: aws.ToString(g.VpcId)}
	for _, s := range g.Subnets {
		sg.Subnets = append(sg.Subnets, aws.ToString(s.SubnetIdentifier))
	}
	sort.Strings(sg.Subnets)
	sg.Installation, err = o.rdsTags(ctx, sg.ARN)
	return sg, err
}

func (o *Observer) parameterGroup(ctx context.Context, name string) (ParameterGroup, error) {
	out, err := o.AWS.RDS.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: &name})
	var nf *rdstypes.DBParameterGroupNotFoundFault
	if errors.As(err, &nf) {
		return ParameterGroup{}, nil
	}
	if err != nil {
		return ParameterGroup{}, fmt.Errorf("rds:DescribeDBParameterGroups: %w", err)
	}
	if len(out.DBParameterGroups) == 0 {
		return ParameterGroup{}, nil
	}
	g := out.DBParameterGroups[0]
	pg := ParameterGroup{
		Presence:   Presence{Exists: true, ARN: aws.ToString(g.DBParameterGroupArn)},
		Family:     aws.ToString(g.DBParameterGroupFamily),
		Parameters: map[string]string{},
	}
	p := rds.NewDescribeDBParametersPaginator(o.AWS.RDS, &rds.DescribeDBParametersInput{
		DBParameterGroupName: &name, Source: aws.String("user"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return ParameterGroup{}, fmt.Errorf("rds:DescribeDBParameters: %w", err)
		}
		for _, prm := range page.Parameters {
			if n := aws.ToString(prm.ParameterName); watchedParameters[n] {
				pg.Parameters[n] = aws.ToString(prm.ParameterValue)
			}
		}
	}
	pg.Installation, err = o.rdsTags(ctx, pg.ARN)
	return pg, err
}

func (o *Observer) rdsTags(ctx context.Context, arn string) (string, error) {
	if arn == "" {
		return "", nil
	}
	out, err := o.AWS.RDS.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: &arn})
	if err != nil {
		return "", fmt.Errorf("rds:ListTagsForResource: %w", err)
	}
	return rdsTag(out.TagList), nil
}

func rdsTag(tags []rdstypes.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == ownership.TagInstallation {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// securityGroup finds the DB security group: the one the config brings by id, or kfaws's by name in the VPC.
func (o *Observer) securityGroup(ctx context.Context, vpcID string) (SecurityGroup, error) {
	r := o.Config.RDS
	in := &ec2.DescribeSecurityGroupsInput{}
	if r.SecurityGroupID != "" {
		in.GroupIds = []string{r.SecurityGroupID}
	} else {
		in.Filters = []ec2types.Filter{
			{Name: aws.String("group-name"), Values: []string{r.SecurityGroupName}},
			{Name: aws.String("vpc-id"), Values: []string{vpcID}},
		}
	}
	out, err := o.AWS.EC2.DescribeSecurityGroups(ctx, in)
	if code := kaws.ErrorCode(err); code == "InvalidGroup.NotFound" || code == "InvalidGroupId.NotFound" {
		return SecurityGroup{}, nil
	}
	if err != nil {
		return SecurityGroup{}, fmt.Errorf("ec2:DescribeSecurityGroups: %w", err)
	}
	if len(out.SecurityGroups) == 0 {
		return SecurityGroup{}, nil
	}
	g := out.SecurityGroups[0]
	sg := SecurityGroup{Presence: Presence{Exists: true, ARN: aws.ToString(g.GroupId)}, ID: aws.ToString(g.GroupId)}
	if aws.ToString(g.VpcId) != vpcID {
		sg.VPCID = aws.ToString(g.VpcId)
	}
	for _, t := range g.Tags {
		if aws.ToString(t.Key) == ownership.TagInstallation {
			sg.Installation = aws.ToString(t.Value)
		}
	}
	for _, perm := range g.IpPermissions {
		if !coversMySQL(perm) {
			continue
		}
		for _, p := range perm.UserIdGroupPairs {
			sg.MySQLFrom = append(sg.MySQLFrom, aws.ToString(p.GroupId))
		}
		for _, rng := range perm.IpRanges {
			sg.MySQLFrom = append(sg.MySQLFrom, aws.ToString(rng.CidrIp))
		}
	}
	sort.Strings(sg.MySQLFrom)
	return sg, nil
}

func coversMySQL(p ec2types.IpPermission) bool {
	if aws.ToString(p.IpProtocol) == "-1" {
		return true
	}
	return aws.ToString(p.IpProtocol) == "tcp" && aws.ToInt32(p.FromPort) <= 3306 && aws.ToInt32(p.ToPort) >= 3306
}
