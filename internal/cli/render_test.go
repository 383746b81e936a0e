package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/state"
)

// renderTree links a synthetic manifests tree of the render package into a temp dir, so printed paths are
// stable, and returns the temp dir.
func renderTree(t *testing.T, release string) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", "render", "testdata", "trees", release))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(abs, filepath.Join(dir, "manifests")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeState(t *testing.T, path string, out state.Outputs) {
	t.Helper()
	data, err := json.Marshal(state.State{Version: state.Version, Name: "test", Outputs: out})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRenderQuiet: -q leaves only the warnings, each with its level, on stderr; the build still goes to stdout.
func TestRenderQuiet(t *testing.T) {
	dir := renderTree(t, "v1.10")
	out, errOut, code := run(t, "render", "-q", "--manifests", filepath.Join(dir, "manifests"), "--state",
		filepath.Join(dir, "state.json"), "--region", "eu-west-1", "--option", "rds-only", "--db-host", "db.example.com",
		"--secrets-role-arn", "arn:aws:iam::123456789012:role/reader", "--build", "-")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "kind: SecretProviderClass") {
		t.Errorf("no build on stdout")
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatal("-q dropped the warnings too")
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "warning: ") {
			t.Errorf("-q printed a report line: %q", l)
		}
	}
}

// TestRenderFromState renders with the values `kfaws up` recorded and checks the summary and the build.
func TestRenderFromState(t *testing.T) {
	dir := renderTree(t, "v1.10")
	st := filepath.Join(dir, "state.json")
	writeState(t, st, state.Outputs{
		Bucket: "team-artifacts", S3Credentials: "irsa", DBHost: "kubeflow-db.xyz.eu-west-1.rds.amazonaws.com",
		DBPort: 3306, RDSSecretName: "rds-secret",
		BackendRoleARN: "arn:aws:iam::123456789012:role/kfaws-t-kfp-backend",
		ProfileRoleARN: "arn:aws:iam::123456789012:role/kfaws-t-kfp-profile",
		SecretsRoleARN: "arn:aws:iam::123456789012:role/kfaws-t-secrets-reader",
	})
	out, errOut, code := run(t, "render", "--manifests", filepath.Join(dir, "manifests"), "--state", st,
		"--region", "eu-west-1", "--option", "rds-s3", "--out", filepath.Join(dir, "overlay"), "--build", "-")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	golden(t, "render-summary", strings.ReplaceAll(errOut, dir, "DIR"))
	for _, want := range []string{"kubeflow-db.xyz.eu-west-1.rds.amazonaws.com", "team-artifacts",
		"kind: SecretProviderClass"} {
		if !strings.Contains(out, want) {
			t.Errorf("built YAML on stdout lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "overlay", "kustomization.yaml")); err != nil {
		t.Errorf("--out did not keep the overlay: %v", err)
	}
}

// TestRenderFlagsOverrideState: brought-your-own values come from flags and win over the state file.
func TestRenderFlagsOverrideState(t *testing.T) {
	dir := renderTree(t, "v1.9")
	out, errOut, code := run(t, "render", "--manifests", filepath.Join(dir, "manifests"),
		"--state", filepath.Join(dir, "absent.json"), "--option", "rds-only", "--region", "us-east-2",
		"--db-host", "mine.example.internal", "--db-port", "3307",
		"--secrets-role-arn", "arn:aws:iam::123456789012:role/mine", "--build", "-")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "mysqlHost: mine.example.internal") || !strings.Contains(out, `mysqlPort: "3307"`) {
		t.Errorf("flags did not reach the install config:\n%s", out)
	}
}

func TestRenderBadInput(t *testing.T) {
	dir := renderTree(t, "26.03")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"no manifests", []string{"render"}, []string{"--manifests is required"}},
		{"unknown tree", []string{"render", "--manifests", dir, "--option", "rds-only", "--region", "us-east-1",
			"--db-host", "h", "--secrets-role-arn", "arn:aws:iam::123456789012:role/r"},
			[]string{"not a Kubeflow manifests tree", "pipeline-install-config.yaml"}},
		{"missing values", []string{"render", "--manifests", filepath.Join(dir, "manifests"), "--option", "s3-only",
			"--state", filepath.Join(dir, "absent.json"), "--region", "us-east-1"},
			[]string{"--bucket", "--backend-role-arn", "--profile-role-arn"}},
		{"remote bases offline", []string{"render", "--manifests", filepath.Join(dir, "manifests"),
			"--state", filepath.Join(dir, "absent.json"), "--option", "rds-only", "--region", "us-east-1",
			"--db-host", "h", "--secrets-role-arn", "arn:aws:iam::123456789012:role/r"},
			[]string{"remote kustomize base", "argo-workflows", "--git-mirror"}},
		{"bad mirror", []string{"render", "--manifests", filepath.Join(dir, "manifests"), "--option", "rds-only",
			"--region", "us-east-1", "--db-host", "h", "--secrets-role-arn", "arn:aws:iam::123456789012:role/r",
			"--git-mirror", "nodir"}, []string{"want URL=DIR"}},
		// KFP 2.5.0: its API server's minio-go predates Pod Identity; refused before anything is written.
		{"pod identity on KFP 2.5", []string{"render", "--manifests", filepath.Join(renderTree(t, "v1.10"), "manifests"),
			"--option", "s3-only", "--identity", "pod-identity", "--region", "us-east-1", "--bucket", "b-artifacts",
			"--state", filepath.Join(dir, "absent.json"),
			"--backend-role-arn", "arn:aws:iam::123456789012:role/b", "--profile-role-arn", "arn:aws:iam::123456789012:role/p"},
			[]string{"KFP 2.5.0 cannot use EKS Pod Identity", "its API server:", "minio-go", "--identity irsa"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := run(t, c.args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d\n%s", code, ExitUsage, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}
