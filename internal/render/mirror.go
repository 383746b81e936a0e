package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kfaws/kfaws/internal/render/detect"
)

var commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// stageMirrors prepares, under dir, one small git repository per mirrored repository the remote bases use. Each
// holds, for every ref they pin, a commit with only the top-level directories they reference, tagged with the
// ref's name. kustomize checks out a whole repository once per remote reference, which for a large repository
// (Argo Workflows: thousands of files) dominates the build; the staged copies make that a few files. Mirrors
// whose refs are commit ids are used as they are (a new commit cannot carry the same id).
func stageMirrors(ctx context.Context, remotes []detect.Remote, mirrors map[string]string, dir string) (map[string]string, error) {
	type plan struct {
		refs map[string]map[string]bool // ref -> top-level dirs
	}
	plans := map[string]*plan{}
	for _, r := range remotes {
		repo := strings.TrimSuffix(r.Repo(), ".git")
		if _, ok := mirrors[repo]; !ok {
			continue
		}
		p := plans[repo]
		if p == nil {
			p = &plan{refs: map[string]map[string]bool{}}
			plans[repo] = p
		}
		ref := r.Ref()
		if ref == "" {
			ref = "HEAD"
		}
		if p.refs[ref] == nil {
			p.refs[ref] = map[string]bool{}
		}
		p.refs[ref][topDir(r)] = true
	}
	out := make(map[string]string, len(mirrors))
	for repo, m := range mirrors {
		out[repo] = m
	}
	n := 0
	for repo, p := range plans {
		staged := filepath.Join(dir, "mirror-"+strconv.Itoa(n))
		n++
		ok, err := stageRepo(ctx, mirrors[repo], staged, p.refs)
		if err != nil {
			return nil, fmt.Errorf("--git-mirror %s=%s: %w", repo, mirrors[repo], err)
		}
		if ok {
			out[repo] = staged
		}
	}
	return out, nil
}

// topDir is the first directory of the path a remote reference points at inside its repository.
func topDir(r detect.Remote) string {
	u := r.URL
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	rest := strings.TrimPrefix(u, strings.TrimSuffix(r.Repo(), ".git"))
	rest = strings.TrimPrefix(rest, ".git")
	rest = strings.TrimLeft(rest, "/")
	top, _, _ := strings.Cut(rest, "/")
	return top
}

// stageRepo builds the small repository with git plumbing only (no checkout). It reports false when the mirror
// must be used as it is.
func stageRepo(ctx context.Context, mirror, staged string, refs map[string]map[string]bool) (bool, error) {
	src := mirror
	if filepath.IsAbs(src) {
		src = "file://" + src
	}
	for ref, tops := range refs {
		if commitRE.MatchString(ref) || ref == "HEAD" || tops[""] {
			return false, nil
		}
	}
	if err := os.MkdirAll(staged, 0o755); err != nil {
		return false, err
	}
	if _, err := git(ctx, staged, "init", "-q"); err != nil {
		return false, err
	}
	names := make([]string, 0, len(refs))
	for ref := range refs {
		names = append(names, ref)
	}
	sort.Strings(names)
	for _, ref := range names {
		if _, err := git(ctx, staged, "fetch", "-q", "--depth=1", src, ref); err != nil {
			return false, fmt.Errorf("fetching ref %q: %w", ref, err)
		}
		var entries []string
		for top := range refs[ref] {
			line, err := git(ctx, staged, "ls-tree", "FETCH_HEAD", top)
			if err != nil || len(bytes.TrimSpace(line)) == 0 {
				return false, fmt.Errorf("ref %q has no directory %q", ref, top)
			}
			entries = append(entries, strings.TrimSpace(string(line)))
		}
		sort.Strings(entries)
		tree, err := gitIn(ctx, staged, strings.Join(entries, "\n")+"\n", "mktree")
		if err != nil {
			return false, err
		}
		commit, err := gitIn(ctx, staged, "", "-c", "user.name=kfaws", "-c", "user.email=kfaws@localhost",
			"commit-tree", tree, "-m", "kfaws staged "+ref)
		if err != nil {
			return false, err
		}
		if _, err := git(ctx, staged, "tag", "-f", ref, commit); err != nil {
			return false, err
		}
	}
	return true, nil
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	out, err := gitRun(ctx, dir, "", args...)
	return out, err
}

func gitIn(ctx context.Context, dir, stdin string, args ...string) (string, error) {
	out, err := gitRun(ctx, dir, stdin, args...)
	return strings.TrimSpace(string(out)), err
}

func gitRun(ctx context.Context, dir, stdin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
