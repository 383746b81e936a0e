package operation_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// usersResources are resources someone made by hand, untagged, with names of their own.
type usersResources struct {
	bucket, role, policy, policyARN, params, sg, sgID string
}

const usersTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func (in *install) makeUsersResources(ctx context.Context, t *testing.T) usersResources {
	t.Helper()
	id := strings.TrimPrefix(in.cfg.Name, "i")
	u := usersResources{bucket: "users-b-" + id, role: "users-role-" + id, policy: "users-policy-" + id, params: "users-params-" + id, sg: "users-sg-" + id}
	in.createNamedBucket(ctx, t, u.bucket)
	must(t)(in.clients.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &u.bucket, Tagging: &s3types.Tagging{
		TagSet: []s3types.Tag{{Key: aws.String("owner"), Value: aws.String("data-team")}, {Key: aws.String("cost-center"), Value: aws.String("42")}}}}))
	must(t)(in.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &u.role, AssumeRolePolicyDocument: aws.String(usersTrust)}))
	pol, err := in.clients.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: &u.policy,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::elsewhere/*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	u.policyARN = aws.ToString(pol.Policy.Arn)
	must(t)(in.clients.RDS.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: &u.params,
		DBParameterGroupFamily: aws.String("mysql8.4"), Description: aws.String("theirs")}))
	must(t)(in.clients.RDS.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: &u.params,
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String("authentication_policy"), ParameterValue: aws.String("*:mysql_native_password"),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot}, {ParameterName: aws.String("character_set_server"), ParameterValue: aws.String("utf8mb4"),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot}, {ParameterName: aws.String("require_secure_transport"), ParameterValue: aws.String("0"),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot}, {ParameterName: aws.String("max_connections"), ParameterValue: aws.String("77"),
			ApplyMethod: rdstypes.ApplyMethodPendingReboot}}}))
	sg, err := in.clients.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: &u.sg, Description: aws.String("theirs"), VpcId: &in.cluster.VPCID})
	if err != nil {
		t.Fatal(err)
	}
	u.sgID = aws.ToString(sg.GroupId)
	must(t)(in.clients.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: &u.sgID,
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(5432), ToPort: aws.Int32(5432),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("192.168.0.0/16")}}}}}))
	return u
}

func (in *install) createNamedBucket(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	s3Client{in.clients.S3}.createBucket(ctx, t, name, in.cfg.Region)
}

// snapshot is everything about the user's resources that kfaws must not change.
func (u usersResources) snapshot(ctx context.Context, t *testing.T, in *install) map[string]any {
	t.Helper()
	m := map[string]any{}
	tags, err := in.clients.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &u.bucket})
	if err != nil {
		t.Fatal(err)
	}
	var tagList []string
	for _, tg := range tags.TagSet {
		tagList = append(tagList, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	slices.Sort(tagList)
	m["bucket tags"] = tagList
	_, err = in.clients.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &u.bucket})
	m["bucket public access block set"] = err == nil
	role, err := in.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &u.role})
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	m["role trust"] = strings.Join(strings.Fields(trust), "")
	m["role tags"] = len(role.Role.Tags)
	att, err := in.clients.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &u.role})
	if err != nil {
		t.Fatal(err)
	}
	m["role attached policies"] = len(att.AttachedPolicies)
	pol, err := in.clients.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &u.policyARN})
	if err != nil {
		t.Fatal(err)
	}
	m["policy version"] = aws.ToString(pol.Policy.DefaultVersionId)
	m["policy tags"] = len(pol.Policy.Tags)
	params, err := in.clients.RDS.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: &u.params, Source: aws.String("user")})
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, p := range params.Parameters {
		ps = append(ps, aws.ToString(p.ParameterName)+"="+aws.ToString(p.ParameterValue))
	}
	slices.Sort(ps)
	m["parameters"] = ps
	ptags, err := in.clients.RDS.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(
		"arn:aws:rds:" + in.cfg.Region + ":123456789012:pg:" + u.params)})
	if err == nil {
		m["parameter group tags"] = len(ptags.TagList)
	}
	sgs, err := in.clients.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{u.sgID}})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("security group: %v", err)
	}
	var rules []string
	for _, p := range sgs.SecurityGroups[0].IpPermissions {
		for _, r := range p.IpRanges {
			rules = append(rules, aws.ToString(p.IpProtocol)+":"+aws.ToString(r.CidrIp))
		}
		for _, g := range p.UserIdGroupPairs {
			rules = append(rules, aws.ToString(p.IpProtocol)+":"+aws.ToString(g.GroupId))
		}
	}
	slices.Sort(rules)
	m["security group ingress"] = rules
	m["security group tags"] = len(sgs.SecurityGroups[0].Tags)
	return m
}

// The rename scenario. After a complete install the configuration names hand-made, untagged resources:
// another bucket, IAM role, policy, parameter group and security group. None of them becomes kfaws's: plan calls
// the bucket reused as it is and the rest conflicts (the groups because kfaws's instance keeps its own), shows
// what kfaws created under the old names as kept, and up changes nothing of the user's and records none of it
// as kfaws's.
func TestRenameToUsersResources(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	in.mustUp(ctx)
	installed := clone(in.cfg)
	u := in.makeUsersResources(ctx, t)
	before := u.snapshot(ctx, t, in)
	stateBefore := mustState(t, in).Resources

	in.cfg.S3.Bucket, in.cfg.IAM.BackendRoleName, in.cfg.IAM.S3PolicyName = u.bucket, u.role, u.policy
	in.cfg.RDS.ParameterGroupName, in.cfg.RDS.SecurityGroupName = u.params, u.sg
	p := in.plan(ctx)
	want := map[string]plan.Action{
		plan.KeyBucket: plan.Exists, plan.KeyBackendRole: plan.Conflict, plan.KeyS3Policy: plan.Conflict,
		plan.KeyParameterGroup: plan.Conflict, plan.KeySecurityGroup: plan.Conflict,
		plan.OrphanKey(plan.KeyBucket, installed.S3.Bucket):                plan.Orphan,
		plan.OrphanKey(plan.KeyBackendRole, installed.IAM.BackendRoleName): plan.Orphan,
		plan.OrphanKey(plan.KeyS3Policy, installed.IAM.S3PolicyName):       plan.Orphan,
	}
	for key, a := range want {
		r, ok := p.Resource(key)
		if !ok || r.Action != a {
			t.Errorf("plan: %s is %+v, want %s", key, r, a)
		}
		if a == plan.Orphan && !strings.Contains(r.Detail, "kept; kfaws down removes it") {
			t.Errorf("plan: %s says %q", key, r.Detail)
		}
	}
	// The groups the instance uses stay: renaming them is refused, naming the group to go back to, and they are
	// not called orphaned.
	for key, name := range map[string]string{plan.KeyParameterGroup: installed.RDS.ParameterGroupName, plan.KeySecurityGroup: installed.RDS.SecurityGroupName} {
		if r, _ := p.Resource(key); !strings.Contains(r.Detail, "does not move an instance") || r.Name != name {
			t.Errorf("plan: %s is %+v", key, r)
		}
		if r, ok := p.Resource(plan.OrphanKey(key, name)); ok {
			t.Errorf("plan: the group in use is %+v", r)
		}
	}
	if r, _ := p.Resource(plan.KeyBucket); r.Owned || !strings.Contains(r.Detail, "not created by kfaws") {
		t.Errorf("the user's bucket: %+v", r)
	}

	_, _, err := in.up(ctx, nil)
	var ce *operation.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("up: %v, want the conflicts", err)
	}
	if after := u.snapshot(ctx, t, in); !reflect.DeepEqual(before, after) {
		t.Errorf("the user's resources changed:\nbefore %v\nafter  %v", before, after)
	}
	if got := mustState(t, in).Resources; !reflect.DeepEqual(got, stateBefore) {
		t.Errorf("a refused up changed the state:\n%v\n%v", stateBefore, got)
	}

	// Only the bucket renamed: up runs. The user's bucket is used as it is, kfaws's policy follows it, and the
	// bucket kfaws created stays recorded as kfaws's under its own name.
	in.cfg = clone(installed)
	in.cfg.S3.Bucket = u.bucket
	in.mustUp(ctx)
	if after := u.snapshot(ctx, t, in); !reflect.DeepEqual(before, after) {
		t.Errorf("up changed the user's bucket (or more):\nbefore %v\nafter  %v", before, after)
	}
	if doc := in.policyDocument(ctx, t, installed.IAM.S3PolicyName); !strings.Contains(doc, "arn:aws:s3:::"+u.bucket+"/*") || strings.Contains(doc, "arn:aws:s3:::"+installed.S3.Bucket) {
		t.Errorf("kfaws's policy does not follow the bucket: %s", doc)
	}
	st := mustState(t, in).Resources
	if r := st[plan.KeyBucket]; r.ID != u.bucket || r.Owned {
		t.Errorf("state: the user's bucket recorded as %+v", r)
	}
	if r := st[plan.OrphanKey(plan.KeyBucket, installed.S3.Bucket)]; r.ID != installed.S3.Bucket || !r.Owned {
		t.Errorf("state: kfaws's old bucket recorded as %+v", r)
	}
	after := in.plan(ctx)
	if after.HasChanges() {
		t.Errorf("plan after up has steps: %+v", after.Steps)
	}
	if r, ok := after.Resource(plan.OrphanKey(plan.KeyBucket, installed.S3.Bucket)); !ok || r.Action != plan.Orphan {
		t.Errorf("plan after up forgot the old bucket: %+v", after.Resources)
	}
}

// Changing the bucket to a new name creates it, keeps the old one, and moves kfaws's policy to the new one; the
// second up has nothing to do.
func TestRenamedBucketMovesThePolicy(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	in.mustUp(ctx)
	old := in.cfg.S3.Bucket
	in.cfg.S3.Bucket = old + "-2"

	p := in.plan(ctx)
	if a := actions(p); a[plan.KeyBucket] != plan.Create || a[plan.KeyS3Policy] != plan.Update || a[plan.OrphanKey(plan.KeyBucket, old)] != plan.Orphan {
		t.Fatalf("plan: %v", a)
	}
	in.mustUp(ctx)
	doc := in.policyDocument(ctx, t, in.cfg.IAM.S3PolicyName)
	if !strings.Contains(doc, "arn:aws:s3:::"+in.cfg.S3.Bucket+"/*") || strings.Contains(doc, `arn:aws:s3:::`+old+`"`) {
		t.Errorf("policy after the rename: %s", doc)
	}
	if o := mustState(t, in).Outputs; o.Bucket != in.cfg.S3.Bucket {
		t.Errorf("state outputs name bucket %q", o.Bucket)
	}
	if again := in.mustUp(ctx); again.Changed {
		t.Errorf("second up after the rename changed: %+v", again.Plan.Steps)
	}
}

func (in *install) policyDocument(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	arn := "arn:aws:iam::123456789012:policy/" + name
	pol, err := in.clients.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	v, err := in.clients.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: &arn, VersionId: pol.Policy.DefaultVersionId})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
	return doc
}

func mustState(t *testing.T, in *install) state.State {
	t.Helper()
	st, err := state.Open(in.cfg.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	return st.Snapshot()
}

// clone copies a configuration whose pointer fields the test does not change.
func clone(c *config.Config) *config.Config {
	cp := *c
	return &cp
}
