package main

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

// rcloneFlag is -rclone.
var rcloneFlag string

// rclone runs `rclone copy` against the local stack, configured only by environment and flags (two remotes, SRC
// and DST, on the same endpoint; an empty RCLONE_CONFIG and a HOME in a temp dir, so nothing of the user's is read
// or written). Two remotes rather than one: rclone copies server-side within one remote, which a migration from
// MinIO to S3 cannot.
type rclone struct {
	bin string
	dir string
	env []string // the remotes' settings, also printed
}

func newRclone(bin, endpoint, region string) (*rclone, error) {
	dir, err := os.MkdirTemp("", "kfaws-bench-migrate-rclone-")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "rclone.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return nil, err
	}
	r := &rclone{bin: bin, dir: dir, env: []string{"RCLONE_CONFIG=" + conf}}
	for _, remote := range []string{"SRC", "DST"} {
		p := "RCLONE_CONFIG_" + remote + "_"
		r.env = append(r.env, p+"TYPE=s3", p+"PROVIDER=Other", p+"ENDPOINT="+endpoint, p+"REGION="+region,
			p+"FORCE_PATH_STYLE=true", p+"ACCESS_KEY_ID="+localstack.AccessKeyID, p+"SECRET_ACCESS_KEY="+localstack.SecretAccessKey)
	}
	return r, nil
}

func (r *rclone) close() { _ = os.RemoveAll(r.dir) }

func (r *rclone) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.dir, "XDG_CONFIG_HOME=" + r.dir,
		"XDG_CACHE_HOME=" + filepath.Join(r.dir, "cache")}, r.env...)
	return cmd
}

// version is the first line of `rclone version`.
func (r *rclone) version(ctx context.Context) (string, error) {
	out, err := r.command(ctx, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", r.bin, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first), nil
}

// settings are the remotes' environment as printed (RCLONE_CONFIG names an empty temp file).
func (r *rclone) settings() string {
	return strings.Join(append([]string{"RCLONE_CONFIG=<empty temp file>"}, r.env[1:]...), " ")
}

// copy runs `rclone copy SRC:from DST:to FLAGS...`.
func (r *rclone) copy(ctx context.Context, from, to string, flags []string) error {
	var stderr bytes.Buffer
	cmd := r.command(ctx, append([]string{"copy", "SRC:" + from, "DST:" + to}, flags...)...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("rclone copy SRC:%s DST:%s %s: %w: %s", from, to, strings.Join(flags, " "), err, rcloneLastLines(stderr.String(), 5))
	}
	return nil
}

func rcloneLastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// rcloneBinary is -rclone, or Debian's rclone as cached by hack/rclone.sh.
func rcloneBinary() (string, error) {
	if rcloneFlag != "" {
		return rcloneFlag, nil
	}
	cmd := exec.Command(filepath.Join("hack", "rclone.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hack/rclone.sh (run from the repository root, or pass -rclone): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
