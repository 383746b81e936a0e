package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/kfaws/kfaws/internal/migrate/dbcopy"
	"github.com/kfaws/kfaws/internal/migrate/dbcopy/dbcopytest"
	"github.com/kfaws/kfaws/localstack"
)

// runDB seeds a source MariaDB as KFP, its cache, MLMD and Katib leave it (dbcopytest with -rows runs, and five
// observation logs per run), then copies the four databases into a second MariaDB twice: with
// `mysqldump --single-transaction DB | mysql`, one database after the other, into base_DB, and with dbcopy.Copy
// (its defaults, checksums of both sides included) into kfaws_DB. It prints both times and returns
// mysqldump's time divided by dbcopy's.
func runDB(ctx context.Context, w io.Writer, rows int) (float64, error) {
	src, err := localstack.StartMariaDB(ctx)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := localstack.StartMariaDB(ctx)
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	srcDB, err := src.Root(ctx)
	if err != nil {
		return 0, err
	}
	defer srcDB.Close()
	dstDB, err := dst.Root(ctx)
	if err != nil {
		return 0, err
	}
	defer dstDB.Close()

	start := time.Now()
	if err := seed(ctx, srcDB, rows); err != nil {
		return 0, err
	}
	names := append(append([]string{}, dbcopytest.Databases...), "katib")
	var bytes int64
	if err := srcDB.QueryRowContext(ctx, "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('mlpipeline','cachedb','metadb','katib')").Scan(&bytes); err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "seeded %d runs (%d MB on disk) in %s\n", rows, bytes>>20, time.Since(start).Round(time.Second))

	start = time.Now()
	for _, name := range names {
		if _, err := dstDB.ExecContext(ctx, "CREATE DATABASE base_"+name); err != nil {
			return 0, err
		}
		cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", fmt.Sprintf(
			"/usr/bin/mysqldump -S %s -uroot --single-transaction %s | /usr/bin/mysql -S %s -uroot base_%s",
			src.Socket(), name, dst.Socket(), name))
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("mysqldump | mysql of %s: %w\n%s", name, err, out)
		}
	}
	baseline := time.Since(start)
	fmt.Fprintf(w, "mysqldump | mysql: %s\n", baseline.Round(10*time.Millisecond))

	var dbs []dbcopy.Database
	for _, name := range names {
		dbs = append(dbs, dbcopy.Database{Source: srcDB, From: name, To: "kfaws_" + name})
	}
	start = time.Now()
	rep, err := dbcopy.Copy(ctx, dstDB, dbs, dbcopy.Options{})
	if err != nil {
		return 0, err
	}
	ours := time.Since(start)
	if m := rep.Mismatches(); len(m) > 0 {
		return 0, fmt.Errorf("dbcopy reported %d mismatches: %+v", len(m), m)
	}
	fmt.Fprintf(w, "kfaws dbcopy:      %s (%d tables, %d rows, checksums of both sides included)\n",
		ours.Round(10*time.Millisecond), rep.Tables, rep.Rows)
	ratio := baseline.Seconds() / ours.Seconds()
	fmt.Fprintf(w, "ratio mysqldump/kfaws: %.2f (aim >= 1.0)\n", ratio)
	return ratio, nil
}

// seed fills the source: KFP, cache and MLMD through dbcopytest, Katib's observation_logs with its own DDL and
// the rows its db-manager writes (five metrics per run).
func seed(ctx context.Context, db *sql.DB, rows int) error {
	if err := dbcopytest.Seed(ctx, db, dbcopytest.Options{Runs: rows}); err != nil {
		return err
	}
	for _, q := range []string{"CREATE DATABASE katib", "CREATE TABLE katib." + dbcopytest.KatibDDL[len("CREATE TABLE IF NOT EXISTS "):]} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	return dbcopytest.Insert(ctx, db, "katib.observation_logs", []string{"trial_name", "time", "metric_name", "value"}, 5*rows,
		func(i int) []any {
			return []any{fmt.Sprintf("trial-%d", i/50), base.Add(time.Duration(i) * 1234567 * time.Microsecond).Format("2006-01-02 15:04:05.999999"),
				[]string{"accuracy", "loss"}[i%2], fmt.Sprintf("%.6f", float64(i%1000)/999)}
		})
}
