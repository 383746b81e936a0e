package localstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// installArgs are mariadb-install-db's arguments beyond serverArgs: root
// without a password, reachable through the socket and from this host only,
// as befits a throwaway test server.
var installArgs = []string{"--auth-root-authentication-method=normal", "--skip-test-db"}

// prepareDataDir fills dir/data with a fresh MariaDB data dir. Running
// mariadb-install-db takes seconds, so its result is cached once per
// MariaDB version under the user's cache dir and copied (a fraction of a
// second); without a usable cache it installs straight into dir.
func prepareDataDir(ctx context.Context, installDB, mariadbd, dir string) error {
	data := filepath.Join(dir, "data")
	tmpl, err := dataDirTemplate(ctx, installDB, mariadbd)
	if err != nil {
		return install(ctx, installDB, dir)
	}
	if err := copyTree(tmpl, data); err != nil {
		_ = os.RemoveAll(data)
		return install(ctx, installDB, dir)
	}
	return nil
}

// install runs mariadb-install-db into dir/data.
func install(ctx context.Context, installDB, dir string) error {
	cmd := exec.CommandContext(ctx, installDB, append(serverArgs(dir), installArgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mariadb-install-db in %q: %w\n%s", dir, err, out)
	}
	return nil
}

// dataDirTemplate returns the cached data dir for this MariaDB version,
// building it first if needed. Concurrent builders each build in a temp dir
// and rename; the first rename wins and the others use its result.
func dataDirTemplate(ctx context.Context, installDB, mariadbd string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	version, err := exec.CommandContext(ctx, mariadbd, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("mariadbd --version: %w", err)
	}
	sum := sha256.Sum256([]byte(string(version) + strings.Join(installArgs, " ")))
	final := filepath.Join(cache, "kfaws", "mariadb-datadir", hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(filepath.Join(final, "data")); err == nil {
		return filepath.Join(final, "data"), nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", err
	}
	build, err := os.MkdirTemp(filepath.Dir(final), ".build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(build)
	if err := install(ctx, installDB, build); err != nil {
		return "", err
	}
	// Only the data dir is kept; install logs and sockets stay behind.
	if err := os.Rename(build, final); err != nil {
		if _, statErr := os.Stat(filepath.Join(final, "data")); statErr != nil {
			return "", errors.Join(err, statErr)
		}
	}
	return filepath.Join(final, "data"), nil
}

// copyTree copies the regular files and directories under src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case d.Type().IsRegular():
			return copyFile(path, target)
		}
		return nil // sockets and the like are not part of a data dir
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
