package operation_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
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
		{"subnet group of another installation", plan.KeySubnetGroup, func(ctx context.Context, t *testing.T, in *install) {
			must(t)(in.clients.RDS.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{
				DBSubnetGroupName: &in.cfg.RDS.SubnetGroupName, DBSubnetGroupDescription: aws.String("other"), SubnetIds: in.cluster.PrivateSubnetIDs,
				Tags: []rdstypes.Tag{{Key: aws.String(ownership.TagInstallation), Value: aws.String("someone-else")}}}))
		}},
		{"parameter group of another installation", plan.KeyParameterGroup, func(ctx context.Context, t *testing.T, in *install) {
			must(t)(in.clients.RDS.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
				DBParameterGroupName: &in.cfg.RDS.ParameterGroupName, DBParameterGroupFamily: aws.String("mysql8.4"), Description: aws.String("other"),
				Tags: []rdstypes.Tag{{Key: aws.String(ownership.TagInstallation), Value: aws.String("someone-else")}}}))
		}},
		{"security group of another installation", plan.KeySecurityGroup, func(ctx context.Context, t *testing.T, in *install) {
			must(t)(in.clients.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
				GroupName: &in.cfg.RDS.SecurityGroupName, Description: aws.String("other"), VpcId: &in.cluster.VPCID,
				TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
					Tags: []ec2types.Tag{{Key: aws.String(ownership.TagInstallation), Value: aws.String("someone-else")}}}}}))
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
			if strings.Contains(tc.name, "another installation") &&
				(r.Owner != "someone-else" || !strings.Contains(r.Detail, `kfaws installation "someone-else"`)) {
				t.Errorf("%s: the conflict does not name the owning installation: %+v", tc.key, r)
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

// A subnet group someone made with a public subnet among private ones is used, with a warning that names the
// public subnet, as kfaws's own rule for its groups would.
func TestGivenSubnetGroupWithAPublicSubnet(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	subnets := append([]string{in.cluster.PublicSubnetIDs[0]}, in.cluster.PrivateSubnetIDs...)
	must(t)(in.clients.RDS.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{
		DBSubnetGroupName: &in.cfg.RDS.SubnetGroupName, DBSubnetGroupDescription: aws.String("theirs"), SubnetIds: subnets}))
	p := in.plan(ctx)
	if r, _ := p.Resource(plan.KeySubnetGroup); r.Action != plan.Exists || r.Owned {
		t.Errorf("subnet group: %+v", r)
	}
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "public subnets ("+in.cluster.PublicSubnetIDs[0]) {
		t.Errorf("warnings do not name the public subnet %s:\n%s", in.cluster.PublicSubnetIDs[0], w)
	}
}

// An instance kfaws did not create is used with its own groups: kfaws creates none of the groups it will never
// use, and a parameter group without mysql_native_password is a warning that says how to fix it.
func TestUsersInstanceGetsNoGroups(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	theirs := "their-params-" + in.cfg.Name
	must(t)(in.clients.RDS.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName: &theirs, DBParameterGroupFamily: aws.String("mysql8.4"), Description: aws.String("theirs")}))
	must(t)(in.clients.RDS.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: &in.cfg.RDS.InstanceName, DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("mysql"),
		EngineVersion: aws.String("8.4.6"), MasterUsername: aws.String(in.cfg.RDS.MasterUsername), MasterUserPassword: aws.String("a-password-1"),
		AllocatedStorage: aws.Int32(20), DBParameterGroupName: &theirs}))
	must(t)(in.clients.SecretsManager.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: &in.cfg.RDS.SecretName, SecretString: aws.String(`{"username":"x","password":"a-password-1"}`)}))

	p := in.plan(ctx)
	if r, _ := p.Resource(plan.KeyParameterGroup); r.Name != theirs || r.Action != plan.Exists || r.Owned {
		t.Errorf("parameter group: %+v", r)
	}
	if w := strings.Join(p.Warnings, "\n"); !strings.Contains(w, "without authentication_policy=*:mysql_native_password") ||
		!strings.Contains(w, "aws rds modify-db-parameter-group --db-parameter-group-name "+theirs) {
		t.Errorf("warnings lack the fix:\n%s", w)
	}
	in.mustUp(ctx)
	if out, err := in.clients.RDS.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: &in.cfg.RDS.ParameterGroupName}); err == nil && len(out.DBParameterGroups) > 0 {
		t.Errorf("up created parameter group %q, which the user's instance never uses", in.cfg.RDS.ParameterGroupName)
	}
	if out, err := in.clients.RDS.DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: &in.cfg.RDS.SubnetGroupName}); err == nil && len(out.DBSubnetGroups) > 0 {
		t.Errorf("up created subnet group %q, which the user's instance never uses", in.cfg.RDS.SubnetGroupName)
	}
	if out, err := in.clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{in.cfg.RDS.SecurityGroupName}}}}); err != nil || len(out.SecurityGroups) > 0 {
		t.Errorf("up created security group %q, which the user's instance never uses (%v)", in.cfg.RDS.SecurityGroupName, err)
	}
}
