package operation_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/middleware"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
)

// createCall is the AWS call that creates one kind of resource: service id and operation as the SDK names them,
// and, where one operation creates several resources, the name it creates.
type createCall struct {
	service, operation string
	name               func(c *config.Config) string
}

// createCalls maps every resource key up can create to its create call.
var createCalls = map[string]createCall{
	plan.KeyOIDCProvider:   {"IAM", "CreateOpenIDConnectProvider", nil},
	plan.KeyBucket:         {"S3", "CreateBucket", nil},
	plan.KeyS3Secret:       {"Secrets Manager", "CreateSecret", func(c *config.Config) string { return c.S3.SecretName }},
	plan.KeyS3Policy:       {"IAM", "CreatePolicy", nil},
	plan.KeyBackendRole:    {"IAM", "CreateRole", func(c *config.Config) string { return c.IAM.BackendRoleName }},
	plan.KeyProfileRole:    {"IAM", "CreateRole", func(c *config.Config) string { return c.IAM.ProfileRoleName }},
	plan.KeySecretsRole:    {"IAM", "CreateRole", func(c *config.Config) string { return c.IAM.SecretsRoleName }},
	plan.KeySubnetGroup:    {"RDS", "CreateDBSubnetGroup", nil},
	plan.KeyParameterGroup: {"RDS", "CreateDBParameterGroup", nil},
	plan.KeySecurityGroup:  {"EC2", "CreateSecurityGroup", nil},
	plan.KeyRDSSecret:      {"Secrets Manager", "CreateSecret", func(c *config.Config) string { return c.RDS.SecretName }},
	plan.KeyInstance:       {"RDS", "CreateDBInstance", nil},
	plan.KeyCSIAddon:       {"EKS", "CreateAddon", nil},
	plan.KeyKMSKey:         {"KMS", "CreateKey", nil},
}

// inputName is the resource name of the create and delete inputs createCalls and deleteCalls tell apart by name.
func inputName(params any) string {
	switch in := params.(type) {
	case *iam.CreateRoleInput:
		return *in.RoleName
	case *secretsmanager.CreateSecretInput:
		return *in.Name
	case *iam.DeleteRoleInput:
		return *in.RoleName
	case *secretsmanager.DeleteSecretInput:
		return *in.SecretId
	}
	return ""
}

// errKilled stands for the process dying: the create call reached AWS and took effect, its answer never arrived.
var errKilled = errors.New("killed after the create call took effect")

// killedAfter returns clients with which the run dies right after AWS has carried out call: the context is
// cancelled (what SIGINT does) and the call's answer is replaced by errKilled, so nothing the answer carried can
// be recorded.
func (in *install) killedAfter(t *testing.T, call createCall, kill context.CancelFunc) *kaws.Clients {
	t.Helper()
	cfg, err := in.stack.AWSConfig(context.Background(), in.cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	if call.name != nil {
		want = call.name(in.cfg)
	}
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("killAfterCreate",
			func(ctx context.Context, input middleware.InitializeInput, next middleware.InitializeHandler) (
				middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, input)
				if err == nil && awsmiddleware.GetServiceID(ctx) == call.service && awsmiddleware.GetOperationName(ctx) == call.operation &&
					(want == "" || inputName(input.Parameters) == want) {
					kill()
					return middleware.InitializeOutput{}, md, errKilled
				}
				return out, md, err
			}), middleware.After)
	})
	return kaws.NewClients(cfg)
}

// A run killed between a create call and its record, for every kind of resource up creates, is resumed by the
// next up, after which the state records every resource under its name with its identifier (the one AWS has),
// and no temporary state file is left, including those a writer killed mid-write left.
func TestUpKilledBetweenCreateAndRecord(t *testing.T) {
	configs := []struct {
		name   string
		mutate []func(*config.Config)
	}{
		{"irsa", nil},
		{"static", []func(*config.Config){func(c *config.Config) {
			c.S3.Credentials, c.S3.AccessKeyID, c.S3.SecretAccessKey = config.CredentialsStatic, "AKIAKILLTEST0000", "kill-test-secret"
		}}},
		// The key is found by its tag: its alias comes after the record.
		{"kms", []func(*config.Config){func(c *config.Config) { c.KMS.Key = config.KMSCreate }}},
	}
	covered := map[string]bool{}
	for _, c := range configs {
		for _, key := range creatableKeys(t, c.mutate, !covered[plan.KeyOIDCProvider]) {
			if covered[key] {
				continue // one case per kind
			}
			covered[key] = true
			call, ok := createCalls[key]
			if !ok {
				t.Errorf("up can create %s, and this test has no create call for it", key)
				continue
			}
			t.Run(c.name+"/"+key, func(t *testing.T) {
				// The OIDC provider is the region's (moto gives every cluster one issuer): its case runs first and
				// alone; the others, run together afterwards, find it.
				if key != plan.KeyOIDCProvider {
					t.Parallel()
				}
				killedBetweenCreateAndRecord(t, key, call, c.mutate)
			})
		}
	}
	for key := range createCalls {
		if !covered[key] {
			t.Errorf("no configuration here makes up create %s", key)
		}
	}
}

// creatableKeys are the resources a fresh plan of the configuration creates. With oidc, the region's OIDC
// provider, which an earlier test may have registered, is removed first so that it is among them.
func creatableKeys(t *testing.T, mutate []func(*config.Config), oidc bool) []string {
	t.Helper()
	ctx := context.Background()
	in := newInstall(t, mutate...)
	if r, _ := in.plan(ctx).Resource(plan.KeyOIDCProvider); oidc && r.Action != plan.Create {
		if _, err := in.clients.IAM.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{
			OpenIDConnectProviderArn: &r.ARN}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	for _, r := range in.plan(ctx).Resources {
		if r.Action == plan.Create {
			keys = append(keys, r.Key)
		}
	}
	return keys
}

func killedBetweenCreateAndRecord(t *testing.T, key string, call createCall, mutate []func(*config.Config)) {
	in := newInstall(t, mutate...)
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	conf := in.configuration()
	conf.AWS = in.killedAfter(t, call, kill)
	_, err := (&operation.Up{Configuration: conf, Reporter: &recorder{}, PollInterval: 20 * time.Millisecond}).Run(ctx)
	if !errors.Is(err, errKilled) {
		t.Fatalf("the run was not killed after %s:%s: %v", call.service, call.operation, err)
	}
	if r, _ := in.plan(context.Background()).Resource(key); r.Action == plan.Create {
		t.Fatalf("%s does not exist after the kill: the create call did not take effect", key)
	}
	leftovers := plantLeftovers(t, in.cfg.StatePath())

	in.mustUp(context.Background())
	res, err := (&operation.Plan{Configuration: in.configuration()}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.HasChanges() {
		t.Errorf("after the resumed run the plan still has steps: %v", res.Plan.Steps)
	}
	recorded := in.configuration().State.Snapshot().Resources
	for _, r := range res.Plan.Resources {
		got, want := recorded[r.Key], identifier(res.Snapshot, r.Key)
		if got.ID != r.Name || got.ARN == "" || got.ARN != want || got.Owned != r.Owned {
			t.Errorf("%s: recorded %q %q owned %t, want %q %q owned %t", r.Key, got.ID, got.ARN, got.Owned, r.Name, want, r.Owned)
		}
	}
	for _, f := range leftovers {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("temporary file %s left behind", filepath.Base(f))
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(in.cfg.StatePath()), ".*.tmp")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// plantLeftovers leaves what writers killed mid-write leave: this kfaws's temporary file and an older version's.
func plantLeftovers(t *testing.T, statePath string) []string {
	t.Helper()
	dir := filepath.Dir(statePath)
	files := []string{filepath.Join(dir, "."+filepath.Base(statePath)+"-1234.tmp"), filepath.Join(dir, ".state-5678.tmp")}
	old := time.Now().Add(-time.Minute)
	for _, f := range files {
		if err := os.WriteFile(f, []byte(`{"version": 1, "resourc`), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, old, old); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// identifier is what AWS identifies key's resource by, as observe reads it: the ARN, the security group's id.
func identifier(s *observe.Snapshot, key string) string {
	byKey := map[string]string{
		plan.KeyOIDCProvider: s.OIDCProvider.ARN, plan.KeyBucket: s.Bucket.ARN, plan.KeyS3Secret: s.S3Secret.ARN,
		plan.KeyS3Policy: s.S3Policy.ARN, plan.KeyBackendRole: s.BackendRole.ARN, plan.KeyProfileRole: s.ProfileRole.ARN,
		plan.KeySecretsRole: s.SecretsRole.ARN, plan.KeySubnetGroup: s.SubnetGroup.ARN,
		plan.KeyParameterGroup: s.ParameterGroup.ARN, plan.KeySecurityGroup: s.SecurityGroup.ID,
		plan.KeyRDSSecret: s.RDSSecret.ARN, plan.KeyInstance: s.Instance.ARN, plan.KeyCSIAddon: s.CSIAddon.ARN,
		plan.KeyKMSKey: s.KMSKey.ARN,
	}
	id, ok := byKey[key]
	if !ok {
		return fmt.Sprintf("(no identifier known for %s)", key)
	}
	if key == plan.KeySecurityGroup && !strings.HasPrefix(id, "sg-") {
		return fmt.Sprintf("(security group id %q)", id)
	}
	return id
}
