package localstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ErrMariaDBMissing is returned by Start when the MariaDB server binaries are not installed.
var ErrMariaDBMissing = errors.New("mariadbd or mariadb-install-db not found; install them with: apt-get install mariadb-server")

// mariaDB is a throwaway MariaDB server with its own data dir, socket and port.
type mariaDB struct {
	proc   *process
	dir    string
	socket string
	port   int
}

// serverArgs keeps the server small and fast: tests need neither durability
// nor a binary log. The character set matches what kfaws's parameter group sets.
func serverArgs(dir string) []string {
	args := []string{
		"--no-defaults",
		"--datadir=" + filepath.Join(dir, "data"),
		"--innodb-buffer-pool-size=32M",
		"--innodb-log-file-size=8M",
		"--innodb-flush-log-at-trx-commit=2",
		"--skip-log-bin",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_unicode_ci",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	return args
}

// startMariaDB creates a data dir under dir and runs mariadbd on a free port
// of 127.0.0.1 until it accepts root over its unix socket.
func startMariaDB(ctx context.Context, dir string) (*mariaDB, error) {
	mariadbd, err1 := lookSbin("mariadbd")
	installDB, err2 := lookSbin("mariadb-install-db")
	if err1 != nil || err2 != nil {
		return nil, ErrMariaDBMissing
	}
	if err := prepareDataDir(ctx, installDB, mariadbd, dir); err != nil {
		return nil, err
	}
	m := &mariaDB{dir: dir, socket: filepath.Join(dir, "mysqld.sock")}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if m.port, lastErr = freePort(); lastErr != nil {
			return nil, lastErr
		}
		args := append(serverArgs(dir), "--socket="+m.socket, "--port="+itoa(m.port), "--bind-address=127.0.0.1",
			"--skip-name-resolve", "--pid-file="+filepath.Join(dir, "mysqld.pid"), "--tmpdir="+dir)
		m.proc, lastErr = startProcess("mariadbd", filepath.Join(dir, "mariadbd.log"), mariadbd, args...)
		if lastErr != nil {
			return nil, lastErr
		}
		lastErr = m.proc.waitReady(ctx, 60*time.Second, m.ping)
		if lastErr == nil {
			return m, nil
		}
		m.proc.stop()
	}
	return nil, fmt.Errorf("starting mariadbd (log in %s): %w", filepath.Join(dir, "mariadbd.log"), lastErr)
}

func (m *mariaDB) ping(ctx context.Context) error {
	db, err := m.root()
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

// root opens a root connection over the unix socket. interpolateParams lets
// statements such as CREATE USER take placeholders.
func (m *mariaDB) root() (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "unix"
	cfg.Addr = m.socket
	cfg.InterpolateParams = true
	cfg.ParseTime = true
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mariadb root connector: %w", err)
	}
	return sql.OpenDB(connector), nil
}

func (m *mariaDB) stop() {
	if m.proc != nil {
		m.proc.stop()
	}
}

// lookSbin finds a server binary on PATH or, since Debian installs mariadbd
// in /usr/sbin, which a non-root PATH often lacks, in /usr/sbin.
func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return exec.LookPath(filepath.Join("/usr/sbin", name))
}
