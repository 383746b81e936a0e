package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kfaws/kfaws/internal/render/detect"
)

// stageBaseline makes, before any timing, one small git repository per mirrored repository, holding at each ref
// the remote bases pin only the top-level directories they use, and returns the mirror flags pointing at them.
// kfaws stages the same for itself inside its timed run; without this the baseline would check out the whole
// repository once per remote base and lose on git work, not on building.
func stageBaseline(remote []detect.Remote, mirrors []string, dir string) ([]string, error) {
	byRepo := map[string]string{}
	for _, m := range mirrors {
		url, d, _ := strings.Cut(m, "=")
		byRepo[strings.TrimSuffix(strings.TrimSuffix(url, "/"), ".git")] = d
	}
	tops := map[string]map[string]map[string]bool{} // repo -> ref -> top-level dirs
	for _, r := range remote {
		repo := strings.TrimSuffix(r.Repo(), ".git")
		if _, ok := byRepo[repo]; !ok || r.Ref() == "" {
			continue
		}
		rest := strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(strings.SplitN(r.URL, "?", 2)[0], repo), ".git"), "/")
		top, _, _ := strings.Cut(rest, "/")
		if tops[repo] == nil {
			tops[repo] = map[string]map[string]bool{}
		}
		if tops[repo][r.Ref()] == nil {
			tops[repo][r.Ref()] = map[string]bool{}
		}
		tops[repo][r.Ref()][top] = true
	}
	var out []string
	n := 0
	for repo, refs := range tops {
		staged := filepath.Join(dir, "baseline-mirror-"+strconv.Itoa(n))
		n++
		if err := stageRepo(byRepo[repo], staged, refs); err != nil {
			return nil, fmt.Errorf("staging %s for the baseline: %w", repo, err)
		}
		out = append(out, repo+"="+staged)
	}
	for _, m := range mirrors { // repositories without pinned refs stay as they are
		url, _, _ := strings.Cut(m, "=")
		if tops[strings.TrimSuffix(strings.TrimSuffix(url, "/"), ".git")] == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

func stageRepo(mirror, staged string, refs map[string]map[string]bool) error {
	src, err := filepath.Abs(mirror)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(staged, 0o755); err != nil {
		return err
	}
	if _, err := git(staged, "", "init", "-q"); err != nil {
		return err
	}
	for ref, dirs := range refs {
		if _, err := git(staged, "", "fetch", "-q", "--depth=1", "file://"+src, ref); err != nil {
			return err
		}
		var entries []string
		for top := range dirs {
			line, err := git(staged, "", "ls-tree", "FETCH_HEAD", top)
			if err != nil || line == "" {
				return fmt.Errorf("ref %s has no directory %q", ref, top)
			}
			entries = append(entries, line)
		}
		sort.Strings(entries)
		tree, err := git(staged, strings.Join(entries, "\n")+"\n", "mktree")
		if err != nil {
			return err
		}
		commit, err := git(staged, "", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit-tree",
			tree, "-m", "staged "+ref)
		if err != nil {
			return err
		}
		if _, err := git(staged, "", "tag", "-f", ref, commit); err != nil {
			return err
		}
	}
	return nil
}

func git(dir, stdin string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr))
	}
	return strings.TrimSpace(string(out)), nil
}
