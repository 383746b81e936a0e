package verify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kfaws/kfaws/internal/arn"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/verify"
	"github.com/kfaws/kfaws/localstack"
)

// The IRSA check evaluates the S3 policy kfaws writes against the bucket's ARN in the account's partition: in
// GovCloud and China it passes, whether the partition is given or taken from the role, and a policy written for
// another partition fails it.
func TestIRSACheckInGovCloudAndChina(t *testing.T) {
	s := localstack.Shared(t)
	for _, c := range []struct{ region, partition string }{{"us-gov-west-1", "aws-us-gov"}, {"cn-north-1", "aws-cn"}} {
		t.Run(c.partition, func(t *testing.T) {
			ctx := context.Background()
			cfg, err := s.AWSConfig(ctx, c.region)
			if err != nil {
				t.Fatal(err)
			}
			id := fmt.Sprintf("v%d", time.Now().UnixNano()%1e9)
			in := verify.S3Input{S3: s3.NewFromConfig(cfg), Bucket: id + "-artifacts", IAM: iam.NewFromConfig(cfg), RoleName: id + "-backend"}
			if _, err := in.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &in.Bucket, CreateBucketConfiguration: &s3types.CreateBucketConfiguration{
				LocationConstraint: s3types.BucketLocationConstraint(c.region)}}); err != nil {
				t.Fatal(err)
			}
			arns := arn.Builder{Partition: c.partition, Account: "123456789012", Region: c.region}
			irsa := identity.IRSA{Issuer: "https://oidc.eks." + c.region + ".amazonaws.com/id/X",
				ProviderARN: arns.OIDCProvider("oidc.eks." + c.region + ".amazonaws.com/id/X")}
			trust := irsa.TrustPolicy(identity.ServiceAccount{Namespace: plan.KubeflowNamespace, Name: plan.BackendServiceAccount})
			role, err := in.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &in.RoleName, AssumeRolePolicyDocument: &trust})
			if err != nil {
				t.Fatal(err)
			}
			if got := arn.PartitionOf(aws.ToString(role.Role.Arn)); got != c.partition {
				t.Fatalf("the stack gave role ARN %q, not in %s", aws.ToString(role.Role.Arn), c.partition)
			}
			attach := func(name, doc string) {
				t.Helper()
				pol, err := in.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(id + name), PolicyDocument: &doc})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := in.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: &in.RoleName, PolicyArn: pol.Policy.Arn}); err != nil {
					t.Fatal(err)
				}
			}
			check := func(partition string) verify.Check {
				t.Helper()
				in := in
				in.Partition = partition
				r := &verify.Report{}
				verify.CheckS3(ctx, r, in)
				for _, ch := range r.Checks {
					if ch.Name == "IRSA role permissions" {
						return ch
					}
				}
				t.Fatalf("no IRSA check in %+v", r.Checks)
				return verify.Check{}
			}

			attach("-wrong", plan.S3Policy("aws", in.Bucket))
			if ch := check(c.partition); ch.Status != verify.Fail {
				t.Errorf("a policy naming arn:aws: buckets passed in %s: %s", c.partition, ch.Detail)
			}
			attach("-s3", plan.S3Policy(c.partition, in.Bucket))
			for _, partition := range []string{c.partition, ""} {
				if ch := check(partition); ch.Status != verify.OK {
					t.Errorf("partition %q: %s: %s", partition, ch.Status, ch.Detail)
				}
			}
		})
	}
}
