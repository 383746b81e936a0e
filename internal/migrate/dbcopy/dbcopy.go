// Package dbcopy copies MySQL databases from one or more source servers into a destination server (the in-cluster
// KFP and Katib MySQL into RDS): schema, then data, tables in parallel, then a per-table row count and checksum
// computed the same way on both servers.
//
// Each source is read in consistent-snapshot transactions that share one point in time: the snapshots are opened
// while one session holds FLUSH TABLES WITH READ LOCK. Without the privilege for that lock (RELOAD), each
// connection opens its own snapshot, which is the same point in time only because the caller has stopped the
// writers; DatabaseReport.SharedSnapshot says which mode was used.
//
// Values travel byte for byte: both sides use the binary connection character set (no conversion), UTC for
// TIMESTAMP, temporal columns are read as text and floats as doubles, and the checksum hashes a canonical encoding
// of each value. Nothing is printed; callers learn of progress through the callbacks in Options.
package dbcopy

import (
	"context"
	"database/sql"
	"time"
)

// Database is one database to copy: from a source server to the destination server, possibly under another name.
type Database struct {
	Source *sql.DB // opened by the caller on the source server (no default database needed)
	From   string  // database name on the source
	To     string  // database name on the destination (created when missing, with the source's charset/collation)
}

// Rewrite replaces a prefix in one column's string values while copying (MLMD's artifact URIs
// minio://mlpipeline/... -> s3://BUCKET/...). Values not starting with From are copied as they are.
type Rewrite struct {
	Database string `json:"database"` // the SOURCE name
	Table    string `json:"table"`
	Column   string `json:"column"`
	From     string `json:"from"`
	To       string `json:"to"`
}

// Options tune a copy. The zero value works.
type Options struct {
	Parallel  int // tables (or parts of large tables) copied at once; default 4
	BatchRows int // rows per INSERT at most; default 5,000; statements are also kept under BatchBytes
	// BatchBytes bounds one INSERT statement; default 1 MiB, and never more than half the destination's
	// max_allowed_packet. A single larger row is sent alone.
	BatchBytes int
	Rewrites   []Rewrite
	// Done reports a table (destination database name, table) this migration already copied and verified in an
	// earlier, interrupted run; such tables are not copied again, only verified.
	Done func(db, table string) bool
	// OnTable is called once per copied table whose row count and checksum match, so the caller records it for Done.
	OnTable func(TableResult)
	// Progress is called after each batch of rows written (never concurrently); totalRows is the source's estimate,
	// raised to rows when the estimate was low.
	Progress func(db, table string, rows, totalRows int64)
}

// TableResult is the outcome of one table.
type TableResult struct {
	Database       string        `json:"database"` // destination database name (what Done and OnTable use)
	From           string        `json:"from"`     // source database name
	Table          string        `json:"table"`
	Rows           int64         `json:"rows"`     // rows read from the source snapshot
	DestRows       int64         `json:"destRows"` // rows found on the destination afterwards
	SourceChecksum string        `json:"sourceChecksum"`
	DestChecksum   string        `json:"destChecksum"`
	Match          bool          `json:"match"`     // rows and checksums equal
	Resumed        bool          `json:"resumed"`   // recorded as Done: verified, not copied
	Rewritten      int64         `json:"rewritten"` // values changed by Rewrites
	Took           time.Duration `json:"-"`
}

// DatabaseReport is the outcome of one database.
type DatabaseReport struct {
	From           string        `json:"from"`
	To             string        `json:"to"`
	Tables         []TableResult `json:"tables"` // sorted by table name
	Rows           int64         `json:"rows"`
	SharedSnapshot bool          `json:"sharedSnapshot"` // the source's snapshots were opened under FLUSH TABLES WITH READ LOCK
}

// Report is the outcome of Copy or Verify.
type Report struct {
	Databases []DatabaseReport `json:"databases"`
	Tables    int              `json:"tables"`
	Rows      int64            `json:"rows"`
	Took      time.Duration    `json:"-"`
}

// Mismatches lists the tables whose row count or checksum differ between source and destination.
func (r Report) Mismatches() []TableResult {
	var out []TableResult
	for _, d := range r.Databases {
		for _, t := range d.Tables {
			if !t.Match {
				out = append(out, t)
			}
		}
	}
	return out
}

// Copy copies dbs into dst and verifies every table. It refuses, before writing, a destination database that holds
// tables this migration did not write (see CheckDestination). A table left partly copied by an interrupted run is
// dropped and copied again; tables reported by opts.Done are only verified. Mismatches are in the report, not in
// the error.
func Copy(ctx context.Context, dst *sql.DB, dbs []Database, opts Options) (Report, error) {
	return run(ctx, dst, dbs, opts, false)
}

// Verify compares every table of dbs with its copy on dst (row counts and checksums, Rewrites applied to the
// source's values) without writing anything.
func Verify(ctx context.Context, dst *sql.DB, dbs []Database, opts Options) (Report, error) {
	opts.Done = func(string, string) bool { return true }
	opts.OnTable = nil
	return run(ctx, dst, dbs, opts, true)
}

func (o *Options) defaults() {
	if o.Parallel <= 0 {
		o.Parallel = 4
	}
	if o.BatchRows <= 0 {
		o.BatchRows = 5000
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 1 << 20
	}
	if o.Done == nil {
		o.Done = func(string, string) bool { return false }
	}
}
