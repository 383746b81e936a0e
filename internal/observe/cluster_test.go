package observe

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestClassifyByRouteTable(t *testing.T) {
	igw := ec2types.RouteTable{RouteTableId: aws.String("rtb-pub"),
		Associations: []ec2types.RouteTableAssociation{{SubnetId: aws.String("subnet-pub")}},
		Routes:       []ec2types.Route{{DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String("igw-1")}}}
	nat := ec2types.RouteTable{RouteTableId: aws.String("rtb-priv"),
		Associations: []ec2types.RouteTableAssociation{{SubnetId: aws.String("subnet-priv")}},
		Routes:       []ec2types.Route{{DestinationCidrBlock: aws.String("0.0.0.0/0"), NatGatewayId: aws.String("nat-1")}}}
	mainPublic := ec2types.RouteTable{RouteTableId: aws.String("rtb-main"),
		Associations: []ec2types.RouteTableAssociation{{Main: aws.Bool(true)}},
		Routes:       []ec2types.Route{{GatewayId: aws.String("igw-1")}}}
	subnets := []Subnet{{ID: "subnet-pub"}, {ID: "subnet-priv"}, {ID: "subnet-implicit"}}
	classify(subnets, []ec2types.RouteTable{igw, nat, mainPublic})
	want := map[string]bool{"subnet-pub": false, "subnet-priv": true, "subnet-implicit": false}
	for _, s := range subnets {
		if s.Private != want[s.ID] {
			t.Errorf("%s: private=%t, want %t (table %s)", s.ID, s.Private, want[s.ID], s.RouteTable)
		}
	}
	// Without any table a subnet has no way out: private.
	lone := []Subnet{{ID: "subnet-x"}}
	classify(lone, nil)
	if !lone[0].Private {
		t.Error("a subnet without a route table should be private")
	}
}

// The partition's test moved with it to internal/arn (TestPartition).
func TestBucketRegion(t *testing.T) {
	if bucketRegion("") != "us-east-1" || bucketRegion("EU") != "eu-west-1" || bucketRegion("eu-central-1") != "eu-central-1" {
		t.Error("bucketRegion")
	}
}
