package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/operation"
)

const migrateLong = `Move an existing Kubeflow's data out of the cluster into this installation's RDS instance and S3 bucket:
KFP's databases (mlpipeline, cachedb, metadb, or the names pipeline-install-config gives) and Katib's from the
in-cluster MySQL servers (Services mysql and katib-mysql), and every object of the in-cluster object store
(MinIO up to Kubeflow 1.10, SeaweedFS from 1.11) with its keys unchanged. Run it after 'kfaws up' and before
'kfaws apply' (or 'up --manifests'), which replaces the in-cluster storage.

The servers are reached through the cluster (a port-forward to their pods, as kubectl port-forward does) or at
--source-db-address, --source-katib-db-address and --source-s3-endpoint; their credentials are read from the
release's Secrets (mysql-secret, katib-mysql-secrets, mlpipeline-minio-artifact). The RDS instance is reached as
'kfaws verify' reaches it (--db-address, the endpoint, or a relay pod).

The writers (KFP's API server, persistence agent, scheduler, cache server and metadata servers, Argo's workflow
controller, Katib's db-manager) are scaled to zero for the copy and back to their replicas afterwards, also after
a failure; the report says how long they were down. Tables are copied schema first, in parallel, from one
consistent snapshot, with charsets, indexes and AUTO_INCREMENT values kept; objects in parallel, large ones in
parts. Artifact URIs in MLMD (minio://BUCKET/...) are rewritten to s3://BUCKET/... with the same keys. Each table
is compared by row count and checksum, each object by checksum.

The destination must be empty: a table or object that this migration did not copy stops the run before anything
is written or stopped (exit 3). A migration that was interrupted resumes where it stopped when run again: what
it copied and verified is recorded in the state, and the objects it wrote carry its marker.

Exit codes: 0 migrated and verified; 1 failed or a mismatch (listed); 2 bad input; 3 the destination is not
empty. Nothing is printed of any password or key.`

func newMigrateCmd(s Streams, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Copy the in-cluster MySQL and MinIO/SeaweedFS data into RDS and S3, verified",
		Long:  migrateLong,
		Example: `  kfaws up --config kfaws.yaml
  kfaws migrate --config kfaws.yaml --dry-run
  kfaws migrate --config kfaws.yaml
  kfaws up --config kfaws.yaml --manifests ./manifests`,
		Args: noArgs,
	}
	f := addAWSFlags(cmd, g)
	m := &operation.Migrate{}
	var only []string
	fl := cmd.Flags()
	fl.BoolVar(&m.DryRun, "dry-run", false, "find the sources and check the destination; stop and copy nothing")
	fl.StringSliceVar(&only, "only", nil, "copy only these parts: databases, objects (default: every part the option moves)")
	fl.StringVar(&m.KFPAddress, "source-db-address", "", "HOST:PORT of KFP's in-cluster MySQL (default: a port-forward to Service mysql)")
	fl.StringVar(&m.KatibAddress, "source-katib-db-address", "", "HOST:PORT of Katib's in-cluster MySQL (default: a port-forward to Service katib-mysql)")
	fl.StringVar(&m.StoreEndpoint, "source-s3-endpoint", "", "URL of the in-cluster object store's S3 API (default: a port-forward to its Service)")
	fl.IntVar(&m.Parallel, "parallel", 0, "tables and objects copied at once (default: 4 tables, 16 objects)")
	fl.DurationVar(&m.WriterTimeout, "writer-timeout", 5*time.Minute, "how long to wait for the writers' pods to stop")
	addKubeFlags(fl, &f.kube)
	db := addDBFlags(fl)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		for _, o := range only {
			switch o {
			case "databases":
				m.Databases = true
			case "objects":
				m.Objects = true
			default:
				return usageError(fmt.Errorf("--only %q: the parts are databases and objects", o))
			}
		}
		if m.Parallel < 0 {
			return usageError(errors.New("--parallel must be 1 or more"))
		}
		conf, err := f.configuration(cmd.Context(), s)
		if err != nil {
			return err
		}
		m.Configuration, m.DB = conf, db.options()
		if !g.quiet {
			m.Progress = newMigrateProgress(s.Err)
		}
		res, err := m.Run(cmd.Context())
		if res != nil {
			var perr error
			if f.output == outputJSON {
				perr = writeJSON(s.Out, res)
			} else {
				printMigrateText(s.Out, res)
			}
			if perr != nil && err == nil {
				err = perr
			}
		}
		var me *operation.MismatchError
		switch {
		case errors.As(err, &me):
			return withCode(ExitFailure, err)
		case err != nil && operation.Classify(err) == operation.Failed && !m.DryRun:
			return fmt.Errorf("%w\nwhat finished is recorded in %s; run kfaws migrate again to resume", err, conf.State.Path())
		case err != nil:
			return err
		case m.DryRun:
			fmt.Fprintf(s.Err, "\nThe destination is empty; %d writer(s) would be stopped. Nothing was changed (--dry-run).\n", len(res.Writers))
		default:
			fmt.Fprintf(s.Err, "\nMigrated and verified; the writers were down for %s. Next: kfaws up --manifests DIR (or kfaws apply)\n",
				time.Duration(res.WritersDown))
		}
		return nil
	}
	return cmd
}

// printMigrateText prints the sources, then per database its tables, then the objects, then the verdict.
func printMigrateText(w io.Writer, r *operation.MigrateResult) {
	src := r.Source
	if src.KFP != nil {
		fmt.Fprintf(w, "KFP's MySQL (Service %s): %s\n", src.KFP.Service, dbList(src.KFP.Databases))
	}
	if src.Katib != nil {
		fmt.Fprintf(w, "Katib's MySQL (Service %s): %s\n", src.Katib.Service, dbList(src.Katib.Databases))
	}
	if src.Store != nil {
		fmt.Fprintf(w, "object store: %s (Service %s), bucket %s\n", src.Store.Kind, src.Store.Service, src.Store.Bucket)
	}
	for _, rw := range r.Rewrites {
		fmt.Fprintf(w, "rewrite %s.%s.%s: %s... -> %s...\n", rw.Database, rw.Table, rw.Column, rw.From, rw.To)
	}
	if len(r.Writers) > 0 {
		names := make([]string, 0, len(r.Writers))
		for _, wr := range r.Writers {
			names = append(names, fmt.Sprintf("%s (%d)", wr.Name, wr.Replicas))
		}
		fmt.Fprintf(w, "writers: %s\n", strings.Join(names, ", "))
	}
	if d := r.Databases; d != nil {
		for _, db := range d.Databases {
			fmt.Fprintf(w, "database %s: %d table(s), %d row(s)\n", db.To, len(db.Tables), db.Rows)
			for _, t := range db.Tables {
				if !t.Match {
					fmt.Fprintf(w, "  MISMATCH %s.%s: source %s, destination %s\n", t.Database, t.Table, t.SourceChecksum, t.DestChecksum)
				}
			}
		}
	}
	if o := r.Objects; o != nil {
		fmt.Fprintf(w, "objects: %d (%d copied, %d already there), %s in %s\n", o.Objects, o.Copied, o.Skipped,
			bytesText(o.Bytes), o.Duration.Round(time.Millisecond))
		for _, mm := range o.Mismatches {
			fmt.Fprintf(w, "  MISMATCH %s: %s\n", mm.Key, mm.Reason)
		}
	}
	if !r.DryRun {
		fmt.Fprintf(w, "mismatches: %d; writers down: %s\n", r.Mismatches, time.Duration(r.WritersDown))
	}
}

func dbList(ds []operation.MigrateDatabaseName) string {
	var parts []string
	for _, d := range ds {
		if d.From == d.To {
			parts = append(parts, d.From)
		} else {
			parts = append(parts, d.From+" -> "+d.To)
		}
	}
	return strings.Join(parts, ", ")
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// migrateProgress prints each table when done, and how far the copy is at most every 5 seconds.
type migrateProgress struct {
	mu   sync.Mutex
	w    io.Writer
	last time.Time
}

func newMigrateProgress(w io.Writer) *migrateProgress { return &migrateProgress{w: w} }

func (p *migrateProgress) Step(msg string) { p.printf("  … %s\n", msg) }

func (p *migrateProgress) Table(db, table string, rows, total int64) {
	if p.due(false) {
		p.printf("    %s.%s: %d of about %d row(s)\n", db, table, rows, total)
	}
}

// due says whether 5 seconds passed since the last progress line (always when final), and starts the next 5.
func (p *migrateProgress) due(final bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !final && time.Since(p.last) < 5*time.Second {
		return false
	}
	p.last = time.Now()
	return true
}

func (p *migrateProgress) TableDone(r operation.MigrateTable) {
	verb := "copied"
	if r.Resumed {
		verb = "verified (copied by an earlier run)"
	}
	p.printf("  ✓ %s.%s: %d row(s) %s\n", r.Database, r.Table, r.Rows, verb)
}

func (p *migrateProgress) Objects(o operation.MigrateObjectProgress) {
	if p.due(o.Bytes == o.TotalBytes) {
		p.printf("    objects: %d done (%d already there), %s of %s, %s/s\n", o.Objects, o.Skipped,
			bytesText(o.Bytes), bytesText(o.TotalBytes), bytesText(int64(o.BytesPerSecond)))
	}
}

func (p *migrateProgress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}
