package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// run executes the real root command and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from its golden file (go test ./internal/cli -update to accept):\n%s", name, got)
	}
}

func TestHelpGolden(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"plan", "--help"}, {"up", "--help"}, {"init", "--help"}, {"render", "--help"}, {"down", "--help"}, {"apply", "--help"}, {"migrate", "--help"}} {
		out, _, code := run(t, args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d", args, code)
		}
		name := "help"
		if len(args) > 1 {
			name = "help-" + args[0]
		}
		golden(t, name, out)
	}
}

func TestInitGolden(t *testing.T) {
	out, _, code := run(t, "init", "--cluster", "prod-ml", "--region", "us-west-2", "--bucket", "prod-ml-artifacts")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	golden(t, "init", out)
}

func TestInitRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kfaws.yaml")
	if _, _, code := run(t, "init", "--cluster", "a", "--out", path); code != ExitOK {
		t.Fatalf("first init: exit %d", code)
	}
	_, errOut, code := run(t, "init", "--cluster", "b", "--out", path)
	if code != ExitUsage || !strings.Contains(errOut, "--force") {
		t.Errorf("second init: exit %d, %q", code, errOut)
	}
}

// Bad input fails with exit code 2, names the field, and touches nothing: no state file, no AWS call (there is no
// AWS endpoint or credential here at all, so any call would fail differently).
func TestBadInputTouchesNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	badFile := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badFile, []byte("apiVersion: kfaws.dev/v1alpha1\nkind: Installation\nclustr: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"plan", "--region", "us-west-2"}, []string{"cluster: required", "s3.bucket: required"}},
		{[]string{"up", "--cluster", "c", "--region", "us-west-2", "--bucket", "Bad_Bucket"}, []string{`s3.bucket "Bad_Bucket"`}},
		{[]string{"up", "--cluster", "c", "--region", "mars-1", "--bucket", "ok-bucket", "--db-allocated-storage", "5"}, []string{`region "mars-1"`, "rds.allocatedStorage"}},
		{[]string{"plan", "--option", "everything"}, []string{"--option", "rds-s3, rds-only, s3-only"}},
		{[]string{"plan", "-o", "yaml"}, []string{"--output", "text, json"}},
		{[]string{"up", "--config", badFile}, []string{"unknown field", "clustr"}},
		{[]string{"up", "--config", filepath.Join(dir, "missing.yaml")}, []string{"missing.yaml"}},
		{[]string{"plan", "extra-arg"}, []string{"unknown command"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, errOut, code := run(t, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitUsage, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, ".kfaws")); err == nil {
		t.Error("a failed validation created the state directory")
	}
}

func TestSecretsFromEnvNeverPrinted(t *testing.T) {
	t.Setenv("KFAWS_S3_SECRET_ACCESS_KEY", "very-secret-value")
	t.Setenv("KFAWS_S3_ACCESS_KEY_ID", "bad")
	t.Setenv("KFAWS_DB_MASTER_PASSWORD", "another-secret")
	out, errOut, code := run(t, "plan", "--cluster", "c", "--region", "us-west-2", "--bucket", "ok-bucket", "--s3-credentials", "static")
	if code != ExitUsage {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"very-secret-value", "another-secret"} {
		if strings.Contains(out+errOut, s) {
			t.Errorf("output contains a secret: %s", errOut)
		}
	}
}
