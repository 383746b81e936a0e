package operation_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

func TestUpFreshIRSA(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()

	before := in.plan(ctx)
	for key, a := range actions(before) {
		// moto gives every cluster of one server the same OIDC issuer, so an earlier test may have registered it.
		if key == plan.KeyOIDCProvider {
			continue
		}
		if a != plan.Create {
			t.Errorf("fresh plan: %s is %s, want create", key, a)
		}
	}
	res := in.mustUp(ctx)
	if !res.Changed {
		t.Fatal("first up reported no change")
	}

	// The bucket is protected.
	b := in.cfg.S3.Bucket
	pab, err := in.clients.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &b})
	if err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicAcls) || !aws.ToBool(pab.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Errorf("public access block: %+v, %v", pab, err)
	}
	if _, err := in.clients.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &b}); err != nil {
		t.Errorf("bucket encryption: %v", err)
	}

	// The RDS secret holds working credentials to the database Katib uses.
	v := in.rdsSecret(ctx)
	if len(v["password"]) != 32 || v["username"] != in.cfg.RDS.MasterUsername || v["database"] != "kubeflow" || v["host"] == "" || v["port"] == "" {
		t.Errorf("rds secret fields: user=%q db=%q host=%q port=%q len(password)=%d", v["username"], v["database"], v["host"], v["port"], len(v["password"]))
	}
	var dbName string
	if err := in.connect(ctx).QueryRowContext(ctx, "SELECT DATABASE()").Scan(&dbName); err != nil || dbName != "kubeflow" {
		t.Errorf("connected database = %q, %v", dbName, err)
	}

	// IRSA: both S3 roles trust their service account and carry the policy; the secrets role reads the secret.
	for role, sub := range map[string]string{
		in.cfg.IAM.BackendRoleName: "system:serviceaccount:kubeflow:ml-pipeline",
		in.cfg.IAM.ProfileRoleName: "system:serviceaccount:kubeflow-user-example-com:default-editor",
		in.cfg.IAM.SecretsRoleName: "system:serviceaccount:kubeflow:kubeflow-secrets-manager-sa",
	} {
		out, err := in.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if err != nil {
			t.Fatalf("role %s: %v", role, err)
		}
		if doc := aws.ToString(out.Role.AssumeRolePolicyDocument); !strings.Contains(doc, sub) && !strings.Contains(doc, strings.ReplaceAll(sub, ":", "%3A")) {
			t.Errorf("role %s trust policy lacks %s: %s", role, sub, doc)
		}
	}
	pol, err := in.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &in.cfg.IAM.SecretsRoleName, PolicyName: aws.String(plan.SecretsInlinePolicy)})
	if err != nil || !strings.Contains(aws.ToString(pol.PolicyDocument), in.cfg.RDS.SecretName) {
		t.Errorf("secrets role policy: %v %v", pol, err)
	}

	// The state file has what render needs and no secret.
	st, err := state.Open(in.cfg.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	o := st.Snapshot().Outputs
	if o.Bucket != b || o.DBHost != v["host"] || o.BackendRoleARN == "" || o.ProfileRoleARN == "" || o.SecretsRoleARN == "" || o.RDSSecretName != in.cfg.RDS.SecretName {
		t.Errorf("state outputs incomplete: %+v", o)
	}
	assertNoSecretInState(t, in.cfg.StatePath(), v["password"])
	for _, key := range []string{plan.KeyBucket, plan.KeyInstance, plan.KeyRDSSecret, plan.KeySubnetGroup, plan.KeyParameterGroup, plan.KeySecurityGroup, plan.KeyBackendRole} {
		if r := st.Snapshot().Resources[key]; !r.Owned {
			t.Errorf("state: %s not recorded as owned: %+v", key, r)
		}
	}

	// A second plan finds everything in place, and a second up changes nothing.
	after := in.plan(ctx)
	for key, a := range actions(after) {
		if a != plan.Exists {
			t.Errorf("plan after up: %s is %s, want exists", key, a)
		}
	}
	if after.HasChanges() {
		t.Errorf("plan after up has steps: %+v", after.Steps)
	}
	if again := in.mustUp(ctx); again.Changed {
		t.Error("second up reported changes")
	}
	if got := in.rdsSecret(ctx)["password"]; got != v["password"] {
		t.Error("second up changed the master password")
	}
}

func TestUpFreshStatic(t *testing.T) {
	in := newInstall(t, func(c *config.Config) {
		c.S3.Credentials = config.CredentialsStatic
		c.S3.AccessKeyID, c.S3.SecretAccessKey = "AKIAEXAMPLEKEY000001", "static-secret-value-not-to-leak"
	})
	ctx := context.Background()
	in.mustUp(ctx)

	out, err := in.clients.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &in.cfg.S3.SecretName})
	if err != nil {
		t.Fatal(err)
	}
	if s := aws.ToString(out.SecretString); !strings.Contains(s, `"accesskey":"AKIAEXAMPLEKEY000001"`) || !strings.Contains(s, `"secretkey":"static-secret-value-not-to-leak"`) {
		t.Error("s3 secret does not hold the keys in {accesskey, secretkey}")
	}
	// Static mode makes no S3 roles.
	if _, err := in.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &in.cfg.IAM.BackendRoleName}); err == nil {
		t.Error("static mode created the IRSA backend role")
	}
	pol, err := in.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &in.cfg.IAM.SecretsRoleName, PolicyName: aws.String(plan.SecretsInlinePolicy)})
	if err != nil || !strings.Contains(aws.ToString(pol.PolicyDocument), in.cfg.S3.SecretName) {
		t.Errorf("secrets role cannot read the s3 secret: %v", err)
	}
	in.connect(ctx)
	assertNoSecretInState(t, in.cfg.StatePath(), "static-secret-value-not-to-leak")
	assertNoSecretInState(t, in.cfg.StatePath(), in.rdsSecret(ctx)["password"])
	if p := in.plan(ctx); p.HasChanges() {
		t.Errorf("plan after static up has steps: %+v", p.Steps)
	}
}

func TestUpOptions(t *testing.T) {
	for _, opt := range []config.Option{config.OptionRDSOnly, config.OptionS3Only} {
		t.Run(string(opt), func(t *testing.T) {
			in := newInstall(t, func(c *config.Config) { c.Option = opt })
			ctx := context.Background()
			in.mustUp(ctx)
			p := in.plan(ctx)
			_, hasBucket := p.Resource(plan.KeyBucket)
			_, hasDB := p.Resource(plan.KeyInstance)
			if hasBucket != opt.UsesS3() || hasDB != opt.UsesRDS() {
				t.Errorf("option %s planned bucket=%t instance=%t", opt, hasBucket, hasDB)
			}
			if p.HasChanges() {
				t.Errorf("second plan has steps: %+v", p.Steps)
			}
		})
	}
}
