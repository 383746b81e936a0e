package operation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// A run killed at several points, then run again, ends in the same state as an uninterrupted run: every resource
// present once, owned, and the secret's password the one the database accepts.
func TestUpKilledAndResumed(t *testing.T) {
	points := []string{
		"done " + plan.KeyRDSSecret + ":create",
		"done " + plan.KeyBucket + ":create",
		"done " + plan.KeyInstance + ":create",
		"progress " + plan.KeyInstance + ":wait",
		"start " + plan.KeyRDSSecret + ":endpoint",
	}
	for _, point := range points {
		t.Run(point, func(t *testing.T) {
			in := newInstall(t)
			in.stack.SetRDSDelay(1500 * time.Millisecond)
			ctx, kill := context.WithCancel(context.Background())
			_, rec, err := in.up(ctx, func(event, step string) {
				if strings.HasPrefix(event+" "+step, point) {
					kill()
				}
			})
			kill()
			if err == nil && !rec.has("start "+plan.KeyRDSSecret+":endpoint") {
				t.Fatalf("the run was not interrupted at %q:\n%s", point, rec)
			}
			if !rec.has(point) {
				t.Fatalf("the run never reached %q:\n%s", point, rec)
			}

			res := in.mustUp(context.Background())
			if !res.Changed && point != "start "+plan.KeyRDSSecret+":endpoint" {
				t.Errorf("the resumed run found nothing to do after a kill at %q", point)
			}
			after := in.plan(context.Background())
			for key, a := range actions(after) {
				if a != plan.Exists {
					t.Errorf("after resume: %s is %s, want exists", key, a)
				}
			}
			in.connect(context.Background())
			in.assertSingle(t)
		})
	}
}

// assertSingle checks that the resources kfaws names exist exactly once.
func (in *install) assertSingle(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	sgs, err := in.clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{in.cfg.RDS.SecurityGroupName}},
		{Name: aws.String("vpc-id"), Values: []string{in.cluster.VPCID}},
	}})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Errorf("security groups named %q: %d, %v", in.cfg.RDS.SecurityGroupName, len(sgs.SecurityGroups), err)
	}
	dbs, err := in.clients.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, db := range dbs.DBInstances {
		if aws.ToString(db.DBInstanceIdentifier) == in.cfg.RDS.InstanceName {
			n++
		}
	}
	if n != 1 {
		t.Errorf("DB instances named %q: %d", in.cfg.RDS.InstanceName, n)
	}
}

// A step that fails leaves the resource half-made (here: a bucket created but never tagged); the state file
// remembers it is kfaws's, so the next run finishes it instead of treating it as someone else's.
func TestUpFailedStepResumes(t *testing.T) {
	in := newInstall(t)
	if err := in.stack.InjectFault("s3:PutBucketTagging", proxy.Fault500, 100, 0); err != nil {
		t.Fatal(err)
	}
	_, rec, err := in.up(context.Background(), nil)
	if err == nil {
		t.Fatalf("up succeeded although every PutBucketTagging failed:\n%s", rec)
	}
	if !rec.has("done "+plan.KeyInstance+":create") || !rec.has("failed "+plan.KeyBucket+":create") {
		t.Errorf("one failed step should not stop independent ones:\n%s", rec)
	}
	in.stack.ClearFaults()

	p := in.plan(context.Background())
	if r, _ := p.Resource(plan.KeyBucket); r.Action != plan.Update || !r.Owned {
		t.Fatalf("half-made bucket: got %+v, want an owned update", r)
	}
	in.mustUp(context.Background())
	if p := in.plan(context.Background()); p.HasChanges() {
		t.Errorf("after the resumed run the plan still has steps: %+v", p.Steps)
	}
}

// Throttling and server errors on every service kfaws calls are retried; the run still succeeds.
func TestUpUnderThrottlingAndServerErrors(t *testing.T) {
	in := newInstall(t)
	faults := []struct {
		op    string
		kind  proxy.FaultKind
		count int
	}{
		{"sts:GetCallerIdentity", proxy.FaultThrottle, 2},
		{"eks:DescribeCluster", proxy.FaultThrottle, 2},
		{"ec2:DescribeRouteTables", proxy.Fault503, 2},
		{"ec2:CreateSecurityGroup", proxy.FaultThrottle, 2},
		{"s3:CreateBucket", proxy.Fault503, 2},
		{"s3:PutBucketEncryption", proxy.FaultThrottle, 2},
		{"iam:CreateRole", proxy.FaultThrottle, 3},
		{"secretsmanager:CreateSecret", proxy.Fault500, 2},
		{"secretsmanager:GetRandomPassword", proxy.FaultThrottle, 1},
		{"rds:CreateDBInstance", proxy.FaultThrottle, 2},
		{"rds:DescribeDBInstances", proxy.Fault503, 2},
		{"rds:CreateDBSubnetGroup", proxy.FaultLatency, 1},
	}
	for _, f := range faults {
		if err := in.stack.InjectFault(f.op, f.kind, f.count, 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	in.mustUp(context.Background())
	if left := in.stack.Faults(); len(left) > 0 {
		t.Errorf("faults never triggered (the run did not make these calls): %+v", left)
	}
	in.connect(context.Background())
	if p := in.plan(context.Background()); p.HasChanges() {
		t.Errorf("plan after a faulty run has steps: %+v", p.Steps)
	}
}

// The wait for the DB instance stops at its bound with the instance still being created in AWS, says how to
// resume, and the next up takes the wait up again and finishes.
func TestUpStopsWaitingAtTheRDSTimeout(t *testing.T) {
	in := newInstall(t)
	in.stack.SetRDSDelay(2 * time.Second)
	t.Cleanup(func() { in.stack.SetRDSDelay(0) })
	rec := &recorder{}
	_, err := (&operation.Up{Configuration: in.configuration(), Reporter: rec, PollInterval: 20 * time.Millisecond,
		InstanceTimeout: 100 * time.Millisecond}).Run(context.Background())
	if err == nil || operation.Classify(err) != operation.Failed || !strings.Contains(err.Error(), "run kfaws up again to resume") {
		t.Fatalf("up with a wait bound shorter than the instance's creation: %v, want a failure that says how to resume\n%s", err, rec)
	}
	if !rec.has("progress " + plan.KeyInstance + ":wait") {
		t.Errorf("the wait reported no status:\n%s", rec)
	}
	res := in.mustUp(context.Background())
	if r, _ := res.Plan.Resource(plan.KeyInstance); r.Action != plan.Exists {
		t.Errorf("the resumed up's instance: %+v, want exists", r)
	}
	in.connect(context.Background())
}
