package detect

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func TestDecideFamily(t *testing.T) {
	with := func(files ...string) fstest.MapFS {
		m := fstest.MapFS{}
		for _, f := range files {
			m[f] = &fstest.MapFile{Data: []byte("x")}
		}
		return m
	}
	readme := func(text string) fstest.MapFS { return fstest.MapFS{"README.md": {Data: []byte(text)}} }
	cases := []struct {
		name   string
		fs     fstest.MapFS
		origin string
		want   Kind
	}{
		{"README of v1.10", readme("git clone https://github.com/kubeflow/manifests.git"), "", KindUpstream},
		{"README after the rename", readme("see https://github.com/kubeflow/community-distribution/issues"), "", KindCommunity},
		{"26.03.1 folders, old README", func() fstest.MapFS {
			m := with("applications/dashboard/k.yaml", "applications/hub/k.yaml", "applications/pipeline/k.yaml")
			m["README.md"] = &fstest.MapFile{Data: []byte("https://github.com/kubeflow/manifests")}
			return m
		}(), "", KindCommunity},
		{"26.03 folders", with("applications/centraldashboard/k.yaml", "applications/profiles/k.yaml"), "", KindUpstream},
		{"both layouts", with("applications/centraldashboard/k.yaml", "applications/hub/k.yaml"), "", KindUpstream},
		{"no README, origin names the new repository", fstest.MapFS{}, "https://github.com/kubeflow/community-distribution.git", KindCommunity},
		{"origin names the old repository", fstest.MapFS{}, "git@github.com:kubeflow/manifests.git", KindUpstream},
		{"files win over an old origin", with("applications/workspaces/k.yaml"), "https://github.com/kubeflow/manifests", KindCommunity},
		{"nothing to go by", fstest.MapFS{}, "", KindUpstream},
	}
	for _, c := range cases {
		if got := decideFamily(c.fs, c.origin); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestRefNames(t *testing.T) {
	yes := [][2]string{{"v1.10.2", "v1.10"}, {"v1.10-branch", "v1.10"}, {"v1.9.1", "v1.9.1"}, {"v1.9.1-branch", "v1.9.1"},
		{"release-26.03.1", "26.03.1"}, {"26.03", "26.03"}, {"release-26.03", "26.03"}, {"v1.7.0-aws-b1.0.3", "v1.7"},
		{"v1.8.1", "v1.8"}}
	no := [][2]string{{"master", "26.03"}, {"v1.9-branch", "v1.9.0"}, {"release-26.03.1", "26.03"},
		{"v1.10.2", "v1.1"}, {"my-feature", "v1.10"}}
	for _, c := range yes {
		if !refNames(c[0], c[1]) {
			t.Errorf("ref %q should name release %q", c[0], c[1])
		}
	}
	for _, c := range no {
		if refNames(c[0], c[1]) {
			t.Errorf("ref %q should not name release %q", c[0], c[1])
		}
	}
}

// gitTree copies a synthetic tree into a fresh git repository with one commit and returns its path and a git
// runner for it.
func gitTree(t *testing.T, release string) (string, func(args ...string)) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := filepath.Join(t.TempDir(), "manifests")
	src, _ := filepath.Abs(filepath.Join("..", "testdata", "trees", release))
	if out, err := exec.Command("cp", "-r", src, dir).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "master")
	git("add", ".")
	git("commit", "-q", "-m", "tree")
	return dir, git
}

func TestDetectGitCheckout(t *testing.T) {
	ctx := context.Background()
	dir, git := gitTree(t, "26.03.1")
	git("checkout", "-q", "-b", "release-26.03.1")
	l, err := DetectContext(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Name() + ": " + l.Describe(); got != "kubeflow/community-distribution release-26.03.1: KFP 2.16.1 "+
		"(as shipped in 26.03.1), Katib v0.19.0, object store seaweedfs" {
		t.Errorf("branch checkout: %s", got)
	}

	dir, git = gitTree(t, "26.03")
	git("remote", "add", "origin", "https://github.com/kubeflow/manifests.git")
	l, err = DetectContext(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Name() + ": " + l.Describe(); got != "kubeflow/manifests master: KFP 2.16.0 (the wiring of 26.03), "+
		"Katib v0.19.0, object store seaweedfs" {
		t.Errorf("master: %s", got)
	}
	git("tag", "26.03")
	if l, _ = DetectContext(ctx, dir); l.Ref != "26.03" || l.Describe()[:30] != "KFP 2.16.0 (as shipped in 26.0" {
		t.Errorf("an exact tag wins over the branch: ref %q, %s", l.Ref, l.Describe())
	}
	git("remote", "set-url", "origin", "https://github.com/kubeflow/community-distribution.git")
	if l, _ = DetectContext(ctx, dir); l.Kind != KindCommunity {
		t.Errorf("an origin naming community-distribution: family %s", l.Kind)
	}
	git("checkout", "-q", "--detach", "HEAD")
	git("tag", "-d", "26.03")
	if l, _ = DetectContext(ctx, dir); l.Ref != "" || l.Name() != "kubeflow/community-distribution" {
		t.Errorf("detached without a tag: ref %q name %q", l.Ref, l.Name())
	}
}

// TestDetectGitOnlyAtTheTop: a tree vendored inside another repository gets no ref of that repository, and a
// missing git never fails detection.
func TestDetectGitOnlyAtTheTop(t *testing.T) {
	ctx := context.Background()
	dir, git := gitTree(t, "v1.10")
	git("tag", "v9.9.9")
	l, err := DetectContext(ctx, filepath.Join(dir, "applications", ".."))
	if err != nil || l.Ref != "v9.9.9" {
		t.Fatalf("top of the checkout: ref %q, %v", l.Ref, err)
	}
	outer := filepath.Dir(dir)
	if err := os.Rename(filepath.Join(dir, ".git"), filepath.Join(outer, ".git")); err != nil {
		t.Fatal(err)
	}
	if l, err = DetectContext(ctx, dir); err != nil || l.Ref != "" {
		t.Errorf("vendored tree: ref %q (the outer repository's), %v", l.Ref, err)
	}
	t.Setenv("PATH", t.TempDir())
	if l, err = DetectContext(ctx, dir); err != nil || l.Ref != "" || l.Release != "v1.10" {
		t.Errorf("without git: %+v, %v", l, err)
	}
}
