package render

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
)

// fullBuild builds the written overlay in dir as `kustomize build dir` would, with the argo mirror.
func fullBuild(t *testing.T, dir string, mirrors map[string]string) []byte {
	t.Helper()
	m, err := kustomizeBuild(context.Background(), dir, normalMirrors(mirrors), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("full build of the written overlay: %v", err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRenderOneBuild: for every release, option and credential mode, the single build gives what a full build of
// the written overlay gives, and the same overlay, counts and removals as building the entry points first.
func TestRenderOneBuild(t *testing.T) {
	mirror := argoMirror(t)
	mirrors := map[string]string{argoRepo: mirror}
	for _, c := range allCases() {
		if c.release == "v1.11" && c.opt.UsesS3() && c.creds == config.CredentialsIRSA {
			continue // refused before any build (TestRender)
		}
		t.Run(c.name(), func(t *testing.T) {
			once, err := runCase(t, c, mirror)
			if err != nil {
				t.Fatal(err)
			}
			if !once.SingleBuild {
				t.Fatal("the single build fell back to building the entry points and the overlay")
			}
			got, err := once.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if want := fullBuild(t, once.OutDir, mirrors); !bytes.Equal(got, want) {
				t.Errorf("single build differs from the full build of the written overlay\n%s",
					firstDiff(string(want), string(got)))
			}

			manifests, out := manifestsDir(t, c.release)
			r := &Render{Manifests: manifests, Values: c.values(), OutDir: out, GitMirrors: mirrors,
				twice: true}
			twice, err := r.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if twice.SingleBuild {
				t.Fatal("twice: the single build ran")
			}
			if !reflect.DeepEqual(overlayText(once.Files), overlayText(twice.Files)) {
				t.Error("the single build wrote another overlay than the two-build path")
			}
			if once.Upstream != twice.Upstream || once.Built != twice.Built ||
				!reflect.DeepEqual(once.Removed, twice.Removed) || !reflect.DeepEqual(once.Warnings, twice.Warnings) {
				t.Errorf("single build: upstream %d built %d removed %v warnings %q; two builds: %d %d %v %q",
					once.Upstream, once.Built, once.Removed, once.Warnings,
					twice.Upstream, twice.Built, twice.Removed, twice.Warnings)
			}
		})
	}
}

// TestRenderOneBuildSkipBuild: --skip-build still writes the overlay the inventory decides, from the single build.
func TestRenderOneBuildSkipBuild(t *testing.T) {
	manifests, out := manifestsDir(t, "v1.10")
	r := &Render{Manifests: manifests, Values: testValues(config.OptionRDSS3, config.CredentialsStatic), OutDir: out,
		SkipBuild: true}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.SingleBuild || res.built() || res.Built != 0 || len(res.Removed) == 0 || res.Upstream == 0 {
		t.Fatalf("skip-build: single %v, objects %v, built %d, removed %v, upstream %d", res.SingleBuild,
			res.built(), res.Built, res.Removed, res.Upstream)
	}
	golden(t, "v1.10/rds-s3-static/overlay.yaml", overlayText(res.Files))
}

// copyTree copies the synthetic tree of release into a temporary directory and returns its root.
func copyTree(t *testing.T, release string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join("testdata", "trees", release), dir).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	return filepath.Join(dir, release)
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, text...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRenderOneBuildFallsBack: where the single build cannot stand for the overlay's own, render builds the
// entry points and then the overlay, and gives what that gives.
func TestRenderOneBuildFallsBack(t *testing.T) {
	generic := filepath.Join("applications", "pipeline", "upstream", "base", "installs", "generic")
	for name, tc := range map[string]struct {
		change func(t *testing.T, root string)
		reason string // in the debug log
	}{
		// A generated mysql-secret gets a hash suffix after the overlay's patches: the inventory, keyed by final
		// names, does not have mysql-secret, so the overlay keeps it, while the probe marked it by its name before the hash.
		"renamed removal": {func(t *testing.T, root string) {
			k := filepath.Join(root, generic, "kustomization.yaml")
			data, err := os.ReadFile(k)
			if err != nil {
				t.Fatal(err)
			}
			data = bytes.Replace(data, []byte("- mysql-secret.yaml\n"), nil, 1)
			data = append(data, "secretGenerator:\n- name: mysql-secret\n  literals: [username=root, password=]\n"...)
			if err := os.WriteFile(k, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "carries the removal mark of Secret/kubeflow/mysql-secret"},
		// A var reading from an object the overlay removes: the overlay's own build cannot resolve it.
		"var from a removed object": {func(t *testing.T, root string) {
			appendFile(t, filepath.Join(root, "applications", "pipeline", "upstream", "third-party", "mysql", "base",
				"kustomization.yaml"), "vars:\n- name: kfp-mysql-service\n  objref: {apiVersion: v1, kind: Service, "+
				"name: mysql}\n  fieldref: {fieldPath: metadata.name}\n")
		}, "a kustomize var reads from Service/kubeflow/mysql"},
	} {
		t.Run(name, func(t *testing.T) {
			root := copyTree(t, "v1.10")
			tc.change(t, root)
			v := testValues(config.OptionRDSS3, config.CredentialsStatic)
			out := filepath.Join(t.TempDir(), "overlay")
			var debug bytes.Buffer
			log := slog.New(slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug}))
			once, onceErr := (&Render{Manifests: root, Values: v, OutDir: out, Logger: log}).Run(context.Background())
			if !strings.Contains(debug.String(), tc.reason) {
				t.Errorf("the debug log does not give the reason %q:\n%s", tc.reason, debug.String())
			}
			out2 := filepath.Join(t.TempDir(), "overlay")
			twice, twiceErr := (&Render{Manifests: root, Values: v, OutDir: out2, twice: true}).Run(context.Background())
			if (onceErr == nil) != (twiceErr == nil) ||
				(onceErr != nil && strings.ReplaceAll(onceErr.Error(), out, out2) != twiceErr.Error()) {
				t.Fatalf("render: %v; two builds: %v", onceErr, twiceErr)
			}
			if once.SingleBuild {
				t.Fatal("the single build stood for the overlay's")
			}
			if onceErr != nil {
				return
			}
			a, _ := once.YAML()
			b, _ := twice.YAML()
			if !bytes.Equal(a, b) || !bytes.Equal(overlayText(once.Files), overlayText(twice.Files)) {
				t.Errorf("render differs from the two-build path\n%s", firstDiff(string(b), string(a)))
			}
		})
	}
}
