package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// TestExitCodes holds every command to the one table of exit codes (kfaws --help): each failure class of each
// command, through the real root command, against the local AWS stack where AWS is involved.
func TestExitCodes(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	id := fmt.Sprintf("ex%d", time.Now().UnixNano()%1e8)
	cl, err := s.SeedCluster(ctx, id, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Setenv("AWS_REGION", "us-east-1")
	t.Chdir(t.TempDir())
	flags := []string{"--cluster", cl.Name, "--bucket", id + "-artifacts", "--db-instance-name", id,
		"--db-master-username", "u" + id, "--rds-secret-name", id + "-rds", "--db-subnet-group", id,
		"--csi-driver", "manifests"}
	if err := os.WriteFile("bad.yaml", []byte("apiVersion: kfaws.dev/v1alpha1\nkind: Installation\nbukcet: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	closed := closedPort(t)
	cases := []struct {
		name  string
		setup func(t *testing.T)
		args  []string
		code  int
		says  string
	}{
		{"unknown command", nil, []string{"plann"}, ExitUsage, "did you mean plan"},
		{"version", nil, []string{"version"}, ExitOK, ""},
		{"bad flag", nil, []string{"plan", "--no-such-flag"}, ExitUsage, "unknown flag"},
		{"init bad value", nil, []string{"init", "--cluster", "Prod_ML"}, ExitUsage, ""},
		{"plan bad config", nil, []string{"plan", "--config", "bad.yaml"}, ExitUsage, `"bukcet"`},
		{"render bad config", nil, []string{"render", "--config", "bad.yaml", "--manifests", "."}, ExitUsage, `"bukcet"`},
		{"apply bad config", nil, []string{"apply", "--config", "bad.yaml", "--filename", "-"}, ExitUsage, `"bukcet"`},
		{"verify bad config", nil, []string{"verify", "--config", "bad.yaml"}, ExitUsage, `"bukcet"`},
		{"up bad config", nil, []string{"up", "--config", "bad.yaml"}, ExitUsage, `"bukcet"`},
		{"render not a tree", nil, append([]string{"render", "--manifests", "."}, flags...), ExitUsage,
			"not a Kubeflow manifests tree"},
		{"plan unreachable AWS", func(t *testing.T) { t.Setenv("AWS_ENDPOINT_URL", closed) },
			append([]string{"plan"}, flags...), ExitFailure, "cannot reach AWS"},
		{"plan pending", nil, append([]string{"plan", "--detailed-exitcode"}, flags...), ExitPending, "To apply it"},
		{"kms key of another form", nil, append([]string{"plan", "--kms-key", "my-key"}, flags...), ExitUsage, "kms.key"},
		{"up with a missing kms key", nil, append([]string{"up", "--kms-key", "alias/no-such-key"}, flags...), ExitUsage,
			`KMS key "alias/no-such-key" (kms.key) does not exist`},
		{"adopt bad config", nil, []string{"adopt", "--config", "bad.yaml"}, ExitUsage, `"bukcet"`},
		{"adopt bad metadata", nil, []string{"init", "--from-awslabs-metadata", "bad.yaml"}, ExitUsage, "invalid awslabs metadata"},
		{"adopt finds nothing", nil, append([]string{"adopt", "--dry-run"}, flags...), ExitFailure, "nothing was recorded"},
		{"migrate bad config", nil, []string{"migrate", "--config", "bad.yaml"}, ExitUsage, `"bukcet"`},
		{"migrate bad part", nil, append([]string{"migrate", "--only", "tables"}, flags...), ExitUsage, "the parts are databases and objects"},
		{"migrate before up", nil, append([]string{"migrate"}, flags...), ExitUsage, "run kfaws up first"},
		{"up fails after changes", func(t *testing.T) {
			if err := s.InjectFault("rds:CreateDBInstance", proxy.Fault500, 10, 0); err != nil {
				t.Fatal(err)
			}
		}, append([]string{"up"}, flags...), ExitFailure, "run kfaws up again to resume"},
		{"up resumes", nil, append([]string{"up"}, flags...), ExitOK, "Done:"},
		{"migrate without a cluster", nil, append([]string{"migrate", "--kubeconfig", filepath.Join(t.TempDir(), "none")}, flags...),
			ExitUsage, "through the cluster"},
		{"adopt of kfaws's own", nil, append([]string{"adopt"}, flags...), ExitOK, "Nothing to adopt"},
		{"plan nothing pending", nil, append([]string{"plan", "--detailed-exitcode"}, flags...), ExitOK, "Everything is in place"},
		// Under a new secret name the existing instance's password must be given, and it is not the instance's.
		{"up wrong password for the existing instance", func(t *testing.T) { t.Setenv("KFAWS_DB_MASTER_PASSWORD", "Not-its-pass-1") },
			append(append([]string{"up"}, flags...), "--rds-secret-name", id+"-given"), ExitUsage, "KFAWS_DB_MASTER_PASSWORD does not log in"},
		{"plan conflict", nil, append([]string{"plan", "--s3-secret-name", id + "-rds", "--s3-credentials", "static"},
			append(flags[:len(flags):len(flags)], "--rds-secret-name", id+"-other")...), ExitConflict, "conflict"},
		{"verify fails a check", nil, append([]string{"verify", "--only", "cluster", "--kubeconfig",
			filepath.Join(t.TempDir(), "none")}, flags...), ExitVerifyFailed, ""},
		{"down bad config", nil, []string{"down", "--config", "bad.yaml"}, ExitUsage, `"bukcet"`},
		{"down unreachable cluster", nil, append([]string{"down", "--yes", "--kubeconfig", filepath.Join(t.TempDir(), "none")},
			flags...), ExitUsage, "--skip-cluster"},
		{"down unconfirmed", nil, append([]string{"down", "--skip-cluster"}, flags...), ExitUsage, "pass --yes"},
		{"down dry run", nil, append([]string{"down", "--skip-cluster", "--dry-run"}, flags...), ExitOK, "Nothing was changed"},
		{"down fails after changes", func(t *testing.T) {
			if err := s.InjectFault("iam:DeleteRole", proxy.Fault500, 100, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.ClearFaults)
		}, append([]string{"down", "--skip-cluster", "--yes"}, flags...), ExitFailure, "run kfaws down again to resume"},
		{"down resumes", nil, append([]string{"down", "--skip-cluster", "--yes"}, flags...), ExitOK, "Done:"},
		{"down of nothing", nil, append([]string{"down", "--skip-cluster", "--yes"}, flags...), ExitOK, "Nothing to delete"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup(t)
			}
			out, errOut, code := run(t, c.args...)
			if code != c.code || !strings.Contains(errOut, c.says) {
				t.Errorf("kfaws %s: exit %d, want %d with %q in stderr:\n%s", strings.Join(c.args, " "), code, c.code, c.says, errOut)
			}
			if pw := os.Getenv("KFAWS_DB_MASTER_PASSWORD"); pw != "" && strings.Contains(out+errOut, pw) {
				t.Errorf("kfaws %s printed the master password", strings.Join(c.args, " "))
			}
		})
	}
}

// closedPort is an http:// URL on a local port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}
