package verify_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kfaws/kfaws/internal/arn"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/verify"
	"github.com/kfaws/kfaws/localstack"
)

// The profile access check reads roles from IAM (moto behind the local stack's proxy) and evaluates their
// policies: kfaws's profile policy passes for each profile's own IRSA role and for the one Pod Identity role all
// profiles share; the bucket-wide policy kfaws gave the profile role before, a role that does not trust the
// profile, and a role that is not there fail.
func TestProfileAccess(t *testing.T) {
	ctx := context.Background()
	s := localstack.Shared(t)
	cfg, err := s.AWSConfig(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("p%d", time.Now().UnixNano()%1e9)
	base := verify.S3Input{S3: s3.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg), Bucket: id + "-artifacts", Binding: identity.IRSA{}}
	if _, err := base.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &base.Bucket}); err != nil {
		t.Fatal(err)
	}
	arns := arn.Builder{Partition: "aws", Account: "123456789012", Region: "us-east-1"}
	irsa := identity.IRSA{Issuer: "https://oidc.eks.us-east-1.amazonaws.com/id/X",
		ProviderARN: arns.OIDCProvider("oidc.eks.us-east-1.amazonaws.com/id/X")}
	runner := func(ns string) identity.ServiceAccount {
		return identity.ServiceAccount{Namespace: ns, Name: kubeflow.PipelineRunnerAccount}
	}
	// role creates a role with trust and the policy doc, attached (managed) or inline, and returns its ARN.
	role := func(name, trust, doc string, inline bool) string {
		t.Helper()
		name = id + "-" + name
		r, err := base.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: &trust})
		if err != nil {
			t.Fatal(err)
		}
		if inline {
			_, err = base.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &name, PolicyName: aws.String("s3"), PolicyDocument: &doc})
		} else {
			var pol *iam.CreatePolicyOutput
			if pol, err = base.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: &doc}); err == nil {
				_, err = base.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: &name, PolicyArn: pol.Policy.Arn})
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(r.Role.Arn)
	}
	profilePolicy := func(ns string) string { return plan.ProfilePolicy("aws", "us-east-1", base.Bucket, "", ns) }
	teamA := role("team-a", irsa.TrustPolicy(runner("team-a")), profilePolicy("team-a"), false)
	teamB := role("team-b", irsa.TrustPolicy(runner("team-b")), profilePolicy("team-b"), true)
	shared := role("profiles", identity.PodIdentity{}.TrustPolicy(), profilePolicy(plan.NamespaceTag), false)
	bucketWide := role("bucket-wide", irsa.TrustPolicy(runner("team-a")), plan.S3Policy("aws", base.Bucket), false)
	untrusted := role("untrusted", irsa.TrustPolicy(runner("team-b")), profilePolicy("team-a"), true)

	check := func(b identity.Binding, profiles ...verify.ProfileRole) *verify.Report {
		t.Helper()
		in := base
		in.Binding, in.Profiles = b, profiles
		r := &verify.Report{}
		verify.CheckS3(ctx, r, in)
		return r
	}
	expect := func(r *verify.Report, ns string, status verify.Status, details ...string) {
		t.Helper()
		c, ok := r.Find("profile " + ns + " S3 access")
		if !ok {
			t.Fatalf("no check for profile %s in %+v", ns, r.Checks)
		}
		t.Logf("%s: %s", c.Status, c.Detail)
		if c.Status != status || (status == verify.Fail) != (c.Action == "run kfaws up") {
			t.Errorf("profile %s: got %s %q (action %q), want %s", ns, c.Status, c.Detail, c.Action, status)
		}
		for _, d := range details {
			if !strings.Contains(c.Detail, d) {
				t.Errorf("profile %s: %q does not say %q", ns, c.Detail, d)
			}
		}
	}

	t.Run("irsa role per profile", func(t *testing.T) {
		r := check(irsa, verify.ProfileRole{Namespace: "team-a", RoleARN: teamA}, verify.ProfileRole{Namespace: "team-b", RoleARN: teamB})
		expect(r, "team-a", verify.OK, "writes private-artifacts/team-a/, cannot read private-artifacts/team-b/", "system:serviceaccount:team-a:default-editor")
		expect(r, "team-b", verify.OK, "writes private-artifacts/team-b/, cannot read private-artifacts/team-a/")
	})
	t.Run("one profile", func(t *testing.T) {
		r := check(irsa, verify.ProfileRole{Namespace: "team-a", RoleName: id + "-team-a"})
		expect(r, "team-a", verify.OK, "cannot read private-artifacts/kfaws-verify-other/")
	})
	t.Run("pod identity shared role", func(t *testing.T) {
		r := check(identity.PodIdentity{}, verify.ProfileRole{Namespace: "team-a", RoleARN: shared},
			verify.ProfileRole{Namespace: "team-b", RoleARN: shared})
		expect(r, "team-a", verify.OK, "writes private-artifacts/team-a/, cannot read private-artifacts/team-b/", "EKS Pod Identity")
		expect(r, "team-b", verify.OK, "writes private-artifacts/team-b/, cannot read private-artifacts/team-a/")
	})
	t.Run("bucket-wide policy is not confined", func(t *testing.T) {
		r := check(irsa, verify.ProfileRole{Namespace: "team-a", RoleARN: bucketWide}, verify.ProfileRole{Namespace: "team-b", RoleARN: teamB})
		expect(r, "team-a", verify.Fail, "not confined to private-artifacts/team-a/", "s3:GetObject on private-artifacts/team-b/ (allowed)",
			"s3:PutObject on private-artifacts/team-b/", "s3:ListBucket of private-artifacts/team-b/", "s3:ListBucket of the whole bucket")
		expect(r, "team-b", verify.OK)
	})
	t.Run("adopted bucket-wide role", func(t *testing.T) {
		// kfaws up never changes an adopted role, so the action says how to confine it instead of "run kfaws up".
		r := check(irsa, verify.ProfileRole{Namespace: "team-a", RoleARN: bucketWide, Adopted: true})
		c, _ := r.Find("profile team-a S3 access")
		if c.Status != verify.Fail || !strings.Contains(c.Detail, "not confined") || !strings.Contains(c.Action, "iam.profileRoleName") {
			t.Errorf("adopted role: %s %q (action %q)", c.Status, c.Detail, c.Action)
		}
	})
	t.Run("role without the profile's trust", func(t *testing.T) {
		r := check(irsa, verify.ProfileRole{Namespace: "team-a", RoleARN: untrusted})
		expect(r, "team-a", verify.Fail, "does not trust system:serviceaccount:team-a:default-editor")
	})
	t.Run("irsa role of another profile", func(t *testing.T) {
		r := check(irsa, verify.ProfileRole{Namespace: "team-a", RoleARN: teamB})
		expect(r, "team-a", verify.Fail, "lacks s3:PutObject on private-artifacts/team-a/ (not allowed)", "does not trust")
	})
	t.Run("shared role under irsa has no session tag", func(t *testing.T) {
		r := check(irsa, verify.ProfileRole{Namespace: "team-a", RoleARN: shared})
		expect(r, "team-a", verify.Fail, "lacks s3:PutObject on private-artifacts/team-a/ (not allowed)")
	})
	t.Run("missing role", func(t *testing.T) {
		r := check(irsa, verify.ProfileRole{Namespace: "team-a", RoleARN: arns.Role(id + "-gone")}, verify.ProfileRole{Namespace: "team-b"})
		expect(r, "team-a", verify.Fail, "reading role")
		expect(r, "team-b", verify.Fail, "no IAM role is recorded")
	})
}
