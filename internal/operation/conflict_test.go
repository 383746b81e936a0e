package operation_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
)

// Each case creates one resource the way someone else would, then expects plan to call that resource a conflict
// and up to refuse before changing anything.
func TestConflicts(t *testing.T) {
	cases := []struct {
		name  string
		key   string
		setup func(ctx context.Context, t *testing.T, in *install)
	}{
		{"secret without instance (reference rule 1)", plan.KeyRDSSecret, func(ctx context.Context, t *testing.T, in *install) {
			must(t)(in.clients.SecretsManager.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
				Name: &in.cfg.RDS.SecretName, SecretString: aws.String(`{"username":"someone","password":"x"}`)}))
		}},
		{"instance without secret (reference rule 2)", plan.KeyInstance, func(ctx context.Context, t *testing.T, in *install) {
			must(t)(in.clients.RDS.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
				DBInstanceIdentifier: &in.cfg.RDS.InstanceName, DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("mysql"),
				MasterUsername: aws.String(in.cfg.RDS.MasterUsername), MasterUserPassword: aws.String("a-password-1"), AllocatedStorage: aws.Int32(20)}))
		}},
		{"instance of another installation", plan.KeyInstance, func(ctx context.Context, t *testing.T, in *install) {
			must(t)(in.clients.RDS.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
				DBInstanceIdentifier: &in.cfg.RDS.InstanceName, DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("mysql"),
				MasterUsername: aws.String(in.cfg.RDS.MasterUsername), MasterUserPassword: aws.String("a-password-1"), AllocatedStorage: aws.Int32(20),
				Tags: []rdstypes.Tag{{Key: aws.String(ownership.TagInstallation), Value: aws.String("someone-else")}}}))
			must(t)(in.clients.SecretsManager.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
				Name: &in.cfg.RDS.SecretName, SecretString: aws.String(`{}`),
				Tags: []smtypes.Tag{{Key: aws.String(ownership.TagInstallation), Value: aws.String("someone-else")}}}))
		}},
		{"bucket of another installation", plan.KeyBucket, func(ctx context.Context, t *testing.T, in *install) {
			in.createBucket(ctx, t, in.cfg.Region)
			must(t)(in.clients.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &in.cfg.S3.Bucket, Tagging: &s3types.Tagging{
				TagSet: []s3types.Tag{{Key: aws.String(ownership.TagInstallation), Value: aws.String("someone-else")}}}}))
		}},
		{"bucket of another account", plan.KeyBucket, func(ctx context.Context, t *testing.T, in *install) {
			in.otherAccountS3(ctx, t).createBucket(ctx, t, in.cfg.S3.Bucket, in.cfg.Region)
		}},
		{"bucket in another region", plan.KeyBucket, func(ctx context.Context, t *testing.T, in *install) {
			in.createBucket(ctx, t, "eu-west-1")
		}},
		{"subnet group in another VPC", plan.KeySubnetGroup, func(ctx context.Context, t *testing.T, in *install) {
			other, err := in.stack.SeedCluster(ctx, in.cluster.Name+"-other", in.cfg.Region)
			if err != nil {
				t.Fatal(err)
			}
			must(t)(in.clients.RDS.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{
				DBSubnetGroupName: &in.cfg.RDS.SubnetGroupName, DBSubnetGroupDescription: aws.String("other"), SubnetIds: other.PrivateSubnetIDs}))
		}},
		{"parameter group without mysql_native_password", plan.KeyParameterGroup, func(ctx context.Context, t *testing.T, in *install) {
			must(t)(in.clients.RDS.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
				DBParameterGroupName: &in.cfg.RDS.ParameterGroupName, DBParameterGroupFamily: aws.String("mysql8.4"), Description: aws.String("theirs")}))
		}},
		{"security group of the same name", plan.KeySecurityGroup, func(ctx context.Context, t *testing.T, in *install) {
			must(t)(in.clients.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
				GroupName: &in.cfg.RDS.SecurityGroupName, Description: aws.String("theirs"), VpcId: &in.cluster.VPCID}))
		}},
		{"IAM role of the same name", plan.KeyBackendRole, func(ctx context.Context, t *testing.T, in *install) {
			must(t)(in.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{
				RoleName: &in.cfg.IAM.BackendRoleName, AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := newInstall(t)
			ctx := context.Background()
			tc.setup(ctx, t, in)

			p := in.plan(ctx)
			r, ok := p.Resource(tc.key)
			if !ok || r.Action != plan.Conflict || r.Detail == "" {
				t.Fatalf("%s: got %+v, want a conflict with a reason", tc.key, r)
			}
			_, _, err := in.up(ctx, nil)
			var ce *operation.ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("up: got %v, want a ConflictError", err)
			}
			if _, err := os.Stat(in.cfg.StatePath()); err == nil {
				t.Error("a refused up wrote a state file")
			}
			if tc.key != plan.KeyBucket {
				if _, err := in.clients.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &in.cfg.S3.Bucket}); err == nil {
					t.Error("a refused up created the bucket")
				}
			}
			if tc.key != plan.KeyRDSSecret && tc.key != plan.KeyInstance {
				if _, err := in.clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &in.cfg.RDS.SecretName}); err == nil {
					t.Error("a refused up created the RDS secret")
				}
			}
		})
	}
}

func (in *install) createBucket(ctx context.Context, t *testing.T, region string) {
	t.Helper()
	cfg, err := in.stack.AWSConfig(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	s3Client{kaws.NewClients(cfg).S3}.createBucket(ctx, t, in.cfg.S3.Bucket, region)
}

type s3Client struct{ *s3.Client }

func (c s3Client) createBucket(ctx context.Context, t *testing.T, name, region string) {
	t.Helper()
	in := &s3.CreateBucketInput{Bucket: &name}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	must(t)(c.CreateBucket(ctx, in))
}

// otherAccountS3 is an S3 client of another AWS account: moto maps the credentials of a role assumed in an
// account to that account.
func (in *install) otherAccountS3(ctx context.Context, t *testing.T) s3Client {
	t.Helper()
	out, err := in.clients.STS.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::210987654321:role/other"), RoleSessionName: aws.String("other"),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := in.stack.AWSConfig(ctx, in.cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return s3Client{kaws.NewClients(cfg).S3}
}

// must fails the test when the setup call it wraps fails: must(t)(client.Call(...)).
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
}
