package localstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// MariaDB is a MariaDB server started on its own, without moto or the proxy: a second database server for tests
// that need two (a migration's source beside the stack's server standing in for RDS). It uses the same cached
// data dir and settings as the stack's server.
type MariaDB struct {
	m   *mariaDB
	dir string
}

// StartMariaDB starts a MariaDB server on a free port of 127.0.0.1, with root reachable without a password over
// its unix socket. Close stops it and removes its files; tests register Close with t.Cleanup.
func StartMariaDB(ctx context.Context) (*MariaDB, error) {
	dir, err := makeDir()
	if err != nil {
		return nil, err
	}
	m, err := startMariaDB(ctx, filepath.Join(dir, "mariadb"))
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &MariaDB{m: m, dir: dir}, nil
}

// Addr is host:port of the server's TCP listener.
func (s *MariaDB) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.m.port)) }

// Socket is the path of the server's unix socket, where root logs in (e.g. `mysqldump -S`).
func (s *MariaDB) Socket() string { return s.m.socket }

// Root opens a root connection over the unix socket; the caller closes it.
func (s *MariaDB) Root(ctx context.Context) (*sql.DB, error) {
	db, err := s.m.root()
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connecting to mariadb as root: %w", err), db.Close())
	}
	return db, nil
}

// Close stops the server and removes its data dir.
func (s *MariaDB) Close() {
	s.m.stop()
	_ = os.RemoveAll(s.dir)
}
