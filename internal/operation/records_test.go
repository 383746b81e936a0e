package operation_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/kfaws/kfaws/internal/plan"
)

// After an install, the configuration names other, existing resources someone else made. Whatever the plan
// decides about them, the state must not record their names with the identifier (or the ownership) of the
// resources kfaws created under the old names.
func TestRecordNeverPairsANameWithAnotherResourcesIdentifier(t *testing.T) {
	cases := []struct {
		name, key string
		// bring makes the other resource, points the configuration at it and returns its identifier.
		bring func(ctx context.Context, t *testing.T, in *install) string
	}{
		{"security group given by id", plan.KeySecurityGroup, func(ctx context.Context, t *testing.T, in *install) string {
			out, err := in.clients.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
				GroupName: aws.String(in.cfg.Name + "-theirs"), Description: aws.String("theirs"), VpcId: &in.cluster.VPCID})
			if err != nil {
				t.Fatal(err)
			}
			in.cfg.RDS.SecurityGroupID = aws.ToString(out.GroupId)
			return in.cfg.RDS.SecurityGroupID
		}},
		{"subnet group of another name", plan.KeySubnetGroup, func(ctx context.Context, t *testing.T, in *install) string {
			out, err := in.clients.RDS.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{
				DBSubnetGroupName: aws.String(in.cfg.RDS.SubnetGroupName + "-theirs"), DBSubnetGroupDescription: aws.String("theirs"),
				SubnetIds: in.cluster.PrivateSubnetIDs})
			if err != nil {
				t.Fatal(err)
			}
			in.cfg.RDS.SubnetGroupName = aws.ToString(out.DBSubnetGroup.DBSubnetGroupName)
			return aws.ToString(out.DBSubnetGroup.DBSubnetGroupArn)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			in := newInstall(t)
			in.mustUp(ctx)
			before := in.configuration().State.Snapshot().Resources[c.key]
			want := c.bring(ctx, t, in)
			if before.ARN == "" || before.ARN == want {
				t.Fatalf("the first install recorded %+v; the test needs another identifier than %q", before, want)
			}

			p := in.plan(ctx)
			r, _ := p.Resource(c.key)
			if r.Action == plan.Conflict {
				t.Skipf("plan refuses the other resource (%s); nothing is recorded", r.Detail)
			}
			in.mustUp(ctx)
			got := in.configuration().State.Snapshot().Resources[c.key]
			if got.ID != r.Name || got.ARN != want {
				t.Errorf("recorded %q with %q, want %q with its own identifier %q (not the old %q)", got.ID, got.ARN, r.Name, want, before.ARN)
			}
			if got.Owned != r.Owned {
				t.Errorf("recorded owned %t, the plan says %t: ownership came from the old resource's record", got.Owned, r.Owned)
			}
		})
	}
}
