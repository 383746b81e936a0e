package localstack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Cluster is an EKS cluster seeded in moto with the network eksctl would build.
type Cluster struct {
	Name             string
	Region           string
	VPCID            string
	PublicSubnetIDs  []string // route 0.0.0.0/0 to an internet gateway
	PrivateSubnetIDs []string // route 0.0.0.0/0 to a NAT gateway
	SecurityGroupID  string   // the control plane's security group
	OIDCIssuer       string
}

// seedClients are the AWS clients SeedCluster uses.
type seedClients struct {
	ec2 *ec2.Client
	eks *eks.Client
	iam *iam.Client
}

// SeedCluster creates, in moto, a VPC 10.0.0.0/16 with a public and a
// private subnet in each of three availability zones of region, a control
// plane security group and an EKS cluster on all six subnets. If the cluster
// already exists it is described instead, so seeding twice is harmless.
func (s *Stack) SeedCluster(ctx context.Context, name, region string) (*Cluster, error) {
	if region == "" {
		region = s.region
	}
	cfg, err := s.AWSConfig(ctx, region)
	if err != nil {
		return nil, err
	}
	c := seedClients{ec2: ec2.NewFromConfig(cfg), eks: eks.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg)}
	out, err := c.eks.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	var notFound *ekstypes.ResourceNotFoundException
	switch {
	case err == nil:
		return c.describe(ctx, region, out.Cluster)
	case !errors.As(err, &notFound):
		return nil, fmt.Errorf("seeding cluster %q: describing it: %w", name, err)
	}
	cl := &Cluster{Name: name, Region: region}
	if err := c.createNetwork(ctx, cl); err != nil {
		return nil, fmt.Errorf("seeding cluster %q: %w", name, err)
	}
	if err := c.createCluster(ctx, cl); err != nil {
		return nil, fmt.Errorf("seeding cluster %q: %w", name, err)
	}
	return cl, nil
}

func tags(resource ec2types.ResourceType, kv ...string) []ec2types.TagSpecification {
	spec := ec2types.TagSpecification{ResourceType: resource}
	for i := 0; i+1 < len(kv); i += 2 {
		spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return []ec2types.TagSpecification{spec}
}

// createNetwork builds the VPC, subnets, gateways and route tables.
func (c seedClients) createNetwork(ctx context.Context, cl *Cluster) error {
	zones, err := c.threeZones(ctx)
	if err != nil {
		return err
	}
	vpc, err := c.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16"),
		TagSpecifications: tags(ec2types.ResourceTypeVpc, "Name", cl.Name+"-vpc")})
	if err != nil {
		return fmt.Errorf("creating vpc: %w", err)
	}
	cl.VPCID = aws.ToString(vpc.Vpc.VpcId)
	for i, zone := range zones {
		pub, err := c.subnet(ctx, cl, zone, fmt.Sprintf("10.0.%d.0/20", 16*i), "public", "kubernetes.io/role/elb")
		if err != nil {
			return err
		}
		priv, err := c.subnet(ctx, cl, zone, fmt.Sprintf("10.0.%d.0/20", 128+16*i), "private", "kubernetes.io/role/internal-elb")
		if err != nil {
			return err
		}
		cl.PublicSubnetIDs, cl.PrivateSubnetIDs = append(cl.PublicSubnetIDs, pub), append(cl.PrivateSubnetIDs, priv)
	}
	igw, err := c.ec2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{
		TagSpecifications: tags(ec2types.ResourceTypeInternetGateway, "Name", cl.Name+"-igw")})
	if err != nil {
		return fmt.Errorf("creating internet gateway: %w", err)
	}
	igwID := igw.InternetGateway.InternetGatewayId
	if _, err := c.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igwID, VpcId: vpc.Vpc.VpcId}); err != nil {
		return fmt.Errorf("attaching internet gateway: %w", err)
	}
	if err := c.routeTable(ctx, cl, "public", ec2.CreateRouteInput{GatewayId: igwID}, cl.PublicSubnetIDs...); err != nil {
		return err
	}
	natID, err := c.natGateway(ctx, cl)
	if err != nil {
		return err
	}
	// One private route table per zone, as eksctl makes, all to the one NAT.
	for _, id := range cl.PrivateSubnetIDs {
		if err := c.routeTable(ctx, cl, "private", ec2.CreateRouteInput{NatGatewayId: natID}, id); err != nil {
			return err
		}
	}
	sg, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String(cl.Name + "-control-plane"), VpcId: vpc.Vpc.VpcId,
		Description: aws.String("EKS control plane of " + cl.Name)})
	if err != nil {
		return fmt.Errorf("creating control plane security group: %w", err)
	}
	cl.SecurityGroupID = aws.ToString(sg.GroupId)
	return nil
}

func (c seedClients) threeZones(ctx context.Context) ([]string, error) {
	out, err := c.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return nil, fmt.Errorf("listing availability zones: %w", err)
	}
	var zones []string
	for _, z := range out.AvailabilityZones {
		zones = append(zones, aws.ToString(z.ZoneName))
	}
	slices.Sort(zones)
	if len(zones) < 3 {
		return nil, fmt.Errorf("region has %d availability zones, want 3", len(zones))
	}
	return zones[:3], nil
}

func (c seedClients) subnet(ctx context.Context, cl *Cluster, zone, cidr, kind, roleTag string) (string, error) {
	out, err := c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(cl.VPCID), CidrBlock: aws.String(cidr),
		AvailabilityZone:  aws.String(zone),
		TagSpecifications: tags(ec2types.ResourceTypeSubnet, "Name", cl.Name+"-"+kind+"-"+zone, roleTag, "1")})
	if err != nil {
		return "", fmt.Errorf("creating %s subnet %s in %s: %w", kind, cidr, zone, err)
	}
	return aws.ToString(out.Subnet.SubnetId), nil
}

// routeTable creates a route table whose default route uses target and
// associates it with subnets.
func (c seedClients) routeTable(ctx context.Context, cl *Cluster, kind string, target ec2.CreateRouteInput, subnets ...string) error {
	rt, err := c.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(cl.VPCID),
		TagSpecifications: tags(ec2types.ResourceTypeRouteTable, "Name", cl.Name+"-"+kind)})
	if err != nil {
		return fmt.Errorf("creating %s route table: %w", kind, err)
	}
	route := ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"),
		GatewayId: target.GatewayId, NatGatewayId: target.NatGatewayId}
	if _, err := c.ec2.CreateRoute(ctx, &route); err != nil {
		return fmt.Errorf("creating default route of %s route table: %w", kind, err)
	}
	for _, id := range subnets {
		if _, err := c.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{
			RouteTableId: rt.RouteTable.RouteTableId, SubnetId: aws.String(id)}); err != nil {
			return fmt.Errorf("associating %s route table with subnet %q: %w", kind, id, err)
		}
	}
	return nil
}

func (c seedClients) natGateway(ctx context.Context, cl *Cluster) (*string, error) {
	eip, err := c.ec2.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	if err != nil {
		return nil, fmt.Errorf("allocating elastic ip for nat gateway: %w", err)
	}
	nat, err := c.ec2.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: aws.String(cl.PublicSubnetIDs[0]),
		AllocationId: eip.AllocationId, TagSpecifications: tags(ec2types.ResourceTypeNatgateway, "Name", cl.Name+"-nat")})
	if err != nil {
		return nil, fmt.Errorf("creating nat gateway: %w", err)
	}
	return nat.NatGateway.NatGatewayId, nil
}

const clusterTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// createCluster creates the cluster role (reused if present) and the cluster.
func (c seedClients) createCluster(ctx context.Context, cl *Cluster) error {
	roleName := cl.Name + "-cluster-role"
	var roleARN string
	role, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), AssumeRolePolicyDocument: aws.String(clusterTrust)})
	var exists *iamtypes.EntityAlreadyExistsException
	switch {
	case err == nil:
		roleARN = aws.ToString(role.Role.Arn)
	case errors.As(err, &exists):
		got, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
		if err != nil {
			return fmt.Errorf("reading cluster role %q: %w", roleName, err)
		}
		roleARN = aws.ToString(got.Role.Arn)
	default:
		return fmt.Errorf("creating cluster role %q: %w", roleName, err)
	}
	out, err := c.eks.CreateCluster(ctx, &eks.CreateClusterInput{
		Name: aws.String(cl.Name), RoleArn: aws.String(roleARN), Version: aws.String("1.33"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{
			SubnetIds:        append(slices.Clone(cl.PublicSubnetIDs), cl.PrivateSubnetIDs...),
			SecurityGroupIds: []string{cl.SecurityGroupID},
		},
	})
	if err != nil {
		return fmt.Errorf("creating eks cluster: %w", err)
	}
	if out.Cluster.Identity != nil && out.Cluster.Identity.Oidc != nil {
		cl.OIDCIssuer = aws.ToString(out.Cluster.Identity.Oidc.Issuer)
	}
	return nil
}

// describe rebuilds a Cluster from an existing EKS cluster, telling public
// from private subnets by their route tables.
func (c seedClients) describe(ctx context.Context, region string, k *ekstypes.Cluster) (*Cluster, error) {
	cl := &Cluster{Name: aws.ToString(k.Name), Region: region}
	if k.Identity != nil && k.Identity.Oidc != nil {
		cl.OIDCIssuer = aws.ToString(k.Identity.Oidc.Issuer)
	}
	if v := k.ResourcesVpcConfig; v != nil {
		cl.VPCID = aws.ToString(v.VpcId)
		if len(v.SecurityGroupIds) > 0 {
			cl.SecurityGroupID = v.SecurityGroupIds[0]
		}
		for _, id := range v.SubnetIds {
			public, err := c.isPublic(ctx, id)
			if err != nil {
				return nil, err
			}
			if public {
				cl.PublicSubnetIDs = append(cl.PublicSubnetIDs, id)
			} else {
				cl.PrivateSubnetIDs = append(cl.PrivateSubnetIDs, id)
			}
		}
	}
	return cl, nil
}

func (c seedClients) isPublic(ctx context.Context, subnet string) (bool, error) {
	out, err := c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
		{Name: aws.String("association.subnet-id"), Values: []string{subnet}}}})
	if err != nil {
		return false, fmt.Errorf("reading route table of subnet %q: %w", subnet, err)
	}
	for _, rt := range out.RouteTables {
		for _, r := range rt.Routes {
			if strings.HasPrefix(aws.ToString(r.GatewayId), "igw-") {
				return true, nil
			}
		}
	}
	return false, nil
}
