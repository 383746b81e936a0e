// Package rendertest gives tests of any package the synthetic Kubeflow release trees under
// internal/render/testdata/trees (written by its mktrees.sh) and a local stand-in for the remote Argo Workflows
// base the v1.11+ trees reference, so they render offline.
package rendertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// ArgoRepo is the remote repository the v1.11+ trees take Argo's workflow controller from.
const ArgoRepo = "https://github.com/argoproj/argo-workflows"

// Tree returns the absolute path of the synthetic tree of release (a directory name under testdata/trees).
func Tree(tb testing.TB, release string) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("cannot locate the rendertest package")
	}
	dir := filepath.Join(filepath.Dir(file), "..", "testdata", "trees", release)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		tb.Fatalf("no synthetic tree %q at %s (run internal/render/testdata/mktrees.sh)", release, dir)
	}
	return dir
}

// ArgoMirror creates a local git repository standing in for argoproj/argo-workflows at tag v3.7.3, holding the
// workflow-controller base the v1.11+ trees reference remotely. Pass it as the mirror of ArgoRepo.
func ArgoMirror(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "argo-workflows.git")
	base := filepath.Join(dir, "manifests", "base", "workflow-controller")
	if err := os.MkdirAll(base, 0o755); err != nil {
		tb.Fatal(err)
	}
	files := map[string]string{
		"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" +
			"- workflow-controller-configmap.yaml\n- workflow-controller-deployment.yaml\n",
		"workflow-controller-configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: workflow-controller-configmap\n",
		"workflow-controller-deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: workflow-controller\n" +
			"spec:\n  selector:\n    matchLabels: {app: workflow-controller}\n  template:\n    metadata:\n" +
			"      labels: {app: workflow-controller}\n    spec:\n      securityContext:\n        runAsNonRoot: true\n" +
			"        seccompProfile: {type: RuntimeDefault}\n      containers:\n      - name: workflow-controller\n" +
			"        image: quay.io/argoproj/workflow-controller:v3.7.3\n        securityContext:\n" +
			"          allowPrivilegeEscalation: false\n          capabilities: {drop: [ALL]}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(base, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "argo base")
	git("tag", "v3.7.3")
	return dir
}
