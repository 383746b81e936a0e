package render

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
)

// TestRenderMirrorMissingRef: a mirror on this machine that lacks the ref a remote base pins, or the directory
// it points into, is refused naming the --git-mirror, the ref and the directory.
func TestRenderMirrorMissingRef(t *testing.T) {
	git := func(t *testing.T, dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	for name, tc := range map[string]struct {
		change func(t *testing.T, mirror string)
		want   string
	}{
		"no ref": {func(t *testing.T, mirror string) { git(t, mirror, "tag", "-d", "v3.7.3") },
			`ref "v3.7.3" is not in the mirror`},
		"a file, not a directory": {func(t *testing.T, mirror string) {
			git(t, mirror, "rm", "-rq", "manifests")
			if err := os.WriteFile(filepath.Join(mirror, "manifests"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			git(t, mirror, "add", "manifests")
			git(t, mirror, "commit", "-qm", "a file")
			git(t, mirror, "tag", "-f", "v3.7.3")
		}, `ref "v3.7.3" has no directory "manifests"`},
	} {
		t.Run(name, func(t *testing.T) {
			mirror := argoMirror(t)
			tc.change(t, mirror)
			manifests, out := manifestsDir(t, "26.03")
			r := &Render{Manifests: manifests, Values: testValues(config.OptionRDSOnly, config.CredentialsIRSA),
				OutDir: out, GitMirrors: map[string]string{argoRepo: mirror}}
			_, err := r.Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), "--git-mirror "+argoRepo+"="+mirror) ||
				!strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want a refusal naming the mirror and %s, got %v", tc.want, err)
			}
		})
	}
}

// TestMain keeps the staged mirror copies the tests make out of the user's cache.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kfaws-render-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestRenderStagedMirrorCache: the staged copy of a local mirror is made once, kept in the user's cache and
// reused; without a usable cache directory it is staged for the run alone, with the same result.
func TestRenderStagedMirrorCache(t *testing.T) {
	mirror := argoMirror(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	render := func() []byte {
		t.Helper()
		manifests, out := manifestsDir(t, "26.03")
		r := &Render{Manifests: manifests, Values: testValues(config.OptionRDSOnly, config.CredentialsIRSA),
			OutDir: out, GitMirrors: map[string]string{argoRepo: mirror}}
		res, err := r.Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		y, err := res.YAML()
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
	staged := func() os.FileInfo {
		t.Helper()
		entries, err := filepath.Glob(filepath.Join(cache, "kfaws", "git-mirrors", "*", ".git", "kfaws-staged"))
		if err != nil || len(entries) != 1 {
			t.Fatalf("want one staged copy in the cache, got %v (%v)", entries, err)
		}
		st, err := os.Stat(filepath.Dir(filepath.Dir(entries[0])))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := render()
	before := staged()
	if second := render(); !bytes.Equal(first, second) {
		t.Fatal("the second render, from the cached copy, differs")
	}
	if after := staged(); !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Fatal("the cached copy was staged again")
	}
	t.Setenv("XDG_CACHE_HOME", filepath.Join(cache, "kfaws", "git-mirrors", before.Name(), ".git", "kfaws-staged"))
	if third := render(); !bytes.Equal(first, third) {
		t.Fatal("without a cache directory the render differs")
	}
}
