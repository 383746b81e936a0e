package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/kube/kubetest"
)

// kfpRelease is a stand-in for a release's stream: the kubeflow namespace and the ConfigMap that pins KFP.
func kfpRelease(version string) string {
	return `apiVersion: v1
kind: Namespace
metadata: {name: kubeflow}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: pipeline-install-config, namespace: kubeflow}
data: {appName: pipeline, appVersion: "` + version + `"}
`
}

// "kfaws apply" refuses an older KFP than the running one with exit code 2 and changes nothing; --allow-downgrade
// applies it. With the databases in the cluster (s3-only) there is no RDS snapshot to take: a change is applied
// with a warning that says so.
func TestApplyRefusesAKFPDowngrade(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	kubeconfig := env.Kubeconfig(t)
	dir := t.TempDir()
	file := func(version string) string {
		p := filepath.Join(dir, version+".yaml")
		if err := os.WriteFile(p, []byte(kfpRelease(version)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := []string{"apply", "--name", "upgradetest", "--option", "s3-only", "--kubeconfig", kubeconfig,
		"--csi-driver", "skip", "--wait=false", "--filename"}
	if _, errOut, code := run(t, append(base, file("2.5.0"))...); code != ExitOK || strings.Contains(errOut, "KFP") {
		t.Fatalf("fresh apply of KFP 2.5.0: exit %d\n%s", code, errOut)
	}
	_, errOut, code := run(t, append(base, file("2.15.0"))...)
	if code != ExitOK || !strings.Contains(errOut, "! KFP upgrade 2.5.0 → 2.15.0: its databases are in the cluster (option s3-only)") {
		t.Fatalf("upgrade to KFP 2.15.0: exit %d, want 0 with a warning\n%s", code, errOut)
	}
	out, errOut, code := run(t, append(base, file("2.5.0"))...)
	if code != ExitUsage || out != "" || !strings.Contains(errOut, "the manifests pin KFP 2.5.0, older than KFP 2.15.0") ||
		!strings.Contains(errOut, "--allow-downgrade") {
		t.Errorf("downgrade to KFP 2.5.0: exit %d, want %d with nothing applied\nstdout:\n%s\nstderr:\n%s", code, ExitUsage, out, errOut)
	}
	out, errOut, code = run(t, append(base, file("2.5.0"), "--allow-downgrade")...)
	if code != ExitOK || !strings.Contains(out, "ConfigMap/kubeflow/pipeline-install-config configured") ||
		!strings.Contains(errOut, "! KFP downgrade 2.15.0 → 2.5.0") {
		t.Errorf("downgrade with --allow-downgrade: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
