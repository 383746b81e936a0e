package render

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// releases are the synthetic trees under testdata/trees (written by testdata/mktrees.sh).
var releases = []string{"v1.7-aws", "v1.8", "v1.9", "v1.9.1", "v1.10", "v1.11", "26.03", "26.03.1"}

const argoRepo = "https://github.com/argoproj/argo-workflows"

// testValues are what `kfaws up` would have recorded for a test installation.
func testValues(opt config.Option, creds config.CredentialMode) Values {
	return Values{
		Option: opt, Credentials: creds, Region: "us-west-2",
		DBHost: "kubeflow-db.abcdefghij.us-west-2.rds.amazonaws.com", DBPort: 3306,
		RDSSecretName: "rds-secret", SecretsRoleARN: "arn:aws:iam::123456789012:role/kfaws-test-secrets-reader",
		Bucket: "kfaws-test-artifacts", S3SecretName: "s3-secret",
		BackendRoleARN:   "arn:aws:iam::123456789012:role/kfaws-test-kfp-backend",
		ProfileRoleARN:   "arn:aws:iam::123456789012:role/kfaws-test-kfp-profile",
		ProfileNamespace: "kubeflow-user-example-com",
	}
}

// manifestsDir links the synthetic tree of release into a fresh directory next to an overlay directory, so the
// overlay's relative references (and so the golden files) do not depend on where the test runs.
func manifestsDir(t *testing.T, release string) (manifests, out string) {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("testdata", "trees", release))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	manifests = filepath.Join(dir, "manifests")
	if err := os.Symlink(abs, manifests); err != nil {
		t.Fatal(err)
	}
	return manifests, filepath.Join(dir, "overlay")
}

// argoMirror creates a local git repository standing in for argoproj/argo-workflows at tag v3.7.3, holding the
// workflow-controller base the v1.11+ trees reference remotely (with the base's securityContexts,
// argo-workflows@v3.7.3:manifests/base/workflow-controller/workflow-controller-deployment.yaml).
func argoMirror(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "argo-workflows.git")
	base := filepath.Join(dir, "manifests", "base", "workflow-controller")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n" +
			"- workflow-controller-configmap.yaml\n- workflow-controller-deployment.yaml\n",
		"workflow-controller-configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: workflow-controller-configmap\n",
		"workflow-controller-deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: workflow-controller\n" +
			"spec:\n  selector:\n    matchLabels: {app: workflow-controller}\n  template:\n    metadata:\n" +
			"      labels: {app: workflow-controller}\n    spec:\n      securityContext: {runAsNonRoot: true}\n" +
			"      containers:\n      - name: workflow-controller\n" +
			"        image: quay.io/argoproj/workflow-controller:v3.7.3\n" +
			"        securityContext: {readOnlyRootFilesystem: true, runAsNonRoot: true, allowPrivilegeEscalation: false, " +
			"capabilities: {drop: [ALL]}}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(base, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "argo base")
	git("tag", "v3.7.3")
	return dir
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", "golden", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading golden file (run go test ./internal/render -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended run go test ./internal/render -update\n%s",
			p, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + a + "\n  got:  " + b
		}
	}
	return ""
}

// overlayText concatenates the overlay files in name order, each under a header line.
func overlayText(files map[string][]byte) []byte {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		b.WriteString("### " + n + "\n")
		b.Write(files[n])
		if !bytes.HasSuffix(files[n], []byte("\n")) {
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

// objects parses a YAML stream into generic objects.
func objects(t *testing.T, stream []byte) []obj {
	t.Helper()
	var out []obj
	for _, doc := range strings.Split(string(stream), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var o obj
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("parsing built object: %v\n%s", err, doc)
		}
		out = append(out, o)
	}
	return out
}
