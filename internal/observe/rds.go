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
		Presence:         Presence{Exists: true, ARN: aws.ToString(db.DBInstanceArn), Installation: rdsTag(db.TagList)},
		Status:           aws.ToString(db.DBInstanceStatus),
		Engine:           aws.ToString(db.Engine),
		EngineVersion:    aws.ToString(db.EngineVersion),
		DBName:           aws.ToString(db.DBName),
		MasterUsername:   aws.ToString(db.MasterUsername),
		StorageEncrypted: aws.ToBool(db.StorageEncrypted),
		KMSKey:           aws.ToString(db.KmsKeyId),
	}
	if db.Endpoint != nil {
		in.Address = aws.ToString(db.Endpoint.Address)
		in.Port = aws.ToInt32(db.Endpoint.Port)
	}
	if db.DBSubnetGroup != nil {
		in.SubnetGroup = aws.ToString(db.DBSubnetGroup.DBSubnetGroupName)
	}
	for _, g := range db.DBParameterGroups {
		in.ParameterGroups = append(in.ParameterGroups, aws.ToString(g.DBParameterGroupName))
	}
	for _, g := range db.VpcSecurityGroups {
		in.SecurityGroups = append(in.SecurityGroups, aws.ToString(g.VpcSecurityGroupId))
	}
	in.Settings, in.Pending = instanceSettings(db)
	return in
}

// instanceSettings are the instance's settings as they will be once RDS applies what it holds for the next
// maintenance window, and a description of what it holds.
func instanceSettings(db rdstypes.DBInstance) (InstanceSettings, []string) {
	s := InstanceSettings{
		Class: aws.ToString(db.DBInstanceClass), EngineVersion: aws.ToString(db.EngineVersion),
		AllocatedStorage: aws.ToInt32(db.AllocatedStorage), MaxAllocatedStorage: aws.ToInt32(db.MaxAllocatedStorage),
		BackupRetention: aws.ToInt32(db.BackupRetentionPeriod), MultiAZ: aws.ToBool(db.MultiAZ),
		DeletionProtection: aws.ToBool(db.DeletionProtection),
	}
	var pending []string
	pm := db.PendingModifiedValues
	if pm == nil {
		return s, nil
	}
	if pm.DBInstanceClass != nil {
		s.Class = aws.ToString(pm.DBInstanceClass)
		pending = append(pending, "instance class "+s.Class)
	}
	if pm.EngineVersion != nil {
		s.EngineVersion = aws.ToString(pm.EngineVersion)
		pending = append(pending, "engine version "+s.EngineVersion)
	}
	if pm.AllocatedStorage != nil {
		s.AllocatedStorage = aws.ToInt32(pm.AllocatedStorage)
		pending = append(pending, fmt.Sprintf("storage %d GiB", s.AllocatedStorage))
	}
	if pm.BackupRetentionPeriod != nil {
		s.BackupRetention = aws.ToInt32(pm.BackupRetentionPeriod)
		pending = append(pending, fmt.Sprintf("backups %d days", s.BackupRetention))
	}
	if pm.MultiAZ != nil {
		s.MultiAZ = aws.ToBool(pm.MultiAZ)
		pending = append(pending, fmt.Sprintf("multi-AZ %t", s.MultiAZ))
	}
	return s, pending
}

// subnetGroup reads the group and finds which of its subnets are public, the way the cluster's are classified.
func (o *Observer) subnetGroup(ctx context.Context, name string, cl Cluster) (SubnetGroup, error) {
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
	sg := SubnetGroup{Presence: Presence{Exists: true, ARN: aws.ToString(g.DBSubnetGroupArn)}, Name: name, VPCID: aws.ToString(g.VpcId)}
	for _, s := range g.Subnets {
		sg.Subnets = append(sg.Subnets, aws.ToString(s.SubnetIdentifier))
	}
	sort.Strings(sg.Subnets)
	if sg.Public, err = o.publicSubnets(ctx, sg, cl); err != nil {
		return SubnetGroup{}, err
	}
	sg.Installation, err = o.rdsTags(ctx, sg.ARN)
	return sg, err
}

// publicSubnets returns the group's subnets that route to an internet gateway. The cluster's subnets are
// already classified; others are read with their VPC's route tables.
func (o *Observer) publicSubnets(ctx context.Context, g SubnetGroup, cl Cluster) ([]string, error) {
	known := map[string]Subnet{}
	for _, s := range cl.Subnets {
		known[s.ID] = s
	}
	var public, unknown []string
	for _, id := range g.Subnets {
		s, ok := known[id]
		switch {
		case !ok:
			unknown = append(unknown, id)
		case !s.Private:
			public = append(public, id)
		}
	}
	if len(unknown) > 0 && g.VPCID != "" {
		others, err := o.subnets(ctx, g.VPCID, unknown)
		if err != nil {
			return nil, err
		}
		for _, s := range others {
			if !s.Private {
				public = append(public, s.ID)
			}
		}
	}
	sort.Strings(public)
	return public, nil
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
		Name:       name,
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

// securityGroup finds the DB security group: those of an existing instance (ids), the one the config brings by
// id, or kfaws's by name in the VPC.
func (o *Observer) securityGroup(ctx context.Context, vpcID string, ids []string) (SecurityGroup, error) {
	r := o.Config.RDS
	in := &ec2.DescribeSecurityGroupsInput{}
	switch {
	case len(ids) > 0:
		in.GroupIds = ids
	case r.SecurityGroupID != "":
		in.GroupIds = []string{r.SecurityGroupID}
	default:
		in.Filters = nameInVPC(r.SecurityGroupName, vpcID)
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
	return securityGroupFrom(out.SecurityGroups, vpcID), nil
}

// securityGroupFrom describes groups as one: the first's identity, and what any of them admits on 3306.
func securityGroupFrom(groups []ec2types.SecurityGroup, vpcID string) SecurityGroup {
	g := groups[0]
	sg := SecurityGroup{Presence: Presence{Exists: true, ARN: aws.ToString(g.GroupId)}, ID: aws.ToString(g.GroupId),
		Name: aws.ToString(g.GroupName)}
	if aws.ToString(g.VpcId) != vpcID {
		sg.VPCID = aws.ToString(g.VpcId)
	}
	for _, t := range g.Tags {
		if aws.ToString(t.Key) == ownership.TagInstallation {
			sg.Installation = aws.ToString(t.Value)
		}
	}
	for _, g := range groups {
		sg.IDs = append(sg.IDs, aws.ToString(g.GroupId))
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
	}
	sort.Strings(sg.MySQLFrom)
	return sg
}

func coversMySQL(p ec2types.IpPermission) bool {
	if aws.ToString(p.IpProtocol) == "-1" {
		return true
	}
	return aws.ToString(p.IpProtocol) == "tcp" && aws.ToInt32(p.FromPort) <= 3306 && aws.ToInt32(p.ToPort) >= 3306
}

// nameInVPC filters security groups by name in one VPC, where names are unique.
func nameInVPC(name, vpcID string) []ec2types.Filter {
	return []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{name}},
		{Name: aws.String("vpc-id"), Values: []string{vpcID}},
	}
}
