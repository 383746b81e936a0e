package render

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/render/detect"
)

// TestRenderRealTrees runs the single-build checks of TestRenderOneBuild on real Kubeflow manifests checkouts,
// which are not committed: KFAWS_REAL_TREES=DIR[,DIR...], and KFAWS_ARGO_MIRROR=DIR (a clone of
// argoproj/argo-workflows) for trees with the remote Argo base. With -v it also lists the kustomize vars the
// entry points declare and the objects that reference them.
func TestRenderRealTrees(t *testing.T) {
	trees := os.Getenv("KFAWS_REAL_TREES")
	if trees == "" {
		t.Skip("KFAWS_REAL_TREES is unset")
	}
	mirrors := map[string]string{}
	if m := os.Getenv("KFAWS_ARGO_MIRROR"); m != "" {
		mirrors[argoRepo] = m
	}
	modes := []struct {
		opt   config.Option
		creds config.CredentialMode
	}{
		{config.OptionRDSS3, config.CredentialsIRSA}, {config.OptionRDSS3, config.CredentialsStatic},
		{config.OptionRDSOnly, config.CredentialsIRSA},
		{config.OptionS3Only, config.CredentialsIRSA}, {config.OptionS3Only, config.CredentialsStatic},
	}
	for _, tree := range strings.Split(trees, ",") {
		t.Run(filepath.Base(tree)+"/vars", func(t *testing.T) { reportVars(t, tree, mirrors) })
		for _, m := range modes {
			t.Run(filepath.Base(tree)+"/"+string(m.opt)+"-"+string(m.creds), func(t *testing.T) {
				checkRealTree(t, tree, mirrors, testValues(m.opt, m.creds))
			})
		}
	}
}

func checkRealTree(t *testing.T, tree string, mirrors map[string]string, v Values) {
	out := filepath.Join(t.TempDir(), "overlay")
	once, err := (&Render{Manifests: tree, Values: v, OutDir: out, GitMirrors: mirrors}).Run(context.Background())
	if err != nil && strings.Contains(err.Error(), "cannot use IRSA") {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !once.SingleBuild {
		t.Error("the single build fell back to building the entry points and the overlay")
	}
	got, err := once.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if want := fullBuild(t, out, mirrors); !bytes.Equal(got, want) {
		t.Errorf("single build differs from the full build of the written overlay\n%s",
			firstDiff(string(want), string(got)))
	}
	out2 := filepath.Join(t.TempDir(), "overlay") // same depth, so the overlay's relative bases are equal
	twice, err := (&Render{Manifests: tree, Values: v, OutDir: out2, GitMirrors: mirrors, twice: true}).Run(
		context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(overlayText(once.Files), overlayText(twice.Files)) {
		t.Errorf("the single build wrote another overlay than the two-build path\n%s",
			firstDiff(string(overlayText(twice.Files)), string(overlayText(once.Files))))
	}
	if once.Upstream != twice.Upstream || once.Built != twice.Built || !reflect.DeepEqual(once.Removed, twice.Removed) {
		t.Errorf("single build: upstream %d built %d removed %v; two builds: %d %d %v",
			once.Upstream, once.Built, once.Removed, twice.Upstream, twice.Built, twice.Removed)
	}
	t.Logf("%s %s: %d upstream objects, %d built, %d removed, identical", once.Layout.Release, v.Option,
		once.Upstream, once.Built, len(once.Removed))
}

// reportVars builds each entry point with every var declaration taken out, so each reference stays as $(NAME)
// in the output, and logs where each declared var is referenced.
func reportVars(t *testing.T, tree string, mirrors map[string]string) {
	l, err := detect.Detect(tree)
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range []string{l.PipelineEntry, l.KatibEntry} {
		fs := &varStripper{FileSystem: filesys.MakeFsOnDisk(), decls: map[string]string{}}
		m, err := kustomizeBuildFS(context.Background(), fs, filepath.Join(l.Root, entry), normalMirrors(mirrors),
			slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("%s: %v", entry, err)
		}
		names := make([]string, 0, len(fs.decls))
		for n := range fs.decls {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			var users []string
			re := regexp.MustCompile(`\$\(` + regexp.QuoteMeta(n) + `\)`)
			for _, rs := range m.Resources() {
				text, err := rs.AsYAML()
				if err != nil {
					t.Fatal(err)
				}
				if re.Match(text) {
					users = append(users, refOf(rs).String())
				}
			}
			t.Logf("%s: var %s = %s; referenced in %v", entry, n, fs.decls[n], users)
		}
		for _, rs := range m.Resources() {
			text, _ := rs.AsYAML()
			for _, ref := range regexp.MustCompile(`\$\([A-Za-z0-9_.-]+\)`).FindAll(text, -1) {
				if _, declared := fs.decls[string(ref[2:len(ref)-1])]; !declared {
					t.Logf("%s: %s references %s, which no kustomization it builds declares", entry, refOf(rs), ref)
				}
			}
		}
	}
}

// varStripper takes the vars out of every kustomization file kustomize reads, noting each declaration.
type varStripper struct {
	filesys.FileSystem
	mu    sync.Mutex
	decls map[string]string
}

func (f *varStripper) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || !slices.Contains(konfig.RecognizedKustomizationFileNames(), filepath.Base(path)) {
		return data, err
	}
	var k map[string]any
	if yaml.Unmarshal(data, &k) != nil || k["vars"] == nil {
		return data, nil
	}
	f.mu.Lock()
	for _, v := range k["vars"].([]any) {
		vm := v.(map[string]any)
		f.decls[fmt.Sprint(vm["name"])] = fmt.Sprintf("%v %v (%s)", vm["objref"], vm["fieldref"], path)
	}
	f.mu.Unlock()
	delete(k, "vars")
	return yaml.Marshal(k)
}
