package dbcopy_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kfaws/kfaws/internal/migrate/dbcopy"
	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/katibdb"
)

var uriRewrite = []dbcopy.Rewrite{
	{Database: "metadb", Table: "Artifact", Column: "uri", From: "minio://mlpipeline/", To: "s3://bucket-1/"},
	{Database: "metadb", Table: "ContextProperty", Column: "string_value", From: "minio://mlpipeline/", To: "s3://bucket-1/"},
}

// Copy, then compare every table with independent means: the server's own CHECKSUM TABLE (both sides are the
// same MariaDB here), SHOW CREATE TABLE, the next AUTO_INCREMENT id, the rewritten URIs, and Katib's db-manager
// reading the copied logs.
func TestCopyKubeflow(t *testing.T) {
	src, dst := source(t), destination(t)
	ctx := context.Background()
	dbs := kubeflow(src, "c")
	var mu sync.Mutex
	recorded := map[string]bool{}
	rep, err := dbcopy.Copy(ctx, dst, dbs, dbcopy.Options{Rewrites: uriRewrite, OnTable: func(r dbcopy.TableResult) {
		mu.Lock()
		defer mu.Unlock()
		recorded[r.Database+"."+r.Table] = true
	}})
	if err != nil {
		t.Fatal(err)
	}
	if m := rep.Mismatches(); len(m) > 0 {
		t.Fatalf("mismatches: %+v", m)
	}
	for _, d := range dbs {
		want := tables(t, src, d.From)
		if got := tables(t, dst, d.To); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: tables %v, want %v (no marker left behind)", d.To, got, want)
		}
		for _, tb := range want {
			if !recorded[d.To+"."+tb] {
				t.Errorf("OnTable not called for %s.%s", d.To, tb)
			}
			if got, want := showCreate(t, dst, d.To, tb), showCreate(t, src, d.From, tb); got != want {
				t.Errorf("%s.%s: SHOW CREATE TABLE differs:\n%s\nsource:\n%s", d.To, tb, got, want)
			}
			if d.From == "metadb" && (tb == "Artifact" || tb == "ContextProperty") {
				continue
			}
			if got, want := checksumTable(t, dst, d.To, tb), checksumTable(t, src, d.From, tb); got != want {
				t.Errorf("%s.%s: CHECKSUM TABLE %d, source %d", d.To, tb, got, want)
			}
		}
	}
	if rep.Tables != 10+1+9+1 {
		t.Errorf("report has %d tables", rep.Tables)
	}

	// Rewritten URIs: only the minio://mlpipeline/ prefix changed, NULLs and other URIs kept.
	for _, q := range []string{
		"SELECT COUNT(*) FROM %s.Artifact WHERE uri LIKE 'minio://mlpipeline/%%'",
		"SELECT COUNT(*) FROM %s.Artifact WHERE uri IS NULL",
		"SELECT COUNT(*) FROM %s.Artifact WHERE uri LIKE 's3://elsewhere/%%'",
	} {
		srcN := scalar[int](t, src, strings.Replace(q, "%s", "metadb", 1))
		dstN := scalar[int](t, dst, strings.Replace(q, "%s", "c_metadb", 1))
		if strings.Contains(q, "minio") {
			s3 := scalar[int](t, dst, "SELECT COUNT(*) FROM c_metadb.Artifact WHERE uri LIKE 's3://bucket-1/%'")
			if dstN != 0 || s3 != srcN || srcN == 0 {
				t.Errorf("artifact URIs: %d minio left, %d s3, source %d minio", dstN, s3, srcN)
			}
			continue
		}
		if srcN != dstN || srcN == 0 {
			t.Errorf("%s: %d, source %d", q, dstN, srcN)
		}
	}
	for _, d := range rep.Databases {
		for _, r := range d.Tables {
			if r.Table == "Artifact" && r.Rewritten == 0 {
				t.Errorf("Artifact: no rewritten values reported")
			}
		}
	}

	// The next id is the source's: the destination gives a new row the id the source would have.
	srcNext := autoIncrement.FindStringSubmatch(showCreate(t, src, "cachedb", "execution_caches"))
	if _, err := dst.Exec("INSERT INTO c_cachedb.execution_caches (ExecutionCacheKey, ExecutionTemplate, ExecutionOutput, " +
		"MaxCacheStaleness, StartedAtInSec, EndedAtInSec) VALUES ('k', '', '', 0, 0, 0)"); err != nil {
		t.Fatal(err)
	}
	if got := scalar[string](t, dst, "SELECT MAX(ID) FROM c_cachedb.execution_caches"); srcNext == nil || got != srcNext[1] {
		t.Errorf("next execution_caches id on the destination %s, source's AUTO_INCREMENT %v", got, srcNext)
	}

	// Katib's db-manager, pointed at the destination, reads the logs it wrote on the source.
	for _, q := range []string{"CREATE USER 'katibdst'@'%' IDENTIFIED BY 'pw'", "GRANT ALL ON c_katib.* TO 'katibdst'@'%'"} {
		if _, err := dst.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = dst.Exec("DROP USER 'katibdst'@'%'") })
	host, port, _ := strings.Cut(localstack.Shared(t).MySQLAddr, ":")
	mgr := katibdb.Start(t, katibdb.DB{User: "katibdst", Password: "pw", Host: host, Port: port, Database: "c_katib"})
	for _, trial := range fix.trials {
		if got, want := mgr.Get(t, trial), fix.katib[trial]; !reflect.DeepEqual(got, want) {
			t.Fatalf("katib %s: %d metrics from the destination, %d from the source", trial, len(got), len(want))
		}
	}
}

func checksumTable(t *testing.T, db *sql.DB, schema, table string) int64 {
	t.Helper()
	var name string
	var sum sql.NullInt64
	if err := db.QueryRow("CHECKSUM TABLE `"+schema+"`.`"+table+"` EXTENDED").Scan(&name, &sum); err != nil {
		t.Fatal(err)
	}
	return sum.Int64
}

// A run killed in the middle of a table leaves it partly copied; the next run, told which tables the first
// recorded, verifies those, drops and recopies the partial one, and ends equal.
func TestResumeAfterKill(t *testing.T) {
	src, dst := source(t), destination(t)
	dbs := kubeflow(src, "r")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	done := map[string]bool{}
	partial := ""
	_, err := dbcopy.Copy(ctx, dst, dbs, dbcopy.Options{Parallel: 2, BatchRows: 50, Rewrites: uriRewrite,
		OnTable: func(r dbcopy.TableResult) { mu.Lock(); done[r.Database+"."+r.Table] = true; mu.Unlock() },
		Progress: func(db, table string, rows, total int64) {
			if table == "run_details" && rows >= 200 && partial == "" {
				partial = db + "." + table
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v, want context.Canceled", err)
	}
	n := scalar[int](t, dst, "SELECT COUNT(*) FROM r_mlpipeline.run_details")
	if n == 0 || n >= runs {
		t.Fatalf("run_details has %d rows after the kill, want a partial copy", n)
	}
	if done[partial] {
		t.Fatal("the partial table was recorded as done")
	}
	isDone := func(db, table string) bool { mu.Lock(); defer mu.Unlock(); return done[db+"."+table] }
	if err := dbcopy.CheckDestination(context.Background(), dst, dbs, isDone); err != nil {
		t.Fatalf("the interrupted run's own tables are refused: %v", err)
	}
	rep, err := dbcopy.Copy(context.Background(), dst, dbs, dbcopy.Options{Rewrites: uriRewrite, Done: isDone})
	if err != nil {
		t.Fatal(err)
	}
	if m := rep.Mismatches(); len(m) > 0 {
		t.Fatalf("mismatches after resuming: %+v", m)
	}
	resumed := 0
	for _, d := range rep.Databases {
		for _, r := range d.Tables {
			if r.Resumed {
				resumed++
			}
			if r.Database+"."+r.Table == partial && r.Resumed {
				t.Error("the partial table was not recopied")
			}
		}
	}
	if resumed != len(done) || resumed == 0 {
		t.Errorf("%d tables resumed, %d recorded done", resumed, len(done))
	}
	if got := scalar[int](t, dst, "SELECT COUNT(*) FROM r_mlpipeline.run_details"); got != runs {
		t.Errorf("run_details has %d rows, want %d", got, runs)
	}
	for _, d := range dbs {
		for _, tb := range tables(t, src, d.From) {
			if d.From == "metadb" && (tb == "Artifact" || tb == "ContextProperty") {
				continue
			}
			if got, want := checksumTable(t, dst, d.To, tb), checksumTable(t, src, d.From, tb); got != want {
				t.Errorf("%s.%s: CHECKSUM TABLE %d, source %d", d.To, tb, got, want)
			}
		}
	}
}

// A destination that already holds data is refused before anything is written.
func TestNonEmptyDestinationRefused(t *testing.T) {
	src, dst := source(t), destination(t)
	for _, q := range []string{"CREATE DATABASE n_mlpipeline", "CREATE TABLE n_mlpipeline.experiments (UUID varchar(64) PRIMARY KEY)",
		"INSERT INTO n_mlpipeline.experiments VALUES ('e1')"} {
		if _, err := dst.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, err := dbcopy.Copy(context.Background(), dst, kubeflow(src, "n"), dbcopy.Options{})
	if err == nil || !strings.Contains(err.Error(), "destination database n_mlpipeline already has table experiments (1 row)") {
		t.Fatalf("got %v", err)
	}
	if got := tables(t, dst, "n_mlpipeline"); !reflect.DeepEqual(got, []string{"experiments"}) {
		t.Errorf("n_mlpipeline now has %v", got)
	}
	if n := scalar[int](t, dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'n\\_%'"); n != 1 {
		t.Errorf("%d n_ databases exist, want only n_mlpipeline", n)
	}
}

// A destination row changed after the copy is reported by Verify, on that table only.
func TestVerifyFindsMismatch(t *testing.T) {
	src, dst := source(t), destination(t)
	dbs := kubeflow(src, "m")[:3]
	if rep, err := dbcopy.Copy(context.Background(), dst, dbs, dbcopy.Options{Rewrites: uriRewrite}); err != nil || len(rep.Mismatches()) > 0 {
		t.Fatalf("copy: %v %+v", err, rep.Mismatches())
	}
	if _, err := dst.Exec("UPDATE m_metadb.ArtifactProperty SET byte_value = 0x00 WHERE artifact_id = 2"); err != nil {
		t.Fatal(err)
	}
	rep, err := dbcopy.Verify(context.Background(), dst, dbs, dbcopy.Options{Rewrites: uriRewrite})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Mismatches()
	if len(m) != 1 || m[0].Table != "ArtifactProperty" || m[0].Rows != m[0].DestRows || m[0].SourceChecksum == m[0].DestChecksum {
		t.Fatalf("mismatches %+v, want ArtifactProperty's checksum", m)
	}
}

// Views (and triggers, routines, events) are refused by name rather than silently left behind.
func TestViewRefused(t *testing.T) {
	src, dst := source(t), destination(t)
	for _, q := range []string{"CREATE DATABASE withview", "CREATE TABLE withview.t (id int primary key)",
		"CREATE VIEW withview.v AS SELECT id FROM withview.t"} {
		if _, err := src.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, err := dbcopy.Copy(context.Background(), dst, []dbcopy.Database{{Source: src, From: "withview", To: "v_withview"}}, dbcopy.Options{})
	if err == nil || !strings.Contains(err.Error(), "source database withview has view v") {
		t.Fatalf("got %v", err)
	}
	if n := scalar[int](t, dst, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'v_withview'"); n != 0 {
		t.Error("the destination database was created")
	}
}
