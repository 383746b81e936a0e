package render

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/render/detect"
)

// TestLimitsOneStatementPerMode: on KFP 2.0.x (no launcher providers block) each credential mode gets one true
// statement about v2 pipelines, and no warning contradicts it; later KFP gets none.
func TestLimitsOneStatementPerMode(t *testing.T) {
	for _, rel := range releases {
		root := filepath.Join("testdata", "trees", rel)
		for _, creds := range []config.CredentialMode{config.CredentialsIRSA, config.CredentialsStatic} {
			l := detectTree(t, root)
			warn, err := limits(l, testValues(config.OptionRDSS3, creds))
			if rel == "v1.11" && creds == config.CredentialsIRSA {
				if err == nil || !strings.Contains(err.Error(), "kubeflow/pipelines#12508") ||
					!strings.Contains(err.Error(), "--s3-credentials static") || !strings.Contains(err.Error(), "26.03") {
					t.Errorf("KFP 2.15.0 with IRSA: want a refusal naming the issue and both ways out, got %v", err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s %s: %v", rel, creds, err)
				continue
			}
			var v2 []string
			for _, w := range warn {
				if strings.Contains(w, "v2 pipeline") {
					v2 = append(v2, w)
				}
			}
			if l.Caps.LauncherProviders {
				if len(v2) != 0 {
					t.Errorf("%s %s: KFP %s reads the providers block, yet warns %v", rel, creds, l.KFPVersion, v2)
				}
				continue
			}
			if len(v2) != 1 {
				t.Errorf("%s %s: want one statement about v2 pipelines, got %v", rel, creds, v2)
				continue
			}
			all := strings.Join(warn, "\n")
			if creds == config.CredentialsIRSA {
				for _, want := range []string{"environment credentials", "IRSA role of the profile's default-editor",
					"region the IRSA webhook injects"} {
					if !strings.Contains(v2[0], want) {
						t.Errorf("%s irsa: %q lacks %q", rel, v2[0], want)
					}
				}
				if strings.Contains(all, "static") {
					t.Errorf("%s irsa: a warning points at static keys: %s", rel, all)
				}
			} else {
				for _, want := range []string{"cannot use the synced S3 keys", "use_secret_as_env with mlpipeline-minio-artifact",
					"v1 pipelines are not affected", "--s3-credentials irsa"} {
					if !strings.Contains(v2[0], want) {
						t.Errorf("%s static: %q lacks %q", rel, v2[0], want)
					}
				}
				if strings.Contains(all, "IRSA role") {
					t.Errorf("%s static: a warning speaks of IRSA roles: %s", rel, all)
				}
			}
		}
	}
}

// TestRenderNewerKFP: a KFP newer than kfaws knows renders with the newest wiring and says so.
func TestRenderNewerKFP(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join("testdata", "trees", "26.03.1"), dir).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	root := filepath.Join(dir, "26.03.1")
	cfg := filepath.Join(root, "applications", "pipeline", "upstream", "base", "installs", "generic", "pipeline-install-config.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "appVersion: 2.16.1", "appVersion: 2.17.0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &Render{Manifests: root, Values: testValues(config.OptionRDSS3, config.CredentialsIRSA),
		GitMirrors: map[string]string{argoRepo: argoMirror(t)}}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatalf("a newer KFP must render, got %v", err)
	}
	if res.Layout.Wiring != "26.03.1" || res.Built == 0 {
		t.Errorf("wiring %q, built %d", res.Layout.Wiring, res.Built)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "KFP 2.17.0 is newer") {
		t.Errorf("first warning should name the newer version: %v", res.Warnings)
	}
}

// detectTree detects a synthetic tree from its files only (the trees sit inside this repository's checkout).
func detectTree(t *testing.T, root string) *detect.Layout {
	t.Helper()
	l, err := detect.DetectFS(os.DirFS(root), root)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
