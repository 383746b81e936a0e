package operation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// awslabsKeys are what the IRSA setup creates and kfaws adopt records.
var awslabsKeys = []string{plan.KeyBucket, plan.KeyS3Policy, plan.KeyBackendRole, plan.KeyProfileRole, plan.KeySubnetGroup,
	plan.KeyRDSSecret, plan.KeyInstance}

// awslabsSetup creates in the local AWS what auto-rds-s3-setup.py creates in IRSA mode, as it creates it (no kfaws
// tags, the script's secret shape, the instance in the cluster's security group on RDS's default parameter
// group), under the names of cfg, with master password pw.
func (in *install) awslabsSetup(ctx context.Context, t *testing.T, pw string) {
	t.Helper()
	c, cl := in.cfg, in.cluster
	ok := must(t)
	ok(in.clients.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &c.S3.Bucket, ACL: s3types.BucketCannedACLPrivate,
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(c.Region)}}))
	ok(in.clients.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &c.S3.Bucket,
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true),
			BlockPublicPolicy: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}}))
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}`,
		c.S3.Bucket, c.S3.Bucket)
	pol, err := in.clients.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: &c.IAM.S3PolicyName, PolicyDocument: &doc})
	if err != nil {
		t.Fatal(err)
	}
	issuer := strings.TrimPrefix(cl.OIDCIssuer, "https://")
	for role, sa := range map[string]string{c.IAM.BackendRoleName: "kubeflow:ml-pipeline", c.IAM.ProfileRoleName: "kubeflow-user-example-com:default-editor"} {
		trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/%s"},`+
			`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"%s:aud":"sts.amazonaws.com","%s:sub":"system:serviceaccount:%s"}}}]}`,
			issuer, issuer, issuer, sa)
		ok(in.clients.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: &trust}))
		ok(in.clients.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: pol.Policy.Arn}))
	}
	ok(in.clients.RDS.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: &c.RDS.SubnetGroupName,
		DBSubnetGroupDescription: aws.String("Subnet group for Kubeflow metadata db"), SubnetIds: cl.PrivateSubnetIDs}))
	ok(in.clients.RDS.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: &c.RDS.InstanceName,
		DBName: &c.RDS.DatabaseName, DBInstanceClass: aws.String("db.m5.large"), Engine: aws.String("mysql"),
		EngineVersion: aws.String("8.0.39"), MasterUsername: &c.RDS.MasterUsername, MasterUserPassword: &pw,
		AllocatedStorage: aws.Int32(50), MaxAllocatedStorage: aws.Int32(1000), BackupRetentionPeriod: aws.Int32(7),
		StorageType: aws.String("gp2"), MultiAZ: aws.Bool(true), PubliclyAccessible: aws.Bool(false), DeletionProtection: aws.Bool(true),
		DBSubnetGroupName: &c.RDS.SubnetGroupName, VpcSecurityGroupIds: []string{cl.SecurityGroupID}}))
	out, err := in.clients.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &c.RDS.InstanceName})
	if err != nil {
		t.Fatal(err)
	}
	ep := out.DBInstances[0].Endpoint
	v, _ := json.Marshal(map[string]string{"username": c.RDS.MasterUsername, "password": pw, "database": c.RDS.DatabaseName,
		"host": aws.ToString(ep.Address), "port": fmt.Sprint(aws.ToInt32(ep.Port))})
	ok(in.clients.SecretsManager.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: &c.RDS.SecretName, SecretString: aws.String(string(v))}))
}

// fromMetadata names the resources as kfaws init --from-awslabs-metadata does, from the fixture with this
// test's cluster, bucket and account.
func fromMetadata(t *testing.T, account, bucket string) func(*config.Config) {
	return fromMetadataFile(t, "testdata/awslabs-metadata.yaml", "admin", account, bucket)
}

// fromMetadataFile is fromMetadata for another fixture and master user (one MariaDB serves every test's
// instances, and their master users must differ).
func fromMetadataFile(t *testing.T, file, master, account, bucket string) func(*config.Config) {
	return func(c *config.Config) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.NewReplacer("CLUSTER_NAME", c.Cluster, "BUCKET_NAME", bucket, "ACCOUNT", account).Replace(string(data))
		m, err := config.ParseAwslabsMetadata("metadata.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		c.RDS.InstanceName, c.RDS.SecretName, c.RDS.SubnetGroupName, c.S3.Bucket = "", "", "", ""
		m.ApplyTo(c)
		c.RDS.MasterUsername = master // the script's is admin; one MariaDB serves every test, so only one test uses it
	}
}

// awslabsView is what a change by kfaws would show on the setup's resources: tags, settings, secret value.
func (in *install) awslabsView(ctx context.Context, t *testing.T) string {
	t.Helper()
	c := in.cfg
	var b strings.Builder
	db, err := in.clients.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &c.RDS.InstanceName})
	if err != nil {
		t.Fatal(err)
	}
	d := db.DBInstances[0]
	fmt.Fprintf(&b, "instance %s %s %d %t %t %v %v\n", aws.ToString(d.DBInstanceClass), aws.ToString(d.EngineVersion),
		aws.ToInt32(d.AllocatedStorage), aws.ToBool(d.MultiAZ), aws.ToBool(d.DeletionProtection), d.TagList, d.PendingModifiedValues)
	if tags, err := in.clients.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &c.S3.Bucket}); err == nil {
		fmt.Fprintf(&b, "bucket tags %v\n", tags.TagSet)
	}
	sec, err := in.clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &c.RDS.SecretName})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "secret %v %v\n", sec.Tags, in.rdsSecret(ctx))
	for _, r := range []string{c.IAM.BackendRoleName, c.IAM.ProfileRoleName} {
		role, err := in.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &r})
		if err != nil {
			t.Fatal(err)
		}
		att, _ := in.clients.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &r})
		fmt.Fprintf(&b, "role %s %s %v %d\n", r, aws.ToString(role.Role.AssumeRolePolicyDocument), role.Role.Tags, len(att.AttachedPolicies))
	}
	return b.String()
}

func (in *install) account(ctx context.Context, t *testing.T) string {
	id, err := in.clients.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(id.Account)
}

// awslabsStaticSetup creates what auto-rds-s3-setup.py creates in static mode: the bucket, the RDS part as in IRSA
// mode, and s3-secret holding an IAM user's keys in the script's shape; no roles, no policy.
func (in *install) awslabsStaticSetup(ctx context.Context, t *testing.T, pw string) {
	t.Helper()
	c, cl := in.cfg, in.cluster
	ok := must(t)
	ok(in.clients.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &c.S3.Bucket, ACL: s3types.BucketCannedACLPrivate,
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(c.Region)}}))
	keys, _ := json.Marshal(map[string]string{"accesskey": "AKIAAWSLABSSTATIC001", "secretkey": "awslabs-static-secret-key"})
	ok(in.clients.SecretsManager.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: &c.S3.SecretName, SecretString: aws.String(string(keys))}))
	ok(in.clients.RDS.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: &c.RDS.SubnetGroupName,
		DBSubnetGroupDescription: aws.String("Subnet group for Kubeflow metadata db"), SubnetIds: cl.PrivateSubnetIDs}))
	ok(in.clients.RDS.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: &c.RDS.InstanceName,
		DBName: &c.RDS.DatabaseName, DBInstanceClass: aws.String("db.m5.large"), Engine: aws.String("mysql"),
		EngineVersion: aws.String("8.0.39"), MasterUsername: &c.RDS.MasterUsername, MasterUserPassword: &pw,
		AllocatedStorage: aws.Int32(20), StorageType: aws.String("gp2"), PubliclyAccessible: aws.Bool(false),
		DBSubnetGroupName: &c.RDS.SubnetGroupName, VpcSecurityGroupIds: []string{cl.SecurityGroupID}}))
	out, err := in.clients.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &c.RDS.InstanceName})
	if err != nil {
		t.Fatal(err)
	}
	ep := out.DBInstances[0].Endpoint
	v, _ := json.Marshal(map[string]string{"username": c.RDS.MasterUsername, "password": pw, "database": c.RDS.DatabaseName,
		"host": aws.ToString(ep.Address), "port": fmt.Sprint(aws.ToInt32(ep.Port))})
	ok(in.clients.SecretsManager.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: &c.RDS.SecretName, SecretString: aws.String(string(v))}))
}

// An awslabs static-keys installation is adopted from its metadata.yaml (static mode: s3-secret, no roles); up
// changes none of it (the keys in s3-secret stay the user's), down keeps it, down --delete-adopted deletes it.
func TestAdoptAwslabsStaticSetup(t *testing.T) {
	ctx := context.Background()
	in := newInstall(t, func(c *config.Config) {
		fromMetadataFile(t, "testdata/awslabs-metadata-static.yaml", "adminstatic", "123456789012", c.S3.Bucket)(c)
	})
	if in.cfg.S3.Credentials != config.CredentialsStatic || in.cfg.S3.SecretName != "s3-secret-static" {
		t.Fatalf("the static metadata.yaml gave credentials %q, s3 secret %q", in.cfg.S3.Credentials, in.cfg.S3.SecretName)
	}
	in.awslabsStaticSetup(ctx, t, "Awslabs-static-1")
	keys := []string{plan.KeyBucket, plan.KeyS3Secret, plan.KeySubnetGroup, plan.KeyRDSSecret, plan.KeyInstance}
	if _, err := (&operation.Adopt{Configuration: in.configuration()}).Run(ctx); err != nil {
		t.Fatalf("adopt: %v", err)
	}
	st := in.configuration().State.Snapshot()
	for _, k := range keys {
		if r := st.Resources[k]; !r.Adopted || r.Owned || r.ID == "" {
			t.Errorf("state %s: %+v", k, r)
		}
	}
	for _, k := range []string{plan.KeyBackendRole, plan.KeyProfileRole, plan.KeyS3Policy} {
		if r, ok := st.Resources[k]; ok && r.Adopted {
			t.Errorf("static mode adopted %s: %+v", k, r)
		}
	}
	s3Keys := func() map[string]string { return in.secretJSON(ctx, in.cfg.S3.SecretName) }
	before := s3Keys()
	p := in.plan(ctx)
	for _, k := range keys {
		if r, _ := p.Resource(k); r.Action != plan.Exists || !r.Adopted {
			t.Errorf("plan %s: %s adopted=%t", k, r.Action, r.Adopted)
		}
	}
	in.mustUp(ctx)
	if after := s3Keys(); !reflect.DeepEqual(after, before) {
		t.Error("up changed the keys in the adopted s3-secret")
	}
	down := func(deleteAdopted bool) *operation.DownResult {
		t.Helper()
		res, err := (&operation.Down{Configuration: in.configuration(), DeleteAdopted: deleteAdopted, DeleteData: true,
			SkipFinalSnapshot: true, ForceDeleteSecrets: true, SkipCluster: true, PollInterval: 20 * time.Millisecond}).Run(ctx)
		if err != nil {
			t.Fatalf("down (delete adopted %t): %v", deleteAdopted, err)
		}
		return res
	}
	kept := down(false)
	for _, k := range keys {
		if r, _ := kept.Plan.Resource(k); r.Action != plan.Keep {
			t.Errorf("down: %s %s %q", k, r.Action, r.Detail)
		}
	}
	if got := s3Keys(); !reflect.DeepEqual(got, before) {
		t.Error("down changed the adopted s3-secret")
	}
	res := down(true)
	for _, k := range keys {
		if r, _ := res.Plan.Resource(k); r.Action != plan.Delete {
			t.Errorf("down --delete-adopted: %s %s %q", k, r.Action, r.Detail)
		}
	}
	if _, err := in.clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &in.cfg.S3.SecretName}); err == nil {
		t.Error("down --delete-adopted --force-delete-secrets kept s3-secret")
	}
}

// An awslabs IRSA installation is adopted from its metadata.yaml; up then changes none of it, down keeps it,
// and down --delete-adopted deletes it.
func TestAdoptAwslabsSetup(t *testing.T) {
	ctx := context.Background()
	in := newInstall(t, func(c *config.Config) { fromMetadata(t, "123456789012", c.S3.Bucket)(c) })
	if a := in.account(ctx, t); a != "123456789012" {
		t.Fatalf("account %s; the fixture's ARNs assume moto's default", a)
	}
	const pw = "Awslabs-pass-1"
	in.awslabsSetup(ctx, t, pw)

	dry, err := (&operation.Adopt{Configuration: in.configuration(), DryRun: true}).Run(ctx)
	if err != nil {
		t.Fatalf("adopt --dry-run: %v", err)
	}
	if _, err := os.Stat(in.cfg.StatePath()); err == nil || dry.Recorded {
		t.Error("a dry run wrote the state")
	}
	res, err := (&operation.Adopt{Configuration: in.configuration()}).Run(ctx)
	if err != nil {
		t.Fatalf("adopt: %v", err)
	}
	st := in.configuration().State.Snapshot()
	for _, k := range awslabsKeys {
		r := st.Resources[k]
		if !r.Adopted || r.Owned || r.ID == "" {
			t.Errorf("state %s: %+v (verdicts %+v)", k, r, res.Lines)
		}
	}
	if l, _ := res.Line(plan.KeyRDSSecret); !strings.Contains(l.Detail, "logs in") {
		t.Errorf("rds secret line: %+v", l)
	}
	again, err := (&operation.Adopt{Configuration: in.configuration()}).Run(ctx)
	if err != nil || again.Recorded {
		t.Errorf("adopting again recorded %t: %v", again != nil && again.Recorded, err)
	}
	if after := in.configuration().State.Snapshot(); !reflect.DeepEqual(after.Resources, st.Resources) {
		t.Error("adopting again changed the state")
	}

	before := in.awslabsView(ctx, t)
	p := in.plan(ctx)
	for _, k := range awslabsKeys {
		if r, _ := p.Resource(k); r.Action != plan.Exists || !r.Adopted || r.Owned {
			t.Errorf("plan %s: %s adopted=%t owned=%t", k, r.Action, r.Adopted, r.Owned)
		}
	}
	in.mustUp(ctx)
	if after := in.awslabsView(ctx, t); after != before {
		t.Errorf("up changed the adopted resources:\nbefore %s\nafter  %s", before, after)
	}
	for _, k := range awslabsKeys {
		if r := in.configuration().State.Snapshot().Resources[k]; !r.Adopted || r.Owned {
			t.Errorf("after up, state %s: %+v", k, r)
		}
	}

	down := func(deleteAdopted bool) *operation.DownResult {
		t.Helper()
		res, err := (&operation.Down{Configuration: in.configuration(), DeleteAdopted: deleteAdopted, DeleteData: true,
			SkipFinalSnapshot: true, ForceDeleteSecrets: true, SkipCluster: true, PollInterval: 20 * time.Millisecond}).Run(ctx)
		if err != nil {
			t.Fatalf("down (delete adopted %t): %v", deleteAdopted, err)
		}
		return res
	}
	res2 := down(false)
	for _, k := range awslabsKeys {
		if r, _ := res2.Plan.Resource(k); r.Action != plan.Keep {
			t.Errorf("down: %s %s %q", k, r.Action, r.Detail)
		}
	}
	if _, err := in.clients.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &in.cfg.RDS.InstanceName}); err != nil {
		t.Fatalf("down deleted the adopted instance: %v", err)
	}
	if _, err := in.clients.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &in.cfg.S3.Bucket}); err != nil {
		t.Fatalf("down deleted the adopted bucket: %v", err)
	}

	// What the teardown kept stays adopted, so down --delete-adopted finds it without adopting again.
	recs := in.configuration().State.Snapshot().Resources
	for _, k := range awslabsKeys {
		if r, ok := recs[k]; !ok || !r.Adopted {
			t.Errorf("after down, %s is no longer recorded as adopted: %+v", k, r)
		}
	}
	res3 := down(true)
	for _, k := range awslabsKeys {
		if r, _ := res3.Plan.Resource(k); r.Action != plan.Delete {
			t.Errorf("down --delete-adopted: %s %s %q", k, r.Action, r.Detail)
		}
	}
	if _, err := in.clients.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &in.cfg.S3.Bucket}); err == nil {
		t.Error("down --delete-adopted --delete-data kept the bucket")
	}
	if _, err := in.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &in.cfg.IAM.BackendRoleName}); err == nil {
		t.Error("down --delete-adopted kept the backend role")
	}
	out, err := in.clients.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &in.cfg.RDS.InstanceName})
	if err == nil && len(out.DBInstances) > 0 && aws.ToString(out.DBInstances[0].DBInstanceStatus) != "deleting" {
		t.Errorf("down --delete-adopted kept the instance: %s", aws.ToString(out.DBInstances[0].DBInstanceStatus))
	}
}

// An RDS secret whose password does not log in is refused: exit class failed, nothing recorded.
func TestAdoptRefusesAWrongSecretPassword(t *testing.T) {
	ctx := context.Background()
	in := newInstall(t, func(c *config.Config) { c.S3.Credentials = config.CredentialsStatic })
	in.awslabsSetup(ctx, t, "Right-pass-9")
	v, _ := json.Marshal(map[string]string{"accesskey": "AKIAEXAMPLE", "secretkey": "example"})
	must(t)(in.clients.SecretsManager.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: &in.cfg.S3.SecretName, SecretString: aws.String(string(v))}))
	sec := in.rdsSecret(ctx)
	sec["password"] = "Wrong-pass-9"
	wrong, _ := json.Marshal(sec)
	must(t)(in.clients.SecretsManager.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &in.cfg.RDS.SecretName, SecretString: aws.String(string(wrong))}))

	res, err := (&operation.Adopt{Configuration: in.configuration()}).Run(ctx)
	var ae *operation.AdoptError
	if !errors.As(err, &ae) || operation.Classify(err) != operation.Failed {
		t.Fatalf("adopt with a wrong password: %v", err)
	}
	if l, _ := res.Line(plan.KeyRDSSecret); l.Verdict != plan.AdoptFail || !strings.Contains(l.Detail, "access denied") {
		t.Errorf("rds secret line %+v", l)
	}
	if strings.Contains(err.Error(), "Wrong-pass-9") || strings.Contains(err.Error(), "Right-pass-9") {
		t.Error("the error holds a password")
	}
	if _, err := os.Stat(in.cfg.StatePath()); err == nil {
		st, _ := state.Open(in.cfg.StatePath())
		if len(st.Snapshot().Resources) > 0 {
			t.Error("a refused adoption recorded resources")
		}
	}
}
