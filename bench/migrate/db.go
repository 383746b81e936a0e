package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"time"

	"github.com/kfaws/kfaws/internal/migrate/dbcopy"
	"github.com/kfaws/kfaws/internal/migrate/dbcopy/dbcopytest"
	"github.com/kfaws/kfaws/localstack"
)

// runDB seeds a source MariaDB as KFP, its cache, MLMD and Katib leave it (dbcopytest with -rows runs, and five
// observation logs per run), then copies the four databases into a second MariaDB twice: with
// `mysqldump --single-transaction DB | mysql`, one database after the other, into base_DB, and with dbcopy.Copy
// (its defaults unless -parallel or -batch-bytes, checksums of both sides included) into kfaws_DB. It prints both
// times, with the CPU time each server and each client used (the machine is shared, so wall time also follows
// other processes' load), and returns mysqldump's time divided by dbcopy's.
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

	meter := &cpuMeter{src: src, dst: dst}
	if err := meter.start(); err != nil {
		return 0, err
	}
	var baseClient time.Duration
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
		baseClient += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime() // bash's, with the pipeline's it waited for
	}
	baseline := time.Since(start)
	baseServers, err := meter.since()
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "mysqldump | mysql: %s (CPU: %s, mysqldump and mysql %s)\n", baseline.Round(10*time.Millisecond),
		baseServers, baseClient.Round(10*time.Millisecond))

	var dbs []dbcopy.Database
	for _, name := range names {
		dbs = append(dbs, dbcopy.Database{Source: srcDB, From: name, To: "kfaws_" + name})
	}
	stop, err := startProfile()
	if err != nil {
		return 0, err
	}
	if err := meter.start(); err != nil {
		return 0, err
	}
	client := selfCPU()
	start = time.Now()
	rep, err := dbcopy.Copy(ctx, dstDB, dbs, dbcopyOptions)
	ours := time.Since(start)
	client = selfCPU() - client
	stop()
	if err != nil {
		return 0, err
	}
	servers, err := meter.since()
	if err != nil {
		return 0, err
	}
	if m := rep.Mismatches(); len(m) > 0 {
		return 0, fmt.Errorf("dbcopy reported %d mismatches: %+v", len(m), m)
	}
	fmt.Fprintf(w, "kfaws dbcopy:      %s (%d tables, %d rows, checksums of both sides included; CPU: %s, dbcopy %s)\n",
		ours.Round(10*time.Millisecond), rep.Tables, rep.Rows, servers, client.Round(10*time.Millisecond))
	ratio := baseline.Seconds() / ours.Seconds()
	fmt.Fprintf(w, "ratio mysqldump/kfaws: %.2f (aim >= 1.0)\n", ratio)
	return ratio, nil
}

// dbcopyOptions are -parallel and the like: dbcopy's defaults unless set.
var dbcopyOptions dbcopy.Options

// dbProfile is -cpuprofile: where to write a CPU profile of dbcopy's run.
var dbProfile string

func startProfile() (stop func(), err error) {
	if dbProfile == "" {
		return func() {}, nil
	}
	f, err := os.Create(dbProfile)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
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
