package detect

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// gitTimeout bounds each git command detection runs; a slow or hung git only loses the ref.
const gitTimeout = 3 * time.Second

// gitCheckout is what git says about a tree that is the top of a git checkout.
type gitCheckout struct {
	// Ref is the exact tag of HEAD, else its branch; "" when detached from both.
	Ref string
	// Origin is the URL of the remote "origin" ("" when none).
	Origin string
}

// readGit asks git about dir. It never fails: without git, outside a checkout, or when dir is only a folder
// inside some other repository (a vendored tree), it returns the zero value, so nothing is claimed that the
// checkout does not show.
func readGit(ctx context.Context, dir string) gitCheckout {
	var out gitCheckout
	abs, err := filepath.Abs(dir)
	if err != nil {
		return out
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return out
	}
	top, ok := runGit(ctx, abs, "rev-parse", "--show-toplevel")
	if !ok {
		return out
	}
	if top, err = filepath.EvalSymlinks(top); err != nil || top != abs {
		return out
	}
	if tag, ok := runGit(ctx, abs, "describe", "--tags", "--exact-match", "HEAD"); ok {
		out.Ref = tag
	} else if branch, ok := runGit(ctx, abs, "rev-parse", "--abbrev-ref", "HEAD"); ok && branch != "HEAD" {
		out.Ref = branch
	}
	out.Origin, _ = runGit(ctx, abs, "config", "--get", "remote.origin.url")
	return out
}

// runGit runs one bounded git command in dir and returns its trimmed output.
func runGit(ctx context.Context, dir string, args ...string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Env = gitEnv()
	out, err := cmd.Output()
	if err != nil {
		return "", false
	}
	s := strings.TrimSpace(string(out))
	return s, s != ""
}

// gitEnv is the environment without variables that would point git at another repository than dir's, and
// without prompts.
func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
}
