package operation_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/middleware"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
)

// describeKey reads a key's metadata.
func (in *install) describeKey(ctx context.Context, ref string) *kmstypes.KeyMetadata {
	in.t.Helper()
	out, err := in.clients.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &ref})
	if err != nil {
		in.t.Fatalf("describing KMS key %q: %v", ref, err)
	}
	return out.KeyMetadata
}

// givenKey makes a customer managed key the way a user would, outside kfaws.
func (in *install) givenKey(ctx context.Context) string {
	in.t.Helper()
	out, err := in.clients.KMS.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecSymmetricDefault,
		KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt, Description: aws.String("the team's key")})
	if err != nil {
		in.t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

// bucketKey is the key of the bucket's SSE-KMS default encryption, "" for SSE-S3 or none.
func (in *install) bucketKey(ctx context.Context) string {
	in.t.Helper()
	out, err := in.clients.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &in.cfg.S3.Bucket})
	if err != nil {
		return ""
	}
	r := out.ServerSideEncryptionConfiguration.Rules[0]
	d := r.ApplyServerSideEncryptionByDefault
	if d.SSEAlgorithm != s3types.ServerSideEncryptionAwsKms || !aws.ToBool(r.BucketKeyEnabled) {
		return ""
	}
	return aws.ToString(d.KMSMasterKeyID)
}

func (in *install) secretKey(ctx context.Context, name string) string {
	in.t.Helper()
	out, err := in.clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &name})
	if err != nil {
		in.t.Fatal(err)
	}
	return aws.ToString(out.KmsKeyId)
}

// kmsStatement finds the statement granting kms actions in a policy document, and its resource.
func kmsStatement(t *testing.T, doc string) (actions []string, resource, via string) {
	t.Helper()
	var d struct {
		Statement []struct {
			Action    []string
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	for _, s := range d.Statement {
		if len(s.Action) > 0 && strings.HasPrefix(s.Action[0], "kms:") && len(s.Resource) == 1 {
			return s.Action, s.Resource[0], s.Condition["StringEquals"]["kms:ViaService"]
		}
	}
	return nil, "", ""
}

// kms.key: create. Up creates the key, tagged and recorded, encrypts the bucket, the instance and the secret with
// it and grants the roles exactly its use through S3 and Secrets Manager; a second up has nothing to do; down
// with no data kept schedules the key's deletion.
func TestUpCreatedKMSKey(t *testing.T) {
	in := newInstall(t, func(c *config.Config) { c.KMS.Key = config.KMSCreate })
	ctx := context.Background()
	if r, _ := in.plan(ctx).Resource(plan.KeyKMSKey); r.Action != plan.Create || r.Name != "alias/kfaws-"+in.cfg.Name {
		t.Fatalf("plan: key %+v", r)
	}
	in.mustUp(ctx)
	rec := in.configuration().State.Snapshot().Resources[plan.KeyKMSKey]
	if !rec.Owned || rec.ID != "alias/kfaws-"+in.cfg.Name || !strings.Contains(rec.ARN, ":key/") {
		t.Fatalf("state record of the key: %+v", rec)
	}
	key := rec.ARN
	if m := in.describeKey(ctx, "alias/kfaws-"+in.cfg.Name); aws.ToString(m.Arn) != key || m.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt {
		t.Errorf("alias names %s (%s), want %s", aws.ToString(m.Arn), m.KeyUsage, key)
	}
	tags, err := in.clients.KMS.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: &key})
	if err != nil || !slices.ContainsFunc(tags.Tags, func(tg kmstypes.Tag) bool {
		return aws.ToString(tg.TagKey) == ownership.TagInstallation && aws.ToString(tg.TagValue) == in.cfg.Name
	}) {
		t.Errorf("key tags %v (%v)", tags, err)
	}
	if got := in.bucketKey(ctx); got != key {
		t.Errorf("bucket default encryption key %q, want SSE-KMS with bucket key and %q", got, key)
	}
	if db := in.describeInstance(ctx); !aws.ToBool(db.StorageEncrypted) || aws.ToString(db.KmsKeyId) != key {
		t.Errorf("instance storage encrypted %t with %q", aws.ToBool(db.StorageEncrypted), aws.ToString(db.KmsKeyId))
	}
	if got := in.secretKey(ctx, in.cfg.RDS.SecretName); got != key {
		t.Errorf("RDS secret encrypted with %q", got)
	}
	s3doc := in.policyDocument(ctx, t, in.cfg.IAM.S3PolicyName)
	if acts, res, via := kmsStatement(t, s3doc); !slices.Equal(acts, []string{"kms:GenerateDataKey", "kms:Decrypt"}) || res != key ||
		via != "s3."+in.cfg.Region+".amazonaws.com" {
		t.Errorf("S3 policy's KMS statement: %v on %q via %q", acts, res, via)
	}
	inline, err := in.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &in.cfg.IAM.SecretsRoleName, PolicyName: aws.String(plan.SecretsInlinePolicy)})
	if err != nil {
		t.Fatal(err)
	}
	secDoc, _ := url.QueryUnescape(aws.ToString(inline.PolicyDocument))
	if acts, res, via := kmsStatement(t, secDoc); !slices.Equal(acts, []string{"kms:Decrypt"}) || res != key ||
		via != "secretsmanager."+in.cfg.Region+".amazonaws.com" {
		t.Errorf("secrets role's KMS statement: %v on %q via %q", acts, res, via)
	}

	if p := in.plan(ctx); p.HasChanges() {
		t.Errorf("second plan has steps: %v", p.Steps)
	}

	res, err := (&operation.Down{Configuration: in.configuration(), DeleteData: true, SkipFinalSnapshot: true,
		ForceDeleteSecrets: true, SkipCluster: true, PollInterval: 20 * time.Millisecond}).Run(ctx)
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	if r, _ := res.Plan.Resource(plan.KeyKMSKey); r.Action != plan.Delete {
		t.Errorf("down's decision on the key: %+v", r)
	}
	if m := in.describeKey(ctx, key); m.KeyState != kmstypes.KeyStatePendingDeletion {
		t.Errorf("key after down: %s, want PendingDeletion", m.KeyState)
	}
}

// A key given in kms.key: the bucket kfaws created on SSE-S3 is switched to it, the secret kfaws created is
// encrypted with it; the existing instance is left with a warning; down never deletes the key.
func TestUpGivenKMSKeyOnAnExistingInstallation(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	in.mustUp(ctx)
	key := in.givenKey(ctx)
	in.cfg.KMS.Key = key
	p := in.plan(ctx)
	if r, _ := p.Resource(plan.KeyBucket); r.Action != plan.Update || !strings.Contains(r.Detail, "SSE-KMS with "+key) {
		t.Errorf("plan: bucket %+v", r)
	}
	if r, _ := p.Resource(plan.KeyRDSSecret); r.Action != plan.Update {
		t.Errorf("plan: secret %+v", r)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "RDS cannot change an instance's key in place") }) {
		t.Errorf("no warning about the instance: %v", p.Warnings)
	}
	in.mustUp(ctx)
	if got := in.bucketKey(ctx); got != key {
		t.Errorf("bucket key %q, want %q", got, key)
	}
	if got := in.secretKey(ctx, in.cfg.RDS.SecretName); got != key {
		t.Errorf("secret key %q, want %q", got, key)
	}
	if p := in.plan(ctx); slices.ContainsFunc(p.Steps, func(s plan.Step) bool { return s.Resource != plan.KeyInstance }) {
		t.Errorf("plan after up: %v", p.Steps)
	}
	res, err := (&operation.Down{Configuration: in.configuration(), DeleteData: true, SkipFinalSnapshot: true,
		ForceDeleteSecrets: true, SkipCluster: true, PollInterval: 20 * time.Millisecond}).Run(ctx)
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	if r, _ := res.Plan.Resource(plan.KeyKMSKey); r.Action != plan.Keep {
		t.Errorf("down's decision on the given key: %+v", r)
	}
	if m := in.describeKey(ctx, key); m.KeyState != kmstypes.KeyStateEnabled {
		t.Errorf("given key after down: %s", m.KeyState)
	}
}

// A bucket the user made is reused untouched with a key configured; a key that cannot encrypt is refused
// before any change.
func TestKMSKeyReusedBucketAndBadKey(t *testing.T) {
	in := newInstall(t, func(c *config.Config) { c.Option = config.OptionS3Only })
	ctx := context.Background()
	in.createBucket(ctx, t, in.cfg.Region)
	in.cfg.KMS.Key = in.givenKey(ctx)
	p := in.plan(ctx)
	if slices.ContainsFunc(p.Steps, func(s plan.Step) bool { return s.Resource == plan.KeyBucket }) {
		t.Errorf("plan changes the user's bucket: %v", p.Steps)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "is not encrypted with KMS key") }) {
		t.Errorf("no warning about the bucket's encryption: %v", p.Warnings)
	}
	in.mustUp(ctx)
	if got := in.bucketKey(ctx); got != "" {
		t.Errorf("the user's bucket got SSE-KMS with %q", got)
	}

	id := in.describeKey(ctx, in.cfg.KMS.Key).KeyId // by id: moto 5.2.1 fails DisableKey given an ARN
	if _, err := in.clients.KMS.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	_, rec, err := in.up(ctx, nil)
	if operation.Classify(err) != operation.BadInput || !strings.Contains(err.Error(), "is Disabled; enable it") {
		t.Fatalf("up with a disabled key: %v, want bad input", err)
	}
	if rec.has("start") {
		t.Errorf("steps ran with a disabled key:\n%s", rec)
	}
}

// A run killed after its key was created and recorded but before kms:CreateAlias reached KMS: the next plan finds
// the key by its record and gives it its alias; the resumed up leaves nothing to do and created no second key.
func TestUpKilledBeforeKMSAlias(t *testing.T) {
	in := newInstall(t, s3Only, func(c *config.Config) { c.KMS.Key = config.KMSCreate })
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	cfg, err := in.stack.AWSConfig(ctx, in.cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("killBeforeAlias",
			func(ctx context.Context, input middleware.InitializeInput, next middleware.InitializeHandler) (
				middleware.InitializeOutput, middleware.Metadata, error) {
				if awsmiddleware.GetServiceID(ctx) == "KMS" && awsmiddleware.GetOperationName(ctx) == "CreateAlias" {
					kill()
					return middleware.InitializeOutput{}, middleware.Metadata{}, errKilled
				}
				return next.HandleInitialize(ctx, input)
			}), middleware.After)
	})
	conf := in.configuration()
	conf.AWS = kaws.NewClients(cfg)
	if _, err := (&operation.Up{Configuration: conf, Reporter: &recorder{}}).Run(ctx); !errors.Is(err, errKilled) {
		t.Fatalf("the run was not killed before kms:CreateAlias: %v", err)
	}
	created := in.configuration().State.Snapshot().Resources[plan.KeyKMSKey].ARN
	if created == "" {
		t.Fatal("the key was not recorded before its alias")
	}
	p := in.plan(context.Background())
	if r, _ := p.Resource(plan.KeyKMSKey); r.Action != plan.Update || r.ARN != created {
		t.Fatalf("plan after the kill: key %+v, want an update of %s", r, created)
	}
	in.mustUp(context.Background())
	if m := in.describeKey(context.Background(), "alias/kfaws-"+in.cfg.Name); aws.ToString(m.Arn) != created {
		t.Errorf("alias names %s, want the key created before the kill, %s", aws.ToString(m.Arn), created)
	}
	if p := in.plan(context.Background()); p.HasChanges() {
		t.Errorf("plan after the resumed up has steps: %v", p.Steps)
	}
}
