package operation_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
)

// deleteCalls maps every resource key down deletes to its delete call.
var deleteCalls = map[string]createCall{
	plan.KeyBucket:         {"S3", "DeleteBucket", nil},
	plan.KeyS3Secret:       {"Secrets Manager", "DeleteSecret", func(c *config.Config) string { return c.S3.SecretName }},
	plan.KeyS3Policy:       {"IAM", "DeletePolicy", nil},
	plan.KeyBackendRole:    {"IAM", "DeleteRole", func(c *config.Config) string { return c.IAM.BackendRoleName }},
	plan.KeyProfileRole:    {"IAM", "DeleteRole", func(c *config.Config) string { return c.IAM.ProfileRoleName }},
	plan.KeySecretsRole:    {"IAM", "DeleteRole", func(c *config.Config) string { return c.IAM.SecretsRoleName }},
	plan.KeySubnetGroup:    {"RDS", "DeleteDBSubnetGroup", nil},
	plan.KeyParameterGroup: {"RDS", "DeleteDBParameterGroup", nil},
	plan.KeySecurityGroup:  {"EC2", "DeleteSecurityGroup", nil},
	plan.KeyRDSSecret:      {"Secrets Manager", "DeleteSecret", func(c *config.Config) string { return c.RDS.SecretName }},
	plan.KeyInstance:       {"RDS", "DeleteDBInstance", nil},
	plan.KeyCSIAddon:       {"EKS", "DeleteAddon", nil},
}

func (in *install) down(ctx context.Context, conf *operation.Configuration) (*operation.DownResult, error) {
	return (&operation.Down{Configuration: conf, DeleteData: true, ForceDeleteSecrets: true, SkipCluster: true,
		PollInterval: 20 * time.Millisecond}).Run(ctx)
}

// A teardown killed right after any of its delete calls took effect, before it could record it, is finished by
// the next down (the bucket is versioned, with versions and a delete marker, and goes with --delete-data): afterwards nothing in any service carries the installation's tag, the final snapshot of the
// instance exists, the state records nothing as owned, and a further down has nothing to do.
func TestDownKilledAfterEachDelete(t *testing.T) {
	static := func(c *config.Config) {
		c.S3.Credentials, c.S3.AccessKeyID, c.S3.SecretAccessKey = config.CredentialsStatic, "AKIADOWNTEST0000", "down-test-secret"
	}
	for _, key := range slices.Sorted(func(yield func(string) bool) {
		for k := range deleteCalls {
			if !yield(k) {
				return
			}
		}
	}) {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			mutate := []func(*config.Config){plainHTTP} // objects are put below
			if key == plan.KeyS3Secret {
				mutate = append(mutate, static)
			}
			in := newInstall(t, mutate...)
			ctx := context.Background()
			in.mustUp(ctx)
			in.fillVersioned(ctx)
			killCtx, kill := context.WithCancel(ctx)
			defer kill()
			conf := in.configuration()
			conf.AWS = in.killedAfter(t, deleteCalls[key], kill)
			res, err := in.down(killCtx, conf)
			if !errors.Is(err, errKilled) {
				t.Fatalf("down was not killed after %s:%s: %v", deleteCalls[key].service, deleteCalls[key].operation, err)
			}
			if r, ok := res.Plan.Resource(key); !ok || r.Action != plan.Delete {
				t.Fatalf("the teardown plan does not delete %s: %+v", key, res.Plan.Resources)
			}

			if _, err := in.down(ctx, in.configuration()); err != nil {
				t.Fatalf("resumed down: %v", err)
			}
			if left := in.taggedLeft(ctx); len(left) > 0 {
				t.Errorf("after the resumed down, still tagged with installation %q: %v", in.cfg.Name, left)
			}
			in.wantFinalSnapshot(ctx)
			for k, r := range in.configuration().State.Snapshot().Resources {
				if r.Owned && k != plan.KeyOIDCProvider { // the cluster's, kept by design
					t.Errorf("the state still records %s (%s) as owned", k, r.ID)
				}
			}
			if res, err := in.down(ctx, in.configuration()); err != nil || res.Changed {
				t.Errorf("a third down: changed %t, %v; want nothing to do", res != nil && res.Changed, err)
			}
		})
	}
}

// fillVersioned turns versioning on in the installation's bucket and leaves versions and a delete marker in it,
// as KFP's artifacts would after runs were overwritten and deleted.
func (in *install) fillVersioned(ctx context.Context) {
	in.t.Helper()
	c, b := in.clients.S3, &in.cfg.S3.Bucket
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		in.t.Fatal(err)
	}
	for _, key := range []string{"artifacts/a", "artifacts/a", "artifacts/b"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: strings.NewReader("x")}); err != nil {
			in.t.Fatal(err)
		}
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: b, Key: aws.String("artifacts/b")}); err != nil {
		in.t.Fatal(err)
	}
}

// wantFinalSnapshot fails the test unless one final snapshot of the instance exists.
func (in *install) wantFinalSnapshot(ctx context.Context) {
	in.t.Helper()
	out, err := in.clients.RDS.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: &in.cfg.RDS.InstanceName})
	if err != nil {
		in.t.Fatal(err)
	}
	var names []string
	for _, s := range out.DBSnapshots {
		names = append(names, aws.ToString(s.DBSnapshotIdentifier))
	}
	if len(names) != 1 || !strings.HasPrefix(names[0], in.cfg.RDS.InstanceName+"-final-") {
		in.t.Errorf("final snapshots of %s: %v, want one", in.cfg.RDS.InstanceName, names)
	}
}

// taggedLeft lists what, in every service kfaws creates in, still carries this installation's tag.
func (in *install) taggedLeft(ctx context.Context) []string {
	in.t.Helper()
	c, name := in.clients, in.cfg.Name
	var left []string
	ours := func(kind, id string, key, value *string) {
		if aws.ToString(key) == ownership.TagInstallation && aws.ToString(value) == name {
			left = append(left, kind+" "+id)
		}
	}
	must := func(err error) {
		if err != nil {
			in.t.Fatal(err)
		}
	}
	buckets, err := c.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
	must(err)
	for _, b := range buckets.Buckets {
		tags, err := c.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b.Name})
		if err != nil {
			continue // no tags
		}
		for _, tg := range tags.TagSet {
			ours("bucket", aws.ToString(b.Name), tg.Key, tg.Value)
		}
	}
	roles, err := c.IAM.ListRoles(ctx, &iam.ListRolesInput{})
	must(err)
	// Other tests of this binary create and delete their own roles and policies meanwhile: one gone between the
	// listing and the read of its tags is not this installation's.
	var gone *iamtypes.NoSuchEntityException
	for _, r := range roles.Roles {
		tags, err := c.IAM.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: r.RoleName})
		if errors.As(err, &gone) {
			continue
		}
		must(err)
		for _, tg := range tags.Tags {
			ours("role", aws.ToString(r.RoleName), tg.Key, tg.Value)
		}
	}
	pols, err := c.IAM.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	must(err)
	for _, p := range pols.Policies {
		tags, err := c.IAM.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: p.Arn})
		if errors.As(err, &gone) {
			continue
		}
		must(err)
		for _, tg := range tags.Tags {
			ours("policy", aws.ToString(p.PolicyName), tg.Key, tg.Value)
		}
	}
	var arns []string
	insts, err := c.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	must(err)
	for _, i := range insts.DBInstances {
		arns = append(arns, aws.ToString(i.DBInstanceArn))
	}
	sngs, err := c.RDS.DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{})
	must(err)
	for _, g := range sngs.DBSubnetGroups {
		arns = append(arns, aws.ToString(g.DBSubnetGroupArn))
	}
	pgs, err := c.RDS.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{})
	must(err)
	for _, g := range pgs.DBParameterGroups {
		arns = append(arns, aws.ToString(g.DBParameterGroupArn))
	}
	for _, a := range arns {
		tags, err := c.RDS.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: &a})
		must(err)
		for _, tg := range tags.TagList {
			ours("rds", a, tg.Key, tg.Value)
		}
	}
	sgs, err := c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + ownership.TagInstallation), Values: []string{name}}}})
	must(err)
	for _, g := range sgs.SecurityGroups {
		left = append(left, "security group "+aws.ToString(g.GroupId))
	}
	secs, err := c.SecretsManager.ListSecrets(ctx, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)})
	must(err)
	for _, s := range secs.SecretList {
		for _, tg := range s.Tags {
			ours("secret", aws.ToString(s.Name), tg.Key, tg.Value)
		}
	}
	addons, err := c.EKS.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: &in.cfg.Cluster})
	must(err)
	for _, a := range addons.Addons {
		d, err := c.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: &in.cfg.Cluster, AddonName: &a})
		must(err)
		if d.Addon.Tags[ownership.TagInstallation] == name {
			left = append(left, fmt.Sprintf("EKS add-on %s", a))
		}
	}
	return left
}

// What down keeps: a bucket and a DB instance the user made and kfaws reused stay, the bucket with the user's
// objects, although --delete-data and no final snapshot were asked for; what kfaws created around them goes.
func TestDownKeepsWhatItReused(t *testing.T) {
	const pw = "Their-Own-Pw-1"
	in := newInstall(t, func(c *config.Config) { c.RDS.MasterPassword = pw })
	ctx := context.Background()
	if _, err := in.clients.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &in.cfg.S3.Bucket,
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(in.cfg.Region)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.clients.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &in.cfg.S3.Bucket, Key: aws.String("theirs"),
		Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	awsCfg, err := in.stack.AWSConfig(ctx, in.cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	in.createInstance(ctx, t, rds.NewFromConfig(awsCfg, func(o *rds.Options) { o.BaseEndpoint = aws.String(in.stack.MotoURL) }), pw)
	// moto's made-up endpoint cannot be logged in to; the password test has its own tests.
	if _, err := (&operation.Up{Configuration: in.configuration(), SkipPasswordCheck: true,
		PollInterval: 20 * time.Millisecond}).Run(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	res, err := (&operation.Down{Configuration: in.configuration(), DeleteData: true, SkipFinalSnapshot: true,
		ForceDeleteSecrets: true, SkipCluster: true, PollInterval: 20 * time.Millisecond}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{plan.KeyBucket, plan.KeyInstance} {
		if r, _ := res.Plan.Resource(key); r.Action != plan.Keep || r.Owned {
			t.Errorf("the user's %s: %+v, want kept and not owned", key, r)
		}
	}
	if r, _ := res.Plan.Resource(plan.KeyRDSSecret); r.Action != plan.Delete {
		t.Errorf("the secret kfaws created for the user's instance: %+v, want deleted", r)
	}
	if _, err := in.clients.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &in.cfg.S3.Bucket, Key: aws.String("theirs")}); err != nil {
		t.Errorf("down --delete-data touched the user's bucket: %v", err)
	}
	if _, err := in.clients.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &in.cfg.RDS.InstanceName}); err != nil {
		t.Errorf("the user's instance is gone: %v", err)
	}
	if left := in.taggedLeft(ctx); len(left) > 0 {
		t.Errorf("still tagged with installation %q: %v", in.cfg.Name, left)
	}
}
