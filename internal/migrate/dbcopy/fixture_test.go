package dbcopy_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfaws/kfaws/internal/migrate/dbcopy"
	"github.com/kfaws/kfaws/internal/migrate/dbcopy/dbcopytest"
	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/katibdb"
)

func TestMain(m *testing.M) {
	dbcopy.SetUnitRows(700) // every table of a few thousand rows is copied in several key ranges at once
	code := m.Run()
	if fix.src != nil {
		fix.src.Close()
	}
	localstack.StopShared()
	os.Exit(code)
}

// fix is the seeded source server, shared by the tests (seeding takes a while); tests only read it.
var fix struct {
	once    sync.Once
	src     *localstack.MariaDB
	db      *sql.DB
	katib   map[string][]katibdb.Metric // what Katib's db-manager returned from the source, per trial
	trials  []string
	err     error
	srcAddr string
}

const runs = 3000

// source returns the seeded source: KFP, its cache and MLMD as dbcopytest seeds them, and Katib's observation
// logs written by the real db-manager.
func source(t *testing.T) *sql.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test on two MariaDB servers; run without -short")
	}
	fix.once.Do(func() {
		ctx := context.Background()
		if fix.src, fix.err = localstack.StartMariaDB(ctx); fix.err != nil {
			return
		}
		if fix.db, fix.err = fix.src.Root(ctx); fix.err != nil {
			return
		}
		if fix.err = dbcopytest.Seed(ctx, fix.db, dbcopytest.Options{Runs: runs}); fix.err != nil {
			return
		}
		for _, q := range []string{"CREATE DATABASE katib", "CREATE USER 'katib'@'%' IDENTIFIED BY 'k@t:b'",
			"GRANT ALL ON katib.* TO 'katib'@'%'"} {
			if _, fix.err = fix.db.ExecContext(ctx, q); fix.err != nil {
				return
			}
		}
		host, port, _ := strings.Cut(fix.src.Addr(), ":")
		mgr := katibdb.Start(t, katibdb.DB{User: "katib", Password: "k@t:b", Host: host, Port: port, Database: "katib"})
		fix.katib = map[string][]katibdb.Metric{}
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		for i := range 20 {
			trial := fmt.Sprintf("trial-%02d", i)
			var ms []katibdb.Metric
			for j := range 200 {
				ms = append(ms, katibdb.Metric{Time: base.Add(time.Duration(i*1000+j) * time.Second).Format(time.RFC3339),
					Name: []string{"accuracy", "loss"}[j%2], Value: fmt.Sprintf("%.6f", float64(j)/7)})
			}
			mgr.Report(t, trial, ms)
			fix.trials = append(fix.trials, trial)
		}
		// Deleted rows leave gaps in observation_logs' ids.
		if _, fix.err = fix.db.ExecContext(ctx, "DELETE FROM katib.observation_logs WHERE id % 17 = 0"); fix.err != nil {
			return
		}
		for _, trial := range fix.trials {
			fix.katib[trial] = mgr.Get(t, trial)
		}
	})
	if fix.err != nil {
		t.Fatalf("seeding the source: %v", fix.err)
	}
	return fix.db
}

// destination returns a root connection to the local stack's MariaDB (the RDS stand-in).
func destination(t *testing.T) *sql.DB {
	t.Helper()
	db, err := localstack.Shared(t).MySQLRoot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// kubeflow lists the four databases, copied under prefix_NAME on the destination.
func kubeflow(src *sql.DB, prefix string) []dbcopy.Database {
	var out []dbcopy.Database
	for _, name := range append(append([]string{}, dbcopytest.Databases...), "katib") {
		out = append(out, dbcopy.Database{Source: src, From: name, To: prefix + "_" + name})
	}
	return out
}

func tables(t *testing.T, db *sql.DB, schema string) []string {
	t.Helper()
	rows, err := db.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME", schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func showCreate(t *testing.T, db *sql.DB, schema, table string) string {
	t.Helper()
	var name, create string
	if err := db.QueryRow(fmt.Sprintf("SHOW CREATE TABLE `%s`.`%s`", schema, table)).Scan(&name, &create); err != nil {
		t.Fatal(err)
	}
	return create
}

var autoIncrement = regexp.MustCompile(`AUTO_INCREMENT=(\d+)`)

func scalar[T any](t *testing.T, db *sql.DB, q string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(q, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}
