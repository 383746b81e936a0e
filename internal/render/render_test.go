package render

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
)

type renderCase struct {
	release string
	opt     config.Option
	creds   config.CredentialMode
	// users renders with a database user per component (rds.componentUsers).
	users bool
	// ident is "" for irsa, the cases that predate the field.
	ident config.Identity
}

func (c renderCase) name() string {
	suffix := ""
	if c.ident == config.IdentityPodIdentity {
		suffix = "-pod-identity"
	}
	if c.users {
		suffix = "-users" + suffix
	}
	if c.opt == config.OptionRDSOnly {
		return c.release + "/" + string(c.opt) + suffix
	}
	return c.release + "/" + string(c.opt) + "-" + string(c.creds) + suffix
}

// values are the case's Values.
func (c renderCase) values() Values {
	v := testValues(c.opt, c.creds)
	v.Identity, v.ComponentUsers = c.ident, c.users
	return v
}

// podIdentityReleases are the releases whose KFP takes Pod Identity credentials in every component (2.16+).
var podIdentityReleases = []string{"26.03", "26.03.1"}

func allCases() []renderCase {
	var cases []renderCase
	for _, rel := range releases {
		cases = append(cases,
			renderCase{rel, config.OptionRDSS3, config.CredentialsIRSA, false, ""},
			renderCase{rel, config.OptionRDSS3, config.CredentialsStatic, false, ""},
			renderCase{rel, config.OptionRDSOnly, config.CredentialsIRSA, false, ""},
			renderCase{rel, config.OptionRDSOnly, config.CredentialsIRSA, true, ""},
			renderCase{rel, config.OptionS3Only, config.CredentialsIRSA, false, ""},
			renderCase{rel, config.OptionS3Only, config.CredentialsStatic, false, ""},
		)
	}
	for _, rel := range podIdentityReleases {
		pi := config.IdentityPodIdentity
		cases = append(cases,
			renderCase{rel, config.OptionRDSS3, config.CredentialsIRSA, false, pi},
			renderCase{rel, config.OptionRDSS3, config.CredentialsStatic, false, pi},
			renderCase{rel, config.OptionRDSOnly, config.CredentialsIRSA, false, pi},
			renderCase{rel, config.OptionS3Only, config.CredentialsIRSA, false, pi},
		)
	}
	return cases
}

// runCase renders one case with the argo mirror and returns the result.
func runCase(t *testing.T, c renderCase, mirror string) (*Result, error) {
	t.Helper()
	manifests, out := manifestsDir(t, c.release)
	r := &Render{Manifests: manifests, Values: c.values(), OutDir: out,
		GitMirrors: map[string]string{argoRepo: mirror}}
	return r.Run(context.Background())
}

// TestRender renders every release, option and credential mode: golden overlay and built objects, then the
// semantic checks on the built objects.
func TestRender(t *testing.T) {
	mirror := argoMirror(t)
	for _, c := range allCases() {
		t.Run(c.name(), func(t *testing.T) {
			res, err := runCase(t, c, mirror)
			if c.release == "v1.11" && c.opt.UsesS3() && c.creds == config.CredentialsIRSA {
				if err == nil || !strings.Contains(err.Error(), "kubeflow/pipelines#12508") ||
					!strings.Contains(err.Error(), "--s3-credentials static") {
					t.Fatalf("KFP 2.15.0 with IRSA: want a refusal naming the upstream issue and the flag, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name()+"/overlay.yaml", overlayText(res.Files))
			built, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name()+"/built.yaml", built)
			objs := objects(t, built)
			checkBuilt(t, c, res, objs)
		})
	}
}

func TestRenderDetectsReleases(t *testing.T) {
	want := map[string][5]string{
		"v1.7-aws": {"awslabs/kubeflow-manifests", "v1.7", "2.0.0-alpha.7", "v0.15.0", "minio"},
		"v1.8":     {"kubeflow/manifests", "v1.8", "2.0.5", "v0.16.0", "minio"},
		"v1.9":     {"kubeflow/manifests", "v1.9.0", "2.2.0", "v0.17.0", "minio"},
		"v1.9.1":   {"kubeflow/manifests", "v1.9.1", "2.3.0", "v0.17.0", "minio"},
		"v1.10":    {"kubeflow/manifests", "v1.10", "2.5.0", "v0.18.0", "minio"},
		"v1.11":    {"kubeflow/manifests", "v1.11", "2.15.0", "v0.19.0", "seaweedfs"},
		"26.03":    {"kubeflow/manifests", "26.03", "2.16.0", "v0.19.0", "seaweedfs"},
		"26.03.1":  {"kubeflow/community-distribution", "26.03.1", "2.16.1", "v0.19.0", "seaweedfs"},
	}
	if len(want) != len(releases) {
		t.Fatalf("want a detection for each of the %d synthetic trees, have %d", len(releases), len(want))
	}
	mirror := argoMirror(t)
	for rel, w := range want {
		res, err := runCase(t, renderCase{rel, config.OptionRDSOnly, config.CredentialsIRSA, false, ""}, mirror)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		l := res.Layout
		got := [5]string{string(l.Kind), l.Release, l.KFPVersion, l.KatibVersion, string(l.ObjectStore)}
		if got != w {
			t.Errorf("%s: detected %v, want %v", rel, got, w)
		}
	}
}

// TestRenderRemoteBasesOffline: a tree with remote bases and no mirror fails at once with each base named and
// how to vendor it, without running git.
func TestRenderRemoteBasesOffline(t *testing.T) {
	manifests, out := manifestsDir(t, "26.03")
	t.Setenv("PATH", t.TempDir()) // no git on PATH: a clone attempt would fail differently
	r := &Render{Manifests: manifests, Values: testValues(config.OptionRDSS3, config.CredentialsIRSA), OutDir: out}
	_, err := r.Run(context.Background())
	var rb *RemoteBasesError
	if !errors.As(err, &rb) {
		t.Fatalf("want a RemoteBasesError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"https://github.com/argoproj/argo-workflows/manifests/base/workflow-controller?ref=v3.7.3",
		"applications/pipeline/upstream/third-party/argo/base/kustomization.yaml",
		"git clone --mirror https://github.com/argoproj/argo-workflows", "needs ref v3.7.3", "--git-mirror",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestRenderRefusesUnknownTree(t *testing.T) {
	dir := t.TempDir()
	r := &Render{Manifests: dir, Values: testValues(config.OptionRDSS3, config.CredentialsIRSA)}
	_, err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "applications/pipeline/upstream/base/installs/generic/pipeline-install-config.yaml") ||
		!strings.Contains(err.Error(), dir) {
		t.Fatalf("want a refusal naming the directory and the files looked for, got %v", err)
	}
}

func TestRenderMissingValueNamesFlag(t *testing.T) {
	manifests, out := manifestsDir(t, "v1.10")
	v := testValues(config.OptionRDSS3, config.CredentialsIRSA)
	v.DBHost, v.BackendRoleARN = "", ""
	r := &Render{Manifests: manifests, Values: v, OutDir: out}
	_, err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--db-host") || !strings.Contains(err.Error(), "--backend-role-arn") {
		t.Fatalf("want errors naming --db-host and --backend-role-arn, got %v", err)
	}
}

func TestRenderOutDirSafety(t *testing.T) {
	mirror := argoMirror(t)
	manifests, out := manifestsDir(t, "v1.10")
	r := &Render{Manifests: manifests, Values: testValues(config.OptionRDSS3, config.CredentialsIRSA), OutDir: out}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A second render with another option replaces the overlay without leaving the first one's patches.
	r.Values = testValues(config.OptionRDSOnly, config.CredentialsIRSA)
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "pipeline", "api-server.yaml")); !os.IsNotExist(err) {
		t.Errorf("a stale S3 patch survived the rds-only render: %v", err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.OutDir = other
	r.GitMirrors = map[string]string{argoRepo: mirror}
	_, err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("want a refusal to write into a foreign directory, got %v", err)
	}
}

// TestRenderRefusesUnknownContainer: a release whose container names differ must fail the build naming the
// Deployment, not produce a Deployment with an image-less container.
func TestRenderRefusesUnknownContainer(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join("testdata", "trees", "v1.10"), dir).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	dep := filepath.Join(dir, "v1.10", "applications", "pipeline", "upstream", "base", "pipeline", "ml-pipeline-ui-deployment.yaml")
	data, err := os.ReadFile(dep)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dep, []byte(strings.Replace(string(data), "- name: ml-pipeline-ui\n", "- name: frontend\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Render{Manifests: filepath.Join(dir, "v1.10"), Values: testValues(config.OptionS3Only, config.CredentialsIRSA)}
	_, err = r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), `Deployment "ml-pipeline-ui"`) {
		t.Fatalf("want an error naming the Deployment, got %v", err)
	}
}

// TestRenderNetworkFailsFast: with the network allowed, an unreachable remote base makes the build fail with
// a build error naming it instead of waiting (git is refused a connection on a closed local port).
func TestRenderNetworkFailsFast(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join("testdata", "trees", "26.03"), dir).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	k := filepath.Join(dir, "26.03", "applications", "pipeline", "upstream", "third-party", "argo", "base", "kustomization.yaml")
	data, err := os.ReadFile(k)
	if err != nil {
		t.Fatal(err)
	}
	unreachable := strings.Replace(string(data), "https://github.com/", "https://127.0.0.1:1/", 1)
	if err := os.WriteFile(k, []byte(unreachable), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Render{Manifests: filepath.Join(dir, "26.03"), Values: testValues(config.OptionRDSOnly, config.CredentialsIRSA),
		AllowNetwork: true}
	_, err = r.Run(context.Background())
	var be *BuildError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("want a build error naming the unreachable base, got %v", err)
	}
}

func TestRenderHonoursContext(t *testing.T) {
	manifests, out := manifestsDir(t, "v1.10")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &Render{Manifests: manifests, Values: testValues(config.OptionRDSOnly, config.CredentialsIRSA), OutDir: out}
	if _, err := r.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}
