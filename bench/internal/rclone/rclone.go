// Package rclone runs rclone, the baseline of kfaws's S3 benchmarks, against the local stack, configured only by
// environment and flags: an empty RCLONE_CONFIG and a HOME in a temp dir, so nothing of the user's (config,
// cache, AWS_* variables) is read or written.
package rclone

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kfaws/kfaws/localstack"
)

// Rclone is one rclone binary with its remotes.
type Rclone struct {
	bin string
	dir string
	env []string // the remotes' settings, also printed
}

// Binary is flagValue (-rclone), or Debian's rclone as cached by hack/rclone.sh (run from the repository root).
func Binary(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	cmd := exec.Command(filepath.Join("hack", "rclone.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/rclone.sh (run from the repository root, or pass -rclone): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// New configures S3 remotes on the stack's endpoint: the default S3 backend (":s3:BUCKET") with no remote names,
// or one remote per name ("NAME:BUCKET"); rclone copies server-side within one remote, so a copy between stores
// needs two.
func New(bin, endpoint, region string, remotes ...string) (*Rclone, error) {
	dir, err := os.MkdirTemp("", "kfaws-bench-rclone-")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "rclone.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return nil, err
	}
	r := &Rclone{bin: bin, dir: dir, env: []string{"RCLONE_CONFIG=" + conf}}
	prefixes := []string{"RCLONE_S3_"}
	if len(remotes) > 0 {
		prefixes = nil
		for _, name := range remotes {
			prefixes = append(prefixes, "RCLONE_CONFIG_"+name+"_")
		}
	}
	for _, p := range prefixes {
		if p != "RCLONE_S3_" {
			r.env = append(r.env, p+"TYPE=s3")
		}
		r.env = append(r.env, p+"PROVIDER=Other", p+"ENDPOINT="+endpoint, p+"REGION="+region, p+"FORCE_PATH_STYLE=true",
			p+"ACCESS_KEY_ID="+localstack.AccessKeyID, p+"SECRET_ACCESS_KEY="+localstack.SecretAccessKey)
	}
	return r, nil
}

// Close removes the temp dir.
func (r *Rclone) Close() { _ = os.RemoveAll(r.dir) }

func (r *Rclone) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.dir, "XDG_CONFIG_HOME=" + r.dir,
		"XDG_CACHE_HOME=" + filepath.Join(r.dir, "cache")}, r.env...)
	return cmd
}

// Version is the first line of `rclone version`, e.g. "rclone v1.60.1-DEV".
func (r *Rclone) Version(ctx context.Context) (string, error) {
	out, err := r.command(ctx, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", r.bin, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first), nil
}

// Settings are the remotes' environment as printed (RCLONE_CONFIG names an empty temp file).
func (r *Rclone) Settings() string {
	return strings.Join(append([]string{"RCLONE_CONFIG=<empty temp file>"}, r.env[1:]...), " ")
}

// Run runs `rclone ARGS...`; a failure carries the last lines rclone printed.
func (r *Rclone) Run(ctx context.Context, args ...string) error {
	var stderr bytes.Buffer
	cmd := r.command(ctx, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		return fmt.Errorf("rclone %s: %w: %s", strings.Join(args, " "), err, strings.Join(lines[max(0, len(lines)-5):], "\n"))
	}
	return nil
}
