package render

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
		use, err := stageRepo(ctx, mirrors[repo], staged, p.refs)
		if err != nil {
			return nil, fmt.Errorf("--git-mirror %s=%s: %w", repo, mirrors[repo], err)
		}
		if use != "" {
			out[repo] = use
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

// stageRepo builds the small repository with git plumbing only (no checkout), in staged or, from a mirror on this
// machine, in the user's cache, and returns where it is; "" when the mirror must be used as it is.
func stageRepo(ctx context.Context, mirror, staged string, refs map[string]map[string]bool) (string, error) {
	src := mirror
	if filepath.IsAbs(src) {
		src = "file://" + src
	}
	for ref, tops := range refs {
		if commitRE.MatchString(ref) || ref == "HEAD" || strings.HasPrefix(ref, "-") || tops[""] {
			return "", nil
		}
		for top := range tops {
			if strings.ContainsAny(top, "\"\n") {
				return "", nil
			}
		}
	}
	names := make([]string, 0, len(refs))
	for ref := range refs {
		names = append(names, ref)
	}
	sort.Strings(names)
	if st, err := os.Stat(mirror); err == nil && st.IsDir() {
		return stageLocal(ctx, mirror, staged, names, refs)
	}
	if err := os.MkdirAll(staged, 0o755); err != nil {
		return "", err
	}
	if _, err := git(ctx, staged, "init", "-q"); err != nil {
		return "", err
	}
	for _, ref := range names {
		if _, err := git(ctx, staged, "fetch", "-q", "--depth=1", src, ref); err != nil {
			return "", fmt.Errorf("fetching ref %q: %w", ref, err)
		}
		var entries []string
		for top := range refs[ref] {
			line, err := git(ctx, staged, "ls-tree", "FETCH_HEAD", top)
			if err != nil || len(bytes.TrimSpace(line)) == 0 {
				return "", fmt.Errorf("ref %q has no directory %q", ref, top)
			}
			entries = append(entries, strings.TrimSpace(string(line)))
		}
		sort.Strings(entries)
		tree, err := gitIn(ctx, staged, strings.Join(entries, "\n")+"\n", "mktree")
		if err != nil {
			return "", err
		}
		commit, err := gitIn(ctx, staged, "", "-c", "user.name=kfaws", "-c", "user.email=kfaws@localhost",
			"commit-tree", tree, "-m", "kfaws staged "+ref)
		if err != nil {
			return "", err
		}
		if _, err := git(ctx, staged, "tag", "-f", ref, commit); err != nil {
			return "", err
		}
	}
	return staged, nil
}

// stageLocal builds the staged repository from a mirror on this machine without copying the mirror's objects
// through a fetch: fetching even one commit at depth 1 packs the whole tree at that ref, which for Argo Workflows
// costs more than building KFP. One rev-parse resolves every ref and directory. What it stages depends on nothing
// else, so it is kept in the user's cache under a name derived from those, and later renders only resolve them
// (staged, in the run's temporary directory, when there is no cache).
func stageLocal(ctx context.Context, mirror, staged string, names []string, refs map[string]map[string]bool) (string, error) {
	args := []string{"rev-parse", "--path-format=absolute", "--git-common-dir"}
	type tree struct{ ref, top string }
	var trees []tree
	for _, ref := range names {
		args = append(args, ref+"^{commit}")
		tops := make([]string, 0, len(refs[ref]))
		for top := range refs[ref] {
			tops = append(tops, top)
		}
		sort.Strings(tops)
		for _, top := range tops {
			args = append(args, ref+"^{commit}:"+top)
			trees = append(trees, tree{ref, top})
		}
	}
	out, err := gitIn(ctx, mirror, "", args...)
	if err != nil {
		return "", missingRef(ctx, mirror, names, refs, err)
	}
	lines := strings.Split(out, "\n")
	if len(lines) != 1+len(names)+len(trees) {
		return "", fmt.Errorf("git rev-parse in the mirror printed %d lines for %d revisions", len(lines), len(args)-3)
	}
	var stream, key strings.Builder
	key.WriteString("kfaws staged mirror v1\n")
	i := 1
	for _, ref := range names {
		fmt.Fprintf(&key, "ref %s %s\n", ref, lines[i])
		i++
		msg := "kfaws staged " + ref
		fmt.Fprintf(&stream, "commit refs/tags/%s\ncommitter kfaws <kfaws@localhost> 0 +0000\ndata %d\n%s\n", ref,
			len(msg), msg)
		for len(trees) > 0 && trees[0].ref == ref {
			fmt.Fprintf(&stream, "M 040000 %s %s\n", lines[i], trees[0].top)
			fmt.Fprintf(&key, "tree %s %s\n", trees[0].top, lines[i])
			trees, i = trees[1:], i+1
		}
		stream.WriteString("\n")
	}
	objects := filepath.Join(lines[0], "objects")
	build := func(dir string) error {
		if err := buildStaged(ctx, dir, objects, stream.String()); err != nil {
			return missingRef(ctx, mirror, names, refs, err) // a file where a directory was expected
		}
		return nil
	}
	cache := stagedCache()
	if cache == "" {
		return staged, build(staged)
	}
	sum := sha256.Sum256([]byte(key.String()))
	final := filepath.Join(cache, hex.EncodeToString(sum[:16]))
	if _, err := os.Stat(filepath.Join(final, stagedMarker)); err == nil {
		return final, nil
	}
	tmp, err := os.MkdirTemp(cache, ".staging-")
	if err != nil {
		return staged, build(staged)
	}
	if err := build(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil { // another render staged the same at the same time
		os.RemoveAll(tmp)
		if _, statErr := os.Stat(filepath.Join(final, stagedMarker)); statErr != nil {
			return "", fmt.Errorf("keeping the staged copy in %s: %w", cache, err)
		}
	}
	return final, nil
}

// stagedMarker is written last into a staged repository, so a directory without it is not one.
const stagedMarker = ".git/kfaws-staged"

// stagedCache is where staged copies of local mirrors are kept ("" when the user has no cache directory).
func stagedCache() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	dir = filepath.Join(dir, "kfaws", "git-mirrors")
	if os.MkdirAll(dir, 0o700) != nil {
		return ""
	}
	return dir
}

// buildStaged makes dir a repository holding what the fast-import stream describes: it borrows the mirror's
// objects (git alternates) while fast-import writes the commits and tags, then packs what its tags reach (without
// delta search, which costs more than it saves here) and stops borrowing, so each of kustomize's clones reads a
// small pack instead of picking objects out of the mirror's.
func buildStaged(ctx context.Context, dir, objects, stream string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err := git(ctx, dir, "init", "-q"); err != nil {
		return err
	}
	alternates := filepath.Join(dir, ".git", "objects", "info", "alternates")
	if err := os.WriteFile(alternates, []byte(objects+"\n"), 0o644); err != nil {
		return err
	}
	if _, err := gitIn(ctx, dir, stream, "fast-import", "--quiet"); err != nil {
		return err
	}
	if _, err := git(ctx, dir, "pack-objects", "--all", "--window=0", "-q",
		filepath.Join(".git", "objects", "pack", "pack")); err != nil {
		return err
	}
	if err := os.Remove(alternates); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, filepath.FromSlash(stagedMarker)), nil, 0o644)
}

// missingRef names the ref or directory a mirror lacks, after resolving them all at once failed with err.
func missingRef(ctx context.Context, mirror string, names []string, refs map[string]map[string]bool, err error) error {
	for _, ref := range names {
		if _, e := git(ctx, mirror, "rev-parse", "--verify", "--quiet", ref+"^{commit}"); e != nil {
			return fmt.Errorf("ref %q is not in the mirror: %w", ref, err)
		}
		for top := range refs[ref] {
			if kind, e := gitIn(ctx, mirror, "", "cat-file", "-t", ref+"^{commit}:"+top); e != nil || kind != "tree" {
				return fmt.Errorf("ref %q has no directory %q", ref, top)
			}
		}
	}
	return err
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
