package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kfaws/kfaws/internal/verify"
	"github.com/kfaws/kfaws/localstack"
)

// kfaws verify through the root command after kfaws up: the table, -o json, --only, and the exit codes.
func TestVerifyThroughCLI(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	id := fmt.Sprintf("ver%d", time.Now().UnixNano()%1e8)
	cl, err := s.SeedCluster(ctx, id, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "no-kubeconfig"))
	const password = "verify-cli-Password-1"
	t.Setenv("KFAWS_DB_MASTER_PASSWORD", password)
	t.Chdir(t.TempDir())
	flags := []string{"--cluster", cl.Name, "--bucket", id + "-artifacts", "--db-instance-name", id,
		"--db-master-username", "u" + id, "--rds-secret-name", id + "-rds", "--db-subnet-group", id, "--db-name", "kf_" + id}
	if _, errOut, code := run(t, append([]string{"up"}, flags...)...); code != ExitOK {
		t.Fatalf("up: exit %d\n%s", code, errOut)
	}

	out, errOut, code := run(t, append([]string{"verify", "--only", "db,s3"}, flags...)...)
	if code != ExitOK {
		t.Fatalf("verify --only db,s3 after up: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"CHECK", "STATUS", "to fix: ", "db: auth plugin", "ok", "not-yet-initialised",
		"s3: IRSA role permissions", "s3: encryption"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "Verify: ") || strings.Contains(out+errOut, password) {
		t.Errorf("summary missing or password printed:\n%s", errOut)
	}

	// Without cluster access the cluster checks fail, and say what to do; -o json carries the same.
	out, _, code = run(t, append([]string{"verify", "--only", "cluster", "-o", "json"}, flags...)...)
	var doc struct {
		Checks []struct{ Area, Check, Status, Detail, Action string }
		Failed bool
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	if code != ExitVerifyFailed || !doc.Failed || len(doc.Checks) != 1 || doc.Checks[0].Status != "fail" ||
		!strings.Contains(doc.Checks[0].Action, "--kubeconfig") {
		t.Errorf("verify --only cluster without a cluster: exit %d, %+v", code, doc)
	}

	if _, errOut, code := run(t, append([]string{"verify", "--only", "dns"}, flags...)...); code != ExitUsage ||
		!strings.Contains(errOut, `unknown check area "dns"`) {
		t.Errorf("--only dns: exit %d\n%s", code, errOut)
	}
}

func TestVerifyHelpGolden(t *testing.T) {
	out, _, code := run(t, "verify", "--help")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	golden(t, "help-verify", out)
}

// The table and the JSON shape of a fixed report.
func TestVerifyOutputGolden(t *testing.T) {
	r := &verify.Report{Checks: []verify.Check{
		{Area: verify.AreaDB, Name: "auth plugin", Status: verify.Fail, Detail: `user "admin" authenticates with caching_sha2_password`,
			Action: "ALTER USER ..."},
		{Area: verify.AreaDB, Name: "database mlpipeline", Status: verify.NotYetInitialised, Detail: "absent: ml-pipeline creates it when it first starts",
			Action: "start ml-pipeline (kfaws apply) and run verify again"},
		{Area: verify.AreaS3, Name: "encryption", Status: verify.OK, Detail: "default encryption AES256"},
	}}
	var text, js strings.Builder
	if err := printVerifyText(&text, r); err != nil {
		t.Fatal(err)
	}
	if err := printVerifyJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "verify-report", text.String()+"\n"+js.String())
}
