package dbcopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// readSession prepares a source or destination connection for reading rows: bytes as stored (binary connection
// charset), TIMESTAMP in UTC, and no timeout while the writer side is busy with the previous batch.
var readSession = []string{
	"SET NAMES binary",
	"SET SESSION time_zone = '+00:00'",
	"SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'",
	"SET SESSION net_write_timeout = 3600",
}

// snapshot is a set of source connections whose transactions all see the source at one point in time.
type snapshot struct {
	conns  chan *sql.Conn
	all    []*sql.Conn
	shared bool
}

// openSnapshot opens n connections to src, each in a consistent-snapshot read-only transaction. The snapshots are
// opened while one session holds FLUSH TABLES WITH READ LOCK, so they share one point in time; without the
// privilege for that lock (RELOAD) each snapshot is taken on its own, which is the same point in time only because
// the writers are stopped.
func openSnapshot(ctx context.Context, src *sql.DB, n int) (s *snapshot, err error) {
	s = &snapshot{conns: make(chan *sql.Conn, n)}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	lock, err := src.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "FLUSH TABLES WITH READ LOCK"); err == nil {
		s.shared = true
	} else if !accessDenied(err) {
		return nil, fmt.Errorf("FLUSH TABLES WITH READ LOCK: %w", err)
	}
	for range n {
		c, err := src.Conn(ctx)
		if err != nil {
			return nil, err
		}
		s.all = append(s.all, c)
		for _, q := range append(readSession, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
			"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY") {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("%s: %w", q, err)
			}
		}
		s.conns <- c
	}
	if s.shared {
		if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
			return nil, fmt.Errorf("UNLOCK TABLES: %w", err)
		}
	}
	return s, nil
}

func (s *snapshot) close() {
	for _, c := range s.all {
		discard(c) // ends the transaction with the session
	}
}

// accessDenied tells a missing privilege (1227: RELOAD needed; 1044/1045/1142) from other failures.
func accessDenied(err error) bool {
	var me *mysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1227, 1044, 1045, 1142:
		return true
	}
	return false
}
