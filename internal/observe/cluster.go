package observe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"golang.org/x/sync/errgroup"
)

// cluster reads the EKS cluster, its VPC, and classifies each of its subnets as private or public.
func (o *Observer) cluster(ctx context.Context) (Cluster, error) {
	name := o.Config.Cluster
	out, err := o.AWS.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: &name})
	var nf *ekstypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return Cluster{}, fmt.Errorf("%w: %q in region %q; check --cluster and --region (aws eks list-clusters)",
			ErrClusterNotFound, name, o.Config.Region)
	}
	if err != nil {
		return Cluster{}, fmt.Errorf("describing EKS cluster %q: %w", name, err)
	}
	cl := out.Cluster
	c := Cluster{Name: name, Status: string(cl.Status), Version: aws.ToString(cl.Version), Endpoint: aws.ToString(cl.Endpoint)}
	if cl.Identity != nil && cl.Identity.Oidc != nil {
		c.OIDCIssuer = aws.ToString(cl.Identity.Oidc.Issuer)
	}
	vpc := cl.ResourcesVpcConfig
	if vpc == nil || aws.ToString(vpc.VpcId) == "" {
		return Cluster{}, fmt.Errorf("EKS cluster %q reports no VPC configuration", name)
	}
	c.VPCID = aws.ToString(vpc.VpcId)
	c.SecurityGroupID = aws.ToString(vpc.ClusterSecurityGroupId)
	c.ControlPlaneSecurityGroups = vpc.SecurityGroupIds
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		c.VPCCIDRs, err = o.vpcCIDRs(gctx, c.VPCID)
		return err
	})
	g.Go(func() (err error) {
		c.Subnets, err = o.subnets(gctx, c.VPCID, vpc.SubnetIds)
		return err
	})
	if err := g.Wait(); err != nil {
		return Cluster{}, err
	}
	return c, nil
}

func (o *Observer) vpcCIDRs(ctx context.Context, vpcID string) ([]string, error) {
	out, err := o.AWS.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if err != nil {
		return nil, fmt.Errorf("describing VPC %q: %w", vpcID, err)
	}
	var cidrs []string
	for _, v := range out.Vpcs {
		for _, a := range v.CidrBlockAssociationSet {
			if a.CidrBlockState == nil || a.CidrBlockState.State == ec2types.VpcCidrBlockStateCodeAssociated {
				cidrs = append(cidrs, aws.ToString(a.CidrBlock))
			}
		}
		if len(cidrs) == 0 && v.CidrBlock != nil {
			cidrs = append(cidrs, aws.ToString(v.CidrBlock))
		}
	}
	return cidrs, nil
}

// subnets describes the cluster's subnets and decides which are private by their effective route table: a subnet
// is public when that table routes anywhere through an internet gateway. Tags are not trusted for this.
func (o *Observer) subnets(ctx context.Context, vpcID string, ids []string) ([]Subnet, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var subnets []Subnet
	var tables []ec2types.RouteTable
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		sp := ec2.NewDescribeSubnetsPaginator(o.AWS.EC2, &ec2.DescribeSubnetsInput{SubnetIds: ids})
		for sp.HasMorePages() {
			page, err := sp.NextPage(gctx)
			if err != nil {
				return fmt.Errorf("describing the cluster's subnets: %w", err)
			}
			for _, sn := range page.Subnets {
				subnets = append(subnets, Subnet{
					ID: aws.ToString(sn.SubnetId), AZ: aws.ToString(sn.AvailabilityZone), CIDR: aws.ToString(sn.CidrBlock),
				})
			}
		}
		return nil
	})
	g.Go(func() error {
		rp := ec2.NewDescribeRouteTablesPaginator(o.AWS.EC2, &ec2.DescribeRouteTablesInput{
			Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
		})
		for rp.HasMorePages() {
			page, err := rp.NextPage(gctx)
			if err != nil {
				return fmt.Errorf("describing route tables of VPC %q: %w", vpcID, err)
			}
			tables = append(tables, page.RouteTables...)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	classify(subnets, tables)
	sort.Slice(subnets, func(i, j int) bool { return subnets[i].ID < subnets[j].ID })
	return subnets, nil
}

// classify sets each subnet's route table (its own association, else the VPC's main table) and Private.
func classify(subnets []Subnet, tables []ec2types.RouteTable) {
	bySubnet := map[string]ec2types.RouteTable{}
	var main *ec2types.RouteTable
	for _, rt := range tables {
		for _, a := range rt.Associations {
			if aws.ToBool(a.Main) {
				main = &rt
			}
			if a.SubnetId != nil {
				bySubnet[*a.SubnetId] = rt
			}
		}
	}
	for i := range subnets {
		rt, ok := bySubnet[subnets[i].ID]
		if !ok && main != nil {
			rt, ok = *main, true
		}
		if !ok {
			// No table at all means no route out, which is private by definition.
			subnets[i].Private = true
			continue
		}
		subnets[i].RouteTable = aws.ToString(rt.RouteTableId)
		subnets[i].Private = !routesToInternetGateway(rt)
	}
}

func routesToInternetGateway(rt ec2types.RouteTable) bool {
	for _, r := range rt.Routes {
		if strings.HasPrefix(aws.ToString(r.GatewayId), "igw-") {
			return true
		}
	}
	return false
}
