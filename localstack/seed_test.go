package localstack_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/kfaws/kfaws/localstack"
)

// defaultRouteTarget returns the gateway id of subnet's 0.0.0.0/0 route.
func defaultRouteTarget(t *testing.T, c *ec2.Client, subnet string) string {
	t.Helper()
	out, err := c.DescribeRouteTables(context.Background(), &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
		{Name: aws.String("association.subnet-id"), Values: []string{subnet}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range out.RouteTables {
		for _, r := range rt.Routes {
			if aws.ToString(r.DestinationCidrBlock) == "0.0.0.0/0" {
				return aws.ToString(r.GatewayId) + aws.ToString(r.NatGatewayId)
			}
		}
	}
	return ""
}

func TestSeedCluster(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	const region = "eu-west-1"
	cl, err := s.SeedCluster(ctx, "seeded", region)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.AWSConfig(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	c := ec2.NewFromConfig(cfg)
	if len(cl.PublicSubnetIDs) != 3 || len(cl.PrivateSubnetIDs) != 3 {
		t.Fatalf("subnets: %d public, %d private; want 3 and 3", len(cl.PublicSubnetIDs), len(cl.PrivateSubnetIDs))
	}
	for _, id := range cl.PublicSubnetIDs {
		if got := defaultRouteTarget(t, c, id); !strings.HasPrefix(got, "igw-") {
			t.Errorf("public subnet %q default route to %q, want an internet gateway", id, got)
		}
	}
	for _, id := range cl.PrivateSubnetIDs {
		if got := defaultRouteTarget(t, c, id); !strings.HasPrefix(got, "nat-") {
			t.Errorf("private subnet %q default route to %q, want a nat gateway", id, got)
		}
	}
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: cl.PrivateSubnetIDs})
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string]bool{}
	for _, sn := range subnets.Subnets {
		zones[aws.ToString(sn.AvailabilityZone)] = true
		if aws.ToString(sn.VpcId) != cl.VPCID {
			t.Errorf("subnet %q in vpc %q, want %q", aws.ToString(sn.SubnetId), aws.ToString(sn.VpcId), cl.VPCID)
		}
	}
	if len(zones) != 3 {
		t.Errorf("private subnets span zones %v, want 3", zones)
	}
	got, err := eks.NewFromConfig(cfg).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("seeded")})
	if err != nil {
		t.Fatal(err)
	}
	if issuer := aws.ToString(got.Cluster.Identity.Oidc.Issuer); issuer != cl.OIDCIssuer || !strings.HasPrefix(issuer, "https://") {
		t.Errorf("oidc issuer %q, seed returned %q", issuer, cl.OIDCIssuer)
	}
	vc := got.Cluster.ResourcesVpcConfig
	if aws.ToString(vc.VpcId) != cl.VPCID {
		t.Errorf("DescribeCluster vpcId = %q, want %q (the proxy adds it)", aws.ToString(vc.VpcId), cl.VPCID)
	}
	if vc.ClusterSecurityGroupId != nil {
		t.Errorf("clusterSecurityGroupId = %q, want it absent as in moto", *vc.ClusterSecurityGroupId)
	}
	if ids := vc.SubnetIds; len(ids) != 6 {
		t.Errorf("cluster subnets %v, want 6", ids)
	}
	// Seeding again describes the same cluster; another name gets its own VPC.
	again, err := s.SeedCluster(ctx, "seeded", region)
	if err != nil {
		t.Fatal(err)
	}
	if again.VPCID != cl.VPCID || !slices.Equal(sorted(again.PrivateSubnetIDs), sorted(cl.PrivateSubnetIDs)) {
		t.Errorf("second seed = %+v, want %+v", again, cl)
	}
	other, err := s.SeedCluster(ctx, "seeded-2", region)
	if err != nil {
		t.Fatal(err)
	}
	if other.VPCID == cl.VPCID {
		t.Errorf("second cluster shares vpc %q", cl.VPCID)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
