package dbcopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// kind is how a column's value is read, written and hashed.
type kind int

const (
	kindString   kind = iota // quoted; bytes as they are (binary connection charset)
	kindNumber               // integers, DECIMAL, YEAR: the server's text, unquoted
	kindFloat                // FLOAT, DOUBLE: read as a double, hashed as its bits
	kindTemporal             // DATE, TIME, DATETIME, TIMESTAMP: read as text, quoted
	kindBits                 // BIT: a hex literal
	kindJSON                 // quoted with a utf8mb4 introducer (MySQL refuses JSON from binary strings)
)

type column struct {
	name    string
	kind    kind
	rewrite *Rewrite
}

// table is a source table and what copying it needs.
type table struct {
	db      *database
	name    string
	create  string // SHOW CREATE TABLE on the source
	columns []column
	pk      []string
	intPK   bool  // a single integer primary key column: the table can be split into ranges
	min     int64 // of the integer primary key, when the table has rows
	max     int64
	hasRows bool
	estRows int64 // the server's estimate
	resumed bool  // recorded as Done: verify only
}

// database is a source database and its tables.
type database struct {
	Database
	charset, collation string
	tables             []*table
}

func (t *table) String() string { return fmt.Sprintf("table %s.%s", t.db.From, t.name) }

// inspect reads a source database's schema and refuses what the copy does not handle (views, triggers, routines,
// events), naming them.
func inspect(ctx context.Context, d Database, rewrites []Rewrite) (*database, error) {
	conn, err := d.Source.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to the source of database %s: %w", d.From, err)
	}
	defer discard(conn)
	// Backquoted names in SHOW CREATE TABLE whatever the server's sql_mode (ANSI_QUOTES would print double quotes).
	for _, q := range []string{"SET NAMES utf8mb4", "SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("source of database %s: %w", d.From, err)
		}
	}
	// MySQL 8 caches TABLE_ROWS for a day; fresh estimates choose better ranges. MariaDB has no such variable.
	_, _ = conn.ExecContext(ctx, "SET SESSION information_schema_stats_expiry = 0")

	db := &database{Database: d}
	err = conn.QueryRowContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
		d.From).Scan(&db.charset, &db.collation)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("source database %s does not exist", d.From)
	}
	if err != nil {
		return nil, fmt.Errorf("reading source database %s: %w", d.From, err)
	}
	if err := refuseNonTables(ctx, conn, d.From); err != nil {
		return nil, err
	}
	if err := db.readTables(ctx, conn); err != nil {
		return nil, err
	}
	if err := db.readColumns(ctx, conn); err != nil {
		return nil, err
	}
	for _, t := range db.tables {
		if err := t.readDetails(ctx, conn); err != nil {
			return nil, err
		}
	}
	return db, db.attachRewrites(rewrites)
}

// refuseNonTables fails on views, triggers, routines and events: KFP, MLMD, the cache and Katib create none, so one
// is somebody's addition that a table copy would silently lose.
func refuseNonTables(ctx context.Context, conn *sql.Conn, schema string) error {
	checks := []struct{ what, query string }{
		{"view", "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'BASE TABLE'"},
		{"trigger", "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?"},
		{"routine", "SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?"},
		{"event", "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?"},
	}
	for _, c := range checks {
		names, err := strings1(ctx, conn, c.query, schema)
		if err != nil {
			return fmt.Errorf("listing the %ss of source database %s: %w", c.what, schema, err)
		}
		if len(names) > 0 {
			return fmt.Errorf("source database %s has %s %s: migrate copies tables only (KFP, MLMD, the cache and Katib "+
				"create no views, triggers, routines or events); drop it on the source, or copy it by hand after the migration "+
				"and migrate a copy of the database without it", schema, c.what, strings.Join(names, ", "))
		}
	}
	return nil
}

func (db *database) readTables(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, "SELECT TABLE_NAME, TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", db.From)
	if err != nil {
		return fmt.Errorf("listing the tables of source database %s: %w", db.From, err)
	}
	defer rows.Close()
	for rows.Next() {
		t := &table{db: db}
		var est sql.NullInt64
		if err := rows.Scan(&t.name, &est); err != nil {
			return err
		}
		t.estRows = est.Int64
		db.tables = append(db.tables, t)
	}
	return rows.Err()
}

func (db *database) readColumns(ctx context.Context, conn *sql.Conn) error {
	byName := map[string]*table{}
	for _, t := range db.tables {
		byName[t.name] = t
	}
	rows, err := conn.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, EXTRA FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`, db.From)
	if err != nil {
		return fmt.Errorf("listing the columns of source database %s: %w", db.From, err)
	}
	defer rows.Close()
	for rows.Next() {
		var tname, cname, dataType, extra string
		if err := rows.Scan(&tname, &cname, &dataType, &extra); err != nil {
			return err
		}
		t := byName[tname]
		if t == nil || strings.Contains(strings.ToUpper(extra), "GENERATED") {
			continue // generated columns are computed by the destination
		}
		t.columns = append(t.columns, column{name: cname, kind: kindOf(dataType)})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()

	pk, err := conn.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND INDEX_NAME = 'PRIMARY' ORDER BY TABLE_NAME, SEQ_IN_INDEX`, db.From)
	if err != nil {
		return fmt.Errorf("listing the primary keys of source database %s: %w", db.From, err)
	}
	defer pk.Close()
	for pk.Next() {
		var tname, cname string
		if err := pk.Scan(&tname, &cname); err != nil {
			return err
		}
		if t := byName[tname]; t != nil {
			t.pk = append(t.pk, cname)
		}
	}
	return pk.Err()
}

func kindOf(dataType string) kind {
	switch strings.ToLower(dataType) {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "year":
		return kindNumber
	case "float", "double", "real":
		return kindFloat
	case "date", "time", "datetime", "timestamp":
		return kindTemporal
	case "bit":
		return kindBits
	case "json":
		return kindJSON
	}
	return kindString
}

// readDetails reads the table's CREATE statement and, for an integer primary key, its range.
func (t *table) readDetails(ctx context.Context, conn *sql.Conn) error {
	var name string
	if err := conn.QueryRowContext(ctx, "SHOW CREATE TABLE "+quoteName(t.db.From, t.name)).Scan(&name, &t.create); err != nil {
		return fmt.Errorf("reading the definition of %s: %w", t, err)
	}
	if len(t.pk) != 1 {
		return nil
	}
	for _, c := range t.columns {
		if c.name == t.pk[0] && c.kind == kindNumber {
			t.intPK = true
		}
	}
	if !t.intPK {
		return nil
	}
	var lo, hi sql.NullString
	q := fmt.Sprintf("SELECT MIN(%[1]s), MAX(%[1]s) FROM %[2]s", quote(t.pk[0]), quoteName(t.db.From, t.name))
	if err := conn.QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
		return fmt.Errorf("reading the key range of %s: %w", t, err)
	}
	if !lo.Valid {
		return nil
	}
	// A DECIMAL or unsigned BIGINT key beyond int64 is copied in one piece.
	if _, err := fmt.Sscan(lo.String, &t.min); err != nil {
		t.intPK = false
		return nil
	}
	if _, err := fmt.Sscan(hi.String, &t.max); err != nil || strings.Contains(lo.String+hi.String, ".") {
		t.intPK = false
		return nil
	}
	t.hasRows = true
	return nil
}

// attachRewrites finds the columns the rewrites name; a rewrite naming nothing is an error, not a silent no-op.
func (db *database) attachRewrites(rewrites []Rewrite) error {
	for i := range rewrites {
		r := &rewrites[i]
		if r.Database != db.From {
			continue
		}
		found := false
		for _, t := range db.tables {
			for j := range t.columns {
				c := &t.columns[j]
				if t.name != r.Table || c.name != r.Column {
					continue
				}
				if c.kind != kindString {
					return fmt.Errorf("rewrite of %s.%s.%s: the column is not a string column", r.Database, r.Table, r.Column)
				}
				c.rewrite, found = r, true
			}
		}
		if !found {
			return fmt.Errorf("rewrite of %s.%s.%s: source database %s has no such table and column", r.Database, r.Table, r.Column, r.Database)
		}
	}
	return nil
}

// strings1 runs a query returning one string column.
func strings1(ctx context.Context, conn *sql.Conn, query string, args ...any) ([]string, error) {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out, rows.Err()
}

// quote quotes an identifier for MySQL.
func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

func quoteName(db, table string) string { return quote(db) + "." + quote(table) }
