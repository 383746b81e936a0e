package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kfaws/kfaws/localstack"
)

func TestMain(m *testing.M) { localstack.TestMain(m) }

// setAWSEnv points the standard credential chain at the stack, as a user's environment would.
func setAWSEnv(t *testing.T, env []string) {
	t.Helper()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// The whole AWS lifecycle through the real root command and the SDK's environment configuration:
// plan (changes pending), up, plan again (nothing to do), up again (nothing changed), plan -o json.
func TestLifecycleThroughCLI(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	id := fmt.Sprintf("cli%d", time.Now().UnixNano()%1e8)
	cl, err := s.SeedCluster(ctx, id, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Setenv("AWS_REGION", "us-east-1")
	t.Chdir(t.TempDir())
	flags := []string{"--cluster", cl.Name, "--bucket", id + "-artifacts", "--db-instance-name", id,
		"--db-master-username", "u" + id, "--rds-secret-name", id + "-rds", "--db-subnet-group", id}

	_, errOut, code := run(t, append([]string{"plan", "--detailed-exitcode"}, flags...)...)
	if code != ExitPending || !strings.Contains(errOut, "To apply it, run: kfaws up") {
		t.Fatalf("first plan: exit %d\n%s", code, errOut)
	}
	upOut, errOut, code := run(t, append([]string{"up", "-vv"}, flags...)...)
	if code != ExitOK || !strings.Contains(errOut, "✓ create DB instance") || !strings.Contains(errOut, "Done:") {
		t.Fatalf("up: exit %d\n%s", code, errOut)
	}
	// Even with debug logging, the generated master password appears nowhere: not on stdout, stderr or in the state.
	password := secretValue(t, s, "us-east-1", id+"-rds", "password")
	state, _ := os.ReadFile(filepath.Join(".kfaws", cl.Name+".state.json"))
	for where, text := range map[string]string{"stdout": upOut, "stderr": errOut, "state file": string(state)} {
		if strings.Contains(text, password) {
			t.Errorf("the master password appears in %s", where)
		}
	}
	if _, err := os.Stat(filepath.Join(".kfaws", cl.Name+".state.json")); err != nil {
		t.Errorf("state file: %v", err)
	}
	_, errOut, code = run(t, append([]string{"plan", "--detailed-exitcode"}, flags...)...)
	if code != ExitOK || !strings.Contains(errOut, "Everything is in place") {
		t.Errorf("plan after up: exit %d\n%s", code, errOut)
	}
	_, errOut, code = run(t, append([]string{"up"}, flags...)...)
	if code != ExitOK || !strings.Contains(errOut, "Nothing to do") {
		t.Errorf("second up: exit %d\n%s", code, errOut)
	}
	out, _, code := run(t, append([]string{"plan", "-o", "json"}, flags...)...)
	var doc struct {
		Resources []struct{ Key, Action string }
		Summary   struct{ Changes bool }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != ExitOK || doc.Summary.Changes || len(doc.Resources) < 10 {
		t.Errorf("plan -o json: exit %d, %v, %+v\n%s", code, err, doc, out)
	}
}

// Per-service endpoint overrides win over the global one, as in the AWS CLI: with AWS_ENDPOINT_URL pointing
// nowhere and every service's own variable pointing at the stack, plan still works.
func TestPerServiceEndpointOverrides(t *testing.T) {
	s := localstack.Shared(t)
	cl, err := s.SeedCluster(context.Background(), fmt.Sprintf("ep%d", time.Now().UnixNano()%1e8), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	for _, svc := range []string{"STS", "EC2", "EKS", "IAM", "SECRETS_MANAGER", "RDS", "S3"} {
		t.Setenv("AWS_ENDPOINT_URL_"+svc, s.Endpoint)
	}
	t.Chdir(t.TempDir())
	_, errOut, code := run(t, "plan", "--cluster", cl.Name, "--bucket", cl.Name+"-bucket")
	if code != ExitOK {
		t.Fatalf("plan with per-service endpoints: exit %d\n%s", code, errOut)
	}
}

func TestConflictExitCode(t *testing.T) {
	s := localstack.Shared(t)
	cl, err := s.SeedCluster(context.Background(), fmt.Sprintf("cf%d", time.Now().UnixNano()%1e8), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Chdir(t.TempDir())
	// A subnet group name in another VPC: the one of a second cluster, created by hand.
	other, err := s.SeedCluster(context.Background(), cl.Name+"-o", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.AWSConfig(context.Background(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := createSubnetGroup(cfg, cl.Name, other.PrivateSubnetIDs); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "up", "--cluster", cl.Name, "--bucket", cl.Name+"-bucket", "--db-subnet-group", cl.Name)
	if code != ExitConflict || !strings.Contains(errOut, "conflict") || !strings.Contains(out, "conflict") {
		t.Errorf("up with a conflict: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
