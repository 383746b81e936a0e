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

// rclone runs `rclone purge` against the local stack, configured only by environment and flags: an empty
// RCLONE_CONFIG and a HOME in a temp dir, so nothing of the user's (config, cache, AWS_* variables) is read or
// written.
type rclone struct {
	bin string
	dir string
	env []string // the S3 remote's settings, also printed
}

func newRclone(bin, endpoint, region string) (*rclone, error) {
	dir, err := os.MkdirTemp("", "kfaws-bench-down-rclone-")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "rclone.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return nil, err
	}
	return &rclone{bin: bin, dir: dir, env: []string{
		"RCLONE_CONFIG=" + conf,
		"RCLONE_S3_PROVIDER=Other",
		"RCLONE_S3_ENDPOINT=" + endpoint,
		"RCLONE_S3_REGION=" + region,
		"RCLONE_S3_FORCE_PATH_STYLE=true",
		"RCLONE_S3_ACCESS_KEY_ID=" + localstack.AccessKeyID,
		"RCLONE_S3_SECRET_ACCESS_KEY=" + localstack.SecretAccessKey,
	}}, nil
}

func (r *rclone) close() { _ = os.RemoveAll(r.dir) }

func (r *rclone) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.dir, "XDG_CONFIG_HOME=" + r.dir,
		"XDG_CACHE_HOME=" + filepath.Join(r.dir, "cache")}, r.env...)
	return cmd
}

// version is the first line of `rclone version`, e.g. "rclone v1.60.1-DEV".
func (r *rclone) version(ctx context.Context) (string, error) {
	out, err := r.command(ctx, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", r.bin, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(first), nil
}

// settings are the S3 remote's environment as printed (RCLONE_CONFIG names an empty temp file).
func (r *rclone) settings() string {
	return strings.Join(append([]string{"RCLONE_CONFIG=<empty temp file>"}, r.env[1:]...), " ")
}

// purge runs `rclone purge :s3:BUCKET FLAGS...`.
func (r *rclone) purge(ctx context.Context, bucket string, flags []string) error {
	var stderr bytes.Buffer
	cmd := r.command(ctx, append([]string{"purge", ":s3:" + bucket}, flags...)...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("rclone purge :s3:%s %s: %w: %s", bucket, strings.Join(flags, " "), err, lastLines(stderr.String(), 5))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
