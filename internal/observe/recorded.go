package observe

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/kfaws/kfaws/internal/arn"
	kaws "github.com/kfaws/kfaws/internal/aws"
)

// observeRecorded starts reading every resource of o.Recorded by its recorded name; the returned function,
// called once the reads are done, gives what they found by key.
func (o *Observer) observeRecorded(run runFunc, vpcID string, arns arn.Builder) func() map[string]Presence {
	var mu sync.Mutex
	found := map[string]Presence{}
	for _, r := range o.Recorded {
		run(fmt.Sprintf("%s %q recorded in the state file", r.Type, r.ID), func(ctx context.Context) error {
			p, err := o.recorded(ctx, r, vpcID, arns)
			if err != nil {
				return err
			}
			mu.Lock()
			found[r.Key] = p
			mu.Unlock()
			return nil
		})
	}
	return func() map[string]Presence {
		mu.Lock()
		defer mu.Unlock()
		return found
	}
}

// recorded reads one recorded resource with the same calls the configured ones are read with.
func (o *Observer) recorded(ctx context.Context, r Recorded, vpcID string, arns arn.Builder) (Presence, error) {
	switch r.Type {
	case TypeBucket:
		b, err := o.bucket(ctx, r.ID, arns.Bucket(r.ID))
		if b.Foreign {
			// The name is another account's now: this account's bucket of that name is gone.
			return Presence{}, err
		}
		return b.Presence, err
	case TypeSecret:
		s, err := o.secret(ctx, r.ID)
		return s.Presence, err
	case TypePolicy:
		a := r.ARN
		if a == "" {
			a = arns.Policy(r.ID)
		}
		p, err := o.policy(ctx, a)
		return p.Presence, err
	case TypeRole:
		role, err := o.role(ctx, r.ID)
		return role.Presence, err
	case TypeSubnetGroup:
		g, err := o.subnetGroup(ctx, r.ID, Cluster{})
		return g.Presence, err
	case TypeParameterGroup:
		g, err := o.parameterGroup(ctx, r.ID)
		return g.Presence, err
	case TypeSecurityGroup:
		return o.recordedSecurityGroup(ctx, r, vpcID)
	case TypeInstance:
		in, err := o.instance(ctx, r.ID)
		return in.Presence, err
	}
	return Presence{}, fmt.Errorf("no way to read a %q", r.Type)
}

// recordedSecurityGroup reads a security group by its recorded id, else by its name in the cluster's VPC.
func (o *Observer) recordedSecurityGroup(ctx context.Context, r Recorded, vpcID string) (Presence, error) {
	in := &ec2.DescribeSecurityGroupsInput{GroupIds: []string{r.ARN}}
	if r.ARN == "" {
		in = &ec2.DescribeSecurityGroupsInput{Filters: nameInVPC(r.ID, vpcID)}
	}
	out, err := o.AWS.EC2.DescribeSecurityGroups(ctx, in)
	if code := kaws.ErrorCode(err); code == "InvalidGroup.NotFound" || code == "InvalidGroupId.NotFound" {
		return Presence{}, nil
	}
	if err != nil {
		return Presence{}, fmt.Errorf("ec2:DescribeSecurityGroups: %w", err)
	}
	if len(out.SecurityGroups) == 0 {
		return Presence{}, nil
	}
	return securityGroupFrom(out.SecurityGroups, vpcID).Presence, nil
}
