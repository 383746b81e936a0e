package operation_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/go-sql-driver/mysql"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/localstack"
)

// migrateFixture is an installation after kfaws up, on a cluster that still runs a default install's storage: a
// second MariaDB server stands in for the in-cluster mysql and katib-mysql, a bucket of the local S3 for MinIO.
type migrateFixture struct {
	in      *install
	cs      kubernetes.Interface
	conf    func() *operation.Configuration
	source  *sql.DB
	srcAddr string
	names   struct{ pipeline, cache, metadata, katib string }
	bucket  string // the "MinIO" bucket
	s3      *s3.Client
}

func newMigrateFixture(t *testing.T) *migrateFixture {
	t.Helper()
	ctx := context.Background()
	var env kubetest.Env
	t.Cleanup(env.Stop)
	k := env.Client(t)
	cs := kubernetes.NewForConfigOrDie(k.Config)
	kubetest.EnsureNamespace(ctx, t, cs, kubeflow.Namespace)
	f := &migrateFixture{cs: cs}
	f.in = newInstall(t, plainHTTP, func(c *config.Config) { c.RDS.DatabaseName = "kf_" + strings.ReplaceAll(c.Name, "-", "_") })
	f.in.mustUp(ctx)
	f.conf = func() *operation.Configuration { return f.in.on(k) }
	f.s3 = s3.NewFromConfig(mustAWSConfig(t, f.in.stack), func(o *s3.Options) { o.UsePathStyle = true })

	// Names no other test on the shared MariaDB uses: the destination databases keep the source's names.
	id := strings.ReplaceAll(f.in.cfg.Name, "-", "_")
	f.names.pipeline, f.names.cache, f.names.metadata, f.names.katib = "mlp_"+id, "cache_"+id, "meta_"+id, "katib"
	f.bucket = "minio-" + f.in.cfg.S3.Bucket

	srv, err := localstack.StartMariaDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	f.source, err = srv.Root(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.source.Close() })
	// The in-cluster MySQL's root, as MYSQL_ALLOW_EMPTY_PASSWORD makes it (third-party/mysql): any host, no password.
	for _, q := range []string{"CREATE USER 'root'@'%' IDENTIFIED BY ''", "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION"} {
		if _, err := f.source.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	f.srcAddr = srv.Addr()
	f.seedSource(t)
	f.seedCluster(t)
	return f
}

func mustAWSConfig(t *testing.T, s *localstack.Stack) aws.Config {
	t.Helper()
	c, err := s.AWSConfig(context.Background(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// seedSource leaves in the source what KFP, MLMD, the cache and Katib leave (a few tables of each), and objects
// under KFP's prefixes in the "MinIO" bucket.
func (f *migrateFixture) seedSource(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := f.source.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, db := range []string{f.names.pipeline, f.names.cache, f.names.metadata, f.names.katib} {
		exec("CREATE DATABASE `" + db + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
	}
	exec("CREATE TABLE `" + f.names.pipeline + "`.experiments (UUID varchar(64) NOT NULL PRIMARY KEY, Name varchar(128) NOT NULL, " +
		"Description longtext, CreatedAtInSec bigint NOT NULL DEFAULT 0, Namespace varchar(63) NOT NULL DEFAULT '')")
	exec("CREATE TABLE `" + f.names.pipeline + "`.db_statuses (HaveSamplesLoaded tinyint(1) NOT NULL, PRIMARY KEY (HaveSamplesLoaded))")
	exec("INSERT INTO `" + f.names.pipeline + "`.db_statuses VALUES (1)")
	for i := range 300 {
		exec("INSERT INTO `"+f.names.pipeline+"`.experiments VALUES (?, ?, ?, ?, ?)",
			fmt.Sprintf("uuid-%04d", i), fmt.Sprintf("exp %d ✓ 实验 🚀", i), strings.Repeat("d", i), 1700000000+i, "kubeflow-user-example-com")
	}
	exec("CREATE TABLE `" + f.names.cache + "`.execution_caches (ID bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, " +
		"ExecutionCacheKey varchar(255) NOT NULL, ExecutionTemplate longtext NOT NULL, ExecutionOutput longtext, " +
		"MaxCacheStaleness bigint NOT NULL, StartedAtInSec bigint NOT NULL, EndedAtInSec bigint NOT NULL, KEY idx_cache_key (ExecutionCacheKey))")
	exec("INSERT INTO `" + f.names.cache + "`.execution_caches VALUES (41, 'k', 't', NULL, -1, 1, 2)")
	exec("CREATE TABLE `" + f.names.metadata + "`.Artifact (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, type_id int NOT NULL, " +
		"uri text, state int, name varchar(255), create_time_since_epoch bigint NOT NULL DEFAULT 0)")
	exec("CREATE TABLE `" + f.names.metadata + "`.ContextProperty (context_id int NOT NULL, name varchar(255) NOT NULL, " +
		"is_custom_property tinyint(1) NOT NULL, int_value int, double_value double, string_value mediumtext, byte_value mediumblob, " +
		"proto_value mediumblob, bool_value boolean, PRIMARY KEY (context_id, name, is_custom_property))")
	exec("CREATE TABLE `" + f.names.metadata + "`.MLMDEnv (schema_version int NOT NULL PRIMARY KEY)")
	exec("INSERT INTO `" + f.names.metadata + "`.MLMDEnv VALUES (10)")
	for i := range 50 {
		exec("INSERT INTO `"+f.names.metadata+"`.Artifact (type_id, uri, state, name) VALUES (?, ?, 2, ?)", 3,
			fmt.Sprintf("minio://%s/v2/artifacts/pipe/run-%d/train/uuid/model", f.bucket, i), fmt.Sprintf("model-%d", i))
	}
	exec("INSERT INTO `"+f.names.metadata+"`.Artifact (type_id, uri, state, name) VALUES (3, ?, 2, 'elsewhere')", "gs://other/x")
	exec("INSERT INTO `"+f.names.metadata+"`.ContextProperty (context_id, name, is_custom_property, string_value, byte_value) VALUES (1, 'pipeline_root', 0, ?, ?)",
		"minio://"+f.bucket+"/v2/artifacts/pipe/run-1", []byte{0, 1, 2, 255})
	exec("CREATE TABLE `" + f.names.katib + "`.observation_logs (trial_name VARCHAR(255) NOT NULL, id INT AUTO_INCREMENT PRIMARY KEY, " +
		"time DATETIME(6), metric_name VARCHAR(255) NOT NULL, value TEXT NOT NULL)")
	for i := range 100 {
		exec("INSERT INTO `"+f.names.katib+"`.observation_logs (trial_name, time, metric_name, value) VALUES (?, '2026-11-28 10:00:00.123456', 'accuracy', ?)",
			fmt.Sprintf("trial-%d", i%7), fmt.Sprintf("0.%d", i))
	}

	if _, err := f.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &f.bucket}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"pipelines/0b6e2e0c", "artifacts/wf-1/2026/11/28/wf-1-123/main.log",
		"v2/artifacts/pipe/run-1/train/uuid/model", "private-artifacts/kubeflow-user-example-com/wf-2/main.log"} {
		if _, err := f.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &f.bucket, Key: aws.String(key),
			Body: bytes.NewReader([]byte("content of " + key))}); err != nil {
			t.Fatal(err)
		}
	}
}

// seedCluster creates the storage Deployments, the release's Secrets and pipeline-install-config, and the
// writers, as a default install has them.
func (f *migrateFixture) seedCluster(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for name, replicas := range map[string]int32{"mysql": 1, "katib-mysql": 1, "minio": 1, kubeflow.APIServer: 1,
		"ml-pipeline-persistenceagent": 1, kubeflow.MetadataGRPC: 2, kubeflow.KatibDBManager: 1, kubeflow.UI: 1} {
		labels := map[string]string{"app": name}
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: kubeflow.Namespace},
			Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "example/" + name}}}}}}
		if _, err := f.cs.AppsV1().Deployments(kubeflow.Namespace).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]map[string]string{
		kubeflow.DBSecret:            {"username": "root", "password": ""},
		kubeflow.KatibDatabaseSecret: {kubeflow.KatibDatabasePasswordKey: ""},
		kubeflow.ObjectStoreSecret:   {"accesskey": "minio", "secretkey": "minio123"},
	} {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: kubeflow.Namespace}, StringData: data}
		if _, err := f.cs.CoreV1().Secrets(kubeflow.Namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: kubeflow.InstallConfig, Namespace: kubeflow.Namespace},
		Data: map[string]string{"appVersion": "2.5.0", "pipelineDb": f.names.pipeline, "cacheDb": f.names.cache,
			"mlmdDb": f.names.metadata, "bucketName": f.bucket}}
	if _, err := f.cs.CoreV1().ConfigMaps(kubeflow.Namespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (f *migrateFixture) migrate(p operation.MigrateProgress) *operation.Migrate {
	return &operation.Migrate{Configuration: f.conf(), KFPAddress: f.srcAddr, KatibAddress: f.srcAddr,
		StoreEndpoint: f.in.stack.Endpoint, Progress: p}
}

func (f *migrateFixture) replicas(t *testing.T, name string) int32 {
	t.Helper()
	d, err := f.cs.AppsV1().Deployments(kubeflow.Namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas
}

// dest opens the destination (the RDS instance) as the master user.
func (f *migrateFixture) dest(t *testing.T) *sql.DB {
	t.Helper()
	v := f.in.rdsSecret(context.Background())
	mc := mysql.NewConfig()
	mc.User, mc.Passwd, mc.Net, mc.Addr = v["username"], v["password"], "tcp", v["host"]+":"+v["port"]
	db, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// progressProbe records the tables copied, and may look at the cluster or stop the run as each is done.
type progressProbe struct {
	mu      sync.Mutex
	tables  []string
	onTable func(operation.MigrateTable)
}

func (p *progressProbe) Step(string)                             { /* steps are printed by the CLI */ }
func (p *progressProbe) Table(string, string, int64, int64)      {}
func (p *progressProbe) Objects(operation.MigrateObjectProgress) {}
func (p *progressProbe) TableDone(r operation.MigrateTable) {
	p.mu.Lock()
	p.tables = append(p.tables, r.Database+"."+r.Table)
	hook := p.onTable
	p.mu.Unlock()
	if hook != nil {
		hook(r)
	}
}

// TestMigrateCopiesVerifiesAndRestartsWriters: the databases and objects arrive complete and verified, MLMD's
// minio:// URIs point at the bucket, the writers are down while tables are copied and run again afterwards with
// their replicas, the UI keeps running, and the state says the migration finished.
func TestMigrateCopiesVerifiesAndRestartsWriters(t *testing.T) {
	f := newMigrateFixture(t)
	ctx := context.Background()
	var during []string
	probe := &progressProbe{onTable: func(operation.MigrateTable) {
		during = append(during, fmt.Sprintf("api=%d mlmd=%d ui=%d", f.replicas(t, kubeflow.APIServer),
			f.replicas(t, kubeflow.MetadataGRPC), f.replicas(t, kubeflow.UI)))
	}}
	res, err := f.migrate(probe).Run(ctx)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if res.Mismatches != 0 || res.Resumed {
		t.Errorf("mismatches %d, resumed %v", res.Mismatches, res.Resumed)
	}
	for _, d := range during {
		if d != "api=0 mlmd=0 ui=1" {
			t.Fatalf("while copying: %s (writers must be down, the UI up)", d)
		}
	}
	if len(during) < 7 {
		t.Errorf("%d tables reported, want 7: %v", len(during), probe.tables)
	}
	if f.replicas(t, kubeflow.APIServer) != 1 || f.replicas(t, kubeflow.MetadataGRPC) != 2 || f.replicas(t, kubeflow.KatibDBManager) != 1 {
		t.Error("the writers did not get their replicas back")
	}
	if res.WritersDown <= 0 {
		t.Error("the report does not say how long the writers were down")
	}

	dst := f.dest(t)
	if n := count(t, dst, "SELECT COUNT(*) FROM `"+f.names.pipeline+"`.experiments WHERE Name LIKE '%🚀'"); n != 300 {
		t.Errorf("experiments with the 4-byte character: %d, want 300", n)
	}
	katibDB := f.in.cfg.RDS.DatabaseName
	if n := count(t, dst, "SELECT COUNT(*) FROM `"+katibDB+"`.observation_logs"); n != 100 {
		t.Errorf("Katib's logs in %s: %d, want 100", katibDB, n)
	}
	if n := count(t, dst, "SELECT COUNT(*) FROM `"+f.names.metadata+"`.Artifact WHERE uri LIKE ?",
		"s3://"+f.in.cfg.S3.Bucket+"/v2/artifacts/%"); n != 50 {
		t.Errorf("rewritten artifact URIs: %d, want 50", n)
	}
	if n := count(t, dst, "SELECT COUNT(*) FROM `"+f.names.metadata+"`.Artifact WHERE uri = 'gs://other/x'"); n != 1 {
		t.Error("a URI of another store was changed")
	}
	var root string
	if err := dst.QueryRow("SELECT string_value FROM `" + f.names.metadata + "`.ContextProperty").Scan(&root); err != nil ||
		root != "s3://"+f.in.cfg.S3.Bucket+"/v2/artifacts/pipe/run-1" {
		t.Errorf("pipeline_root = %q, %v", root, err)
	}
	if res.Objects == nil || res.Objects.Objects != 4 || res.Objects.Copied != 4 {
		t.Fatalf("objects report %+v", res.Objects)
	}
	got, err := f.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &f.in.cfg.S3.Bucket, Key: aws.String("artifacts/wf-1/2026/11/28/wf-1-123/main.log")})
	if err != nil {
		t.Fatal(err)
	}
	got.Body.Close()
	st := f.conf().State.Snapshot().Migration
	if st == nil || st.FinishedAt.IsZero() || len(st.Writers) != 0 || !st.ObjectsDone || len(st.Tables) < 7 {
		t.Errorf("state's migration record = %+v", st)
	}

	// Run again, twice (before apply replaces the in-cluster storage): everything is its own, verified, not copied.
	for i := range 2 {
		again, err := f.migrate(nil).Run(ctx)
		if err != nil {
			t.Fatalf("migrate again (%d): %v", i+1, err)
		}
		if again.Mismatches != 0 || again.Objects.Copied != 0 || again.Objects.Skipped != 4 {
			t.Errorf("migrate again (%d): mismatches %d, objects %+v", i+1, again.Mismatches, again.Objects)
		}
		for _, d := range again.Databases.Databases {
			for _, tb := range d.Tables {
				if !tb.Resumed {
					t.Errorf("migrate again (%d) copied %s.%s", i+1, tb.Database, tb.Table)
				}
			}
		}
	}
}

// TestMigrateKilledResumes cancels the run after the first table: the writers still get their replicas back and
// the state lists what was copied; the next run resumes (verifies what was there, copies the rest) and finishes.
func TestMigrateKilledResumes(t *testing.T) {
	f := newMigrateFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	probe := &progressProbe{onTable: func(operation.MigrateTable) { cancel() }}
	_, err := f.migrate(probe).Run(ctx)
	if err == nil {
		t.Fatal("a cancelled migration succeeded")
	}
	if f.replicas(t, kubeflow.APIServer) != 1 || f.replicas(t, kubeflow.MetadataGRPC) != 2 {
		t.Fatal("a killed migration left the writers down")
	}
	rec := f.conf().State.Snapshot().Migration
	if rec == nil || len(rec.Tables) == 0 || !rec.FinishedAt.IsZero() || len(rec.Writers) != 0 {
		t.Fatalf("record after the kill = %+v", rec)
	}

	res, err := f.migrate(nil).Run(context.Background())
	if err != nil {
		t.Fatalf("resumed migrate: %v", err)
	}
	var verified []string
	for _, d := range res.Databases.Databases {
		for _, tb := range d.Tables {
			if tb.Resumed {
				verified = append(verified, tb.Database+"."+tb.Table)
			}
		}
	}
	if !res.Resumed || len(verified) != len(rec.Tables) || res.Mismatches != 0 {
		t.Errorf("resumed %v, tables verified from the first run %v (recorded %v), mismatches %d", res.Resumed, verified, rec.Tables, res.Mismatches)
	}
	if n := count(t, f.dest(t), "SELECT COUNT(*) FROM `"+f.names.pipeline+"`.experiments"); n != 300 {
		t.Errorf("experiments after the resume: %d", n)
	}
	if st := f.conf().State.Snapshot().Migration; st.FinishedAt.IsZero() {
		t.Error("the resumed migration is not recorded as finished")
	}
}

// TestMigrateRefusesNonEmptyDestination: a destination database with data this migration did not copy stops the
// run before any writer is stopped or anything is written; it is a conflict (exit 3).
func TestMigrateRefusesNonEmptyDestination(t *testing.T) {
	f := newMigrateFixture(t)
	ctx := context.Background()
	dst := f.dest(t)
	if _, err := dst.Exec("CREATE DATABASE `" + f.names.pipeline + "`"); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Exec("CREATE TABLE `" + f.names.pipeline + "`.experiments (UUID varchar(64) PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Exec("INSERT INTO `" + f.names.pipeline + "`.experiments VALUES ('default')"); err != nil {
		t.Fatal(err)
	}
	_, err := f.migrate(nil).Run(ctx)
	var de *operation.DestinationError
	if !errors.As(err, &de) || operation.Classify(err) != operation.Conflicting {
		t.Fatalf("err = %v, want a DestinationError (conflict)", err)
	}
	if !strings.Contains(err.Error(), "experiments") {
		t.Errorf("error %q does not name the table", err)
	}
	if f.replicas(t, kubeflow.APIServer) != 1 {
		t.Error("writers were stopped though nothing could be copied")
	}
	if n := count(t, dst, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ?", f.names.cache); n != 0 {
		t.Errorf("%d tables were written into %s", n, f.names.cache)
	}
	if rec := f.conf().State.Snapshot().Migration; rec != nil {
		t.Errorf("a refused migration recorded %+v", rec)
	}
}

// TestMigrateDryRunChangesNothing finds the sources and checks the destination, and stops nothing.
func TestMigrateDryRunChangesNothing(t *testing.T) {
	f := newMigrateFixture(t)
	m := f.migrate(nil)
	m.DryRun = true
	res, err := m.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Source.KFP == nil || res.Source.Katib == nil || res.Source.Store == nil || len(res.Writers) != 4 {
		t.Errorf("dry run found %+v, writers %+v", res.Source, res.Writers)
	}
	if f.replicas(t, kubeflow.APIServer) != 1 {
		t.Error("a dry run stopped a writer")
	}
	if n := count(t, f.dest(t), "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", f.names.pipeline); n != 0 {
		t.Error("a dry run created a database")
	}
}
