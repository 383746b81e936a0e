package operation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/migrate"
	"github.com/kfaws/kfaws/internal/migrate/dbcopy"
	"github.com/kfaws/kfaws/internal/migrate/objcopy"
	"github.com/kfaws/kfaws/internal/state"
)

// Migrate moves an existing Kubeflow's data out of the cluster into this installation: KFP's and Katib's
// databases from their in-cluster MySQL servers into the RDS instance, and the objects of the in-cluster object
// store (MinIO or SeaweedFS) into the S3 bucket. The writers (KFP's servers, Argo's controller, Katib's
// db-manager) are scaled to zero for the copy and back afterwards, whatever happened. The destination must be
// empty unless it holds what an earlier, interrupted run of this migration copied (recorded in the state), in
// which case the run resumes. Everything copied is verified (row counts and checksums per table, checksums per
// object).
type Migrate struct {
	*Configuration
	// DryRun finds the sources and checks the destination, and changes nothing (no writer is stopped).
	DryRun bool
	// Databases and Objects choose the parts; both false means every part the option moves out of the cluster.
	Databases, Objects bool
	// KFPAddress, KatibAddress and StoreEndpoint reach the in-cluster servers at addresses the user gives (a
	// port-forward they run) instead of through the cluster.
	KFPAddress, KatibAddress, StoreEndpoint string
	// DB chooses how the RDS instance is reached, as verify's DB does.
	DB dbaccess.Options
	// Parallel is the number of tables and of objects copied at once (0: each engine's default).
	Parallel int
	// WriterTimeout bounds the wait for the writers' pods to be gone (default 5 minutes).
	WriterTimeout time.Duration
	// Progress, when set, is told about each table and the objects as they are copied.
	Progress MigrateProgress
}

// MigrateProgress receives progress; its methods may be called from several goroutines.
type MigrateProgress interface {
	Step(msg string)
	Table(db, table string, rows, total int64)
	TableDone(r MigrateTable)
	Objects(p MigrateObjectProgress)
}

// MigrateResult is what a migration found, did and verified.
type MigrateResult struct {
	DryRun bool            `json:"dryRun"`
	Source *migrate.Source `json:"source"`
	// Resumed is true when an earlier, interrupted run of this migration had copied part of the data.
	Resumed bool `json:"resumed"`
	// Writers were stopped for the copy and started again; WritersDown is how long they were down.
	Writers     []migrate.Writer `json:"writers"`
	WritersDown Duration         `json:"writersDown"`
	Databases   *dbcopy.Report   `json:"databases,omitempty"`
	Objects     *objcopy.Report  `json:"objects,omitempty"`
	// Rewrites are the URI prefixes rewritten in MLMD so that old runs' artifacts resolve in the bucket.
	Rewrites []dbcopy.Rewrite `json:"rewrites,omitempty"`
	// Mismatches counts the tables and objects whose copy does not match the source.
	Mismatches int `json:"mismatches"`
}

// Duration prints as Go's duration text in JSON, as the rest of the output does.
type Duration time.Duration

// MarshalJSON writes "1m2.5s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(time.Duration(d).String())), nil
}

// MismatchError says that what was copied differs from the source somewhere; the result lists where.
type MismatchError struct{ Count int }

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%d table(s) or object(s) at the destination do not match the source (listed above); the writers "+
		"run again on the in-cluster storage, which is unchanged: look into the differences, then run kfaws migrate again", e.Count)
}

// DestinationError says the destination holds data this migration did not write; nothing was changed.
type DestinationError struct{ Err error }

func (e *DestinationError) Error() string { return e.Err.Error() }
func (e *DestinationError) Unwrap() error { return e.Err }

const migrateCommand = "kfaws migrate"

// Run migrates. On a mismatch the result is returned with a *MismatchError.
func (m *Migrate) Run(ctx context.Context) (*MigrateResult, error) {
	wantDB, wantObj, err := m.parts()
	if err != nil {
		return nil, badInput(err)
	}
	if !m.DryRun {
		lock, err := m.State.Lock(migrateCommand)
		if err != nil {
			return nil, badInput(err)
		}
		defer func() {
			if err := lock.Release(); err != nil {
				m.logger().Warn("releasing the state lock", "error", err)
			}
		}()
	}
	recorded := m.State.Snapshot()
	out := recorded.Outputs
	if wantDB && out.DBHost == "" {
		return nil, badInput(errors.New("the state records no RDS instance to migrate into: run kfaws up first"))
	}
	bucket := out.Bucket
	if wantObj && bucket == "" {
		return nil, badInput(errors.New("the state records no S3 bucket to migrate into: run kfaws up first"))
	}
	k, err := m.KubeClient()
	if err != nil {
		return nil, badInput(fmt.Errorf("kfaws migrate reads the in-cluster storage and stops its writers through the cluster: %w", err))
	}
	cluster, err := kubeCluster(k)
	if err != nil {
		return nil, err
	}
	m.step("finding the in-cluster storage")
	src, err := migrate.Discover(ctx, cluster.Clientset, migrate.Want{Databases: wantDB, Objects: wantObj,
		KatibDatabase: out.DBName, KFPAddress: m.KFPAddress, KatibAddress: m.KatibAddress, StoreEndpoint: m.StoreEndpoint})
	var nf *migrate.NotFoundError
	if errors.As(err, &nf) {
		return nil, badInput(err)
	}
	if err != nil {
		return nil, err
	}
	res := &MigrateResult{DryRun: m.DryRun, Source: src, Resumed: recorded.Migration != nil && recorded.Migration.FinishedAt.IsZero()}

	sess, err := m.open(ctx, cluster, src, bucket)
	if err != nil {
		return nil, err
	}
	defer sess.close()
	if src.Store != nil && m.Config.Option.UsesS3() {
		if res.Rewrites, err = existingRewrites(ctx, sess, uriRewrites(src, bucket)); err != nil {
			return res, err
		}
	}

	// Nothing is written unless the destination is empty or holds only this migration's own copies.
	done := func(db, table string) bool { return recorded.Migration.HasTable(db, table) }
	if len(sess.dbs) > 0 {
		if err := dbcopy.CheckDestination(ctx, sess.dst.DB, sess.dbs, done); err != nil {
			return res, &DestinationError{Err: err}
		}
	}
	if sess.srcBucket != nil {
		if err := objcopy.CheckDestination(ctx, sess.dstBucket); err != nil {
			return res, &DestinationError{Err: err}
		}
	}
	writers, err := m.writersToStop(ctx, cluster, recorded.Migration)
	if err != nil {
		return res, err
	}
	res.Writers = writers
	if m.DryRun {
		return res, nil
	}
	return res, m.copy(ctx, cluster, sess, res, done)
}

// parts resolves Databases/Objects against the option: the databases move when they are on RDS, the objects
// when they are on S3.
func (m *Migrate) parts() (db, obj bool, err error) {
	db, obj = m.Databases, m.Objects
	if !db && !obj {
		db, obj = m.Config.Option.UsesRDS(), m.Config.Option.UsesS3()
	}
	if db && !m.Config.Option.UsesRDS() {
		return false, false, fmt.Errorf("option %s keeps the databases in the cluster: there is no RDS instance to move them to", m.Config.Option)
	}
	if obj && !m.Config.Option.UsesS3() {
		return false, false, fmt.Errorf("option %s keeps the object store in the cluster: there is no bucket to move it to", m.Config.Option)
	}
	return db, obj, nil
}

// writersToStop are the writers that run now, plus those an interrupted run stopped (which it restores to the
// replicas they had before it, not to zero).
func (m *Migrate) writersToStop(ctx context.Context, c *dbaccess.Cluster, rec *state.Migration) ([]migrate.Writer, error) {
	running, err := migrate.RunningWriters(ctx, c.Clientset)
	if err != nil {
		return nil, err
	}
	var ws []migrate.Writer
	if rec != nil {
		for _, w := range rec.Writers {
			ws = append(ws, migrate.Writer{Name: w.Name, Replicas: w.Replicas})
		}
	}
	for _, w := range running {
		if !slices.ContainsFunc(ws, func(x migrate.Writer) bool { return x.Name == w.Name }) {
			ws = append(ws, w)
		}
	}
	return ws, nil
}

// copy stops the writers, copies the databases and the objects side by side, and starts the writers again
// whatever happened. Every step is recorded in the state before it is taken.
func (m *Migrate) copy(ctx context.Context, c *dbaccess.Cluster, s *session, res *MigrateResult, done func(db, table string) bool) error {
	if err := m.State.Update(func(st *state.State) {
		mg := st.Migration
		switch {
		case mg == nil:
			mg = &state.Migration{StartedAt: time.Now().UTC().Truncate(time.Second)}
		case !mg.FinishedAt.IsZero():
			// Run again after it finished: what it copied stays its own, to verify again.
			mg.StartedAt, mg.FinishedAt = time.Now().UTC().Truncate(time.Second), time.Time{}
		}
		mg.Writers = nil
		for _, w := range res.Writers {
			mg.Writers = append(mg.Writers, state.MigrationWriter{Name: w.Name, Replicas: w.Replicas})
		}
		mg.Databases = nil
		for _, d := range s.dbs {
			mg.Databases = append(mg.Databases, d.To)
		}
		mg.Bucket = s.dstBucket.Name
		st.Migration = mg
	}); err != nil {
		return err
	}
	m.step(fmt.Sprintf("stopping %d writer(s)", len(res.Writers)))
	stopped := time.Now()
	defer func() {
		// A fresh context: the writers must run again even when the caller's was cancelled.
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		m.step("starting the writers again")
		if err := migrate.Start(sctx, c.Clientset, res.Writers); err != nil {
			m.logger().Error("starting the writers again failed; scale them by hand (kubectl -n kubeflow scale deployment NAME --replicas=N)",
				"error", err)
			return
		}
		res.WritersDown = Duration(time.Since(stopped).Round(time.Millisecond))
		if err := m.State.Update(func(st *state.State) {
			if st.Migration != nil {
				st.Migration.Writers = nil
			}
		}); err != nil {
			m.logger().Warn("recording that the writers run again", "error", err)
		}
	}()
	timeout := m.WriterTimeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	if err := migrate.Stop(ctx, c.Clientset, res.Writers, timeout); err != nil {
		return err
	}

	var wg sync.WaitGroup
	var dbErr, objErr error
	if len(s.dbs) > 0 {
		wg.Go(func() {
			var rep dbcopy.Report
			rep, dbErr = dbcopy.Copy(ctx, s.dst.DB, s.dbs, dbcopy.Options{Parallel: m.Parallel, Rewrites: res.Rewrites,
				Done: done, OnTable: m.recordTable, Progress: m.table})
			res.Databases = &rep
		})
	}
	if s.srcBucket != nil {
		wg.Go(func() {
			var rep objcopy.Report
			rep, objErr = objcopy.Copy(ctx, *s.srcBucket, s.dstBucket, objcopy.Options{Parallel: m.Parallel, Progress: m.objects})
			res.Objects = &rep
		})
	}
	wg.Wait()
	if err := errors.Join(dbErr, objErr); err != nil {
		return err
	}
	if res.Databases != nil {
		res.Mismatches += len(res.Databases.Mismatches())
	}
	if res.Objects != nil {
		res.Mismatches += len(res.Objects.Mismatches)
	}
	if res.Mismatches > 0 {
		return &MismatchError{Count: res.Mismatches}
	}
	return m.State.Update(func(st *state.State) {
		if st.Migration == nil {
			return
		}
		if s.srcBucket != nil {
			st.Migration.ObjectsDone = true
		}
		st.Migration.FinishedAt = time.Now().UTC().Truncate(time.Second)
	})
}

func (m *Migrate) recordTable(r dbcopy.TableResult) {
	if err := m.State.Update(func(st *state.State) {
		if st.Migration != nil && !st.Migration.HasTable(r.Database, r.Table) {
			st.Migration.Tables = append(st.Migration.Tables, r.Database+"."+r.Table)
		}
	}); err != nil {
		m.logger().Warn("recording a copied table", "table", r.Database+"."+r.Table, "error", err)
	}
	if m.Progress != nil {
		m.Progress.TableDone(r)
	}
}

func (m *Migrate) step(msg string) {
	m.logger().Info(msg)
	if m.Progress != nil {
		m.Progress.Step(msg)
	}
}

func (m *Migrate) table(db, table string, rows, total int64) {
	if m.Progress != nil {
		m.Progress.Table(db, table, rows, total)
	}
}

func (m *Migrate) objects(p objcopy.Progress) {
	if m.Progress != nil {
		m.Progress.Objects(p)
	}
}

// uriRewrites map MLMD's minio:// artifact URIs and pipeline roots to the bucket the objects move to, keys
// unchanged (kfp@2.16.0:backend/src/v2/metadata/client.go records pipeline_root as a context property and each
// artifact's URI; backend/src/v2/objectstore/config.go reads both schemes).
func uriRewrites(src *migrate.Source, bucket string) []dbcopy.Rewrite {
	md, ok := src.KFP.Database(migrate.RoleMetadata)
	if !ok {
		return nil
	}
	mlmd := md.From
	from, to := "minio://"+src.Store.Bucket+"/", "s3://"+bucket+"/"
	return []dbcopy.Rewrite{
		{Database: mlmd, Table: "Artifact", Column: "uri", From: from, To: to},
		{Database: mlmd, Table: "ContextProperty", Column: "string_value", From: from, To: to},
		{Database: mlmd, Table: "ExecutionProperty", Column: "string_value", From: from, To: to},
	}
}
