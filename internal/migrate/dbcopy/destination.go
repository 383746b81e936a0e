package dbcopy

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// markerTable lists, in each destination database, the tables a copy has started and not yet finished with. A
// resumed run drops and copies them again; CheckDestination accepts them as the migration's own. Copy drops it
// once every table matches.
const markerTable = "_kfaws_migrate"

// CheckDestination fails, before anything is written, when a destination database holds a table that this
// migration did not write: one neither recorded as done (done is called with the destination database name)
// nor left partly copied by an interrupted run of Copy.
func CheckDestination(ctx context.Context, dst *sql.DB, dbs []Database, done func(db, table string) bool) error {
	if done == nil {
		done = func(string, string) bool { return false }
	}
	conn, err := dst.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connecting to the destination: %w", err)
	}
	defer conn.Close()
	var found []string
	for _, d := range dbs {
		tables, err := strings1(ctx, conn, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", d.To)
		if err != nil {
			return fmt.Errorf("listing the tables of destination database %s: %w", d.To, err)
		}
		inflight, err := startedTables(ctx, conn, d.To, tables)
		if err != nil {
			return err
		}
		for _, t := range tables {
			if t == markerTable || inflight[t] || done(d.To, t) {
				continue
			}
			rows, err := countUpTo(ctx, conn, d.To, t, 1000)
			if err != nil {
				return fmt.Errorf("counting the rows of table %s in destination database %s: %w", t, d.To, err)
			}
			found = append(found, fmt.Sprintf("destination database %s already has table %s (%s)", d.To, t, rows))
		}
	}
	if len(found) == 0 {
		return nil
	}
	msg := found[0]
	if len(found) > 1 {
		msg = strings.Join(found, "; ")
	}
	return fmt.Errorf("%s: migrate writes only into empty databases (or into its own partial copy when resuming), so "+
		"that no data is mixed or overwritten; migrate into databases that hold no tables, or drop these tables (e.g. "+
		"DROP DATABASE) if nothing in them is needed", msg)
}

// startedTables reads the marker table of a destination database, if it has one.
func startedTables(ctx context.Context, conn *sql.Conn, db string, tables []string) (map[string]bool, error) {
	out := map[string]bool{}
	has := false
	for _, t := range tables {
		has = has || t == markerTable
	}
	if !has {
		return out, nil
	}
	names, err := strings1(ctx, conn, "SELECT table_name FROM "+quoteName(db, markerTable))
	if err != nil {
		return nil, fmt.Errorf("reading %s in destination database %s: %w", markerTable, db, err)
	}
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// countUpTo describes how many rows a table has, counting no further than limit.
func countUpTo(ctx context.Context, conn *sql.Conn, db, table string, limit int) (string, error) {
	var n int
	q := fmt.Sprintf("SELECT COUNT(*) FROM (SELECT 1 FROM %s LIMIT %d) AS t", quoteName(db, table), limit+1)
	if err := conn.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return "", err
	}
	switch {
	case n > limit:
		return fmt.Sprintf("more than %d rows", limit), nil
	case n == 1:
		return "1 row", nil
	case n == 0:
		return "empty", nil
	}
	return fmt.Sprintf("%d rows", n), nil
}

// ddlSession prepares a destination connection for CREATE statements: foreign keys may name tables not created
// yet, and names are read as utf8mb4.
var ddlSession = []string{
	"SET NAMES utf8mb4",
	"SET SESSION foreign_key_checks = 0",
	"SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'",
}

// createSchema creates the destination database when missing and, for each table to copy, records it in the
// marker table, drops what an interrupted run left and creates it from the source's definition (indexes, foreign
// keys, charsets, collations and the AUTO_INCREMENT counter come with it).
func createSchema(ctx context.Context, conn *sql.Conn, db *database) error {
	for _, q := range ddlSession {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("destination session: %w", err)
		}
	}
	create := fmt.Sprintf("CREATE DATABASE IF NOT EXISTS %s CHARACTER SET %s COLLATE %s", quote(db.To), db.charset, db.collation)
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("creating destination database %s: %w", db.To, err)
	}
	marker := "CREATE TABLE IF NOT EXISTS " + quoteName(db.To, markerTable) +
		" (table_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY) ENGINE=InnoDB"
	if _, err := conn.ExecContext(ctx, marker); err != nil {
		return fmt.Errorf("creating %s in destination database %s: %w", markerTable, db.To, err)
	}
	// SHOW CREATE TABLE names the table and the tables its foreign keys reference without a database.
	if _, err := conn.ExecContext(ctx, "USE "+quote(db.To)); err != nil {
		return fmt.Errorf("using destination database %s: %w", db.To, err)
	}
	for _, t := range db.tables {
		if t.resumed {
			continue
		}
		stmts := []string{
			"INSERT IGNORE INTO " + quote(markerTable) + " (table_name) VALUES ('" + escapeString(t.name) + "')",
			"DROP TABLE IF EXISTS " + quote(t.name),
			t.create,
		}
		for _, q := range stmts {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("creating table %s in destination database %s: %w", t.name, db.To, err)
			}
		}
	}
	return nil
}

// dropMarker removes the marker table once every table of the database is copied and matches.
func dropMarker(ctx context.Context, dst *sql.DB, db string) error {
	if _, err := dst.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteName(db, markerTable)); err != nil {
		return fmt.Errorf("dropping %s from destination database %s: %w", markerTable, db, err)
	}
	return nil
}

func escapeString(s string) string { return string(appendEscaped(nil, []byte(s))) }
