package dbcopytest

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Databases are the names Seed creates, as KFP configures them by default.
var Databases = []string{"mlpipeline", "cachedb", "metadb"}

// Options size the seeded data.
type Options struct {
	Runs          int // rows of run_details; the other tables scale with it
	ManifestBytes int // size of each run's workflow manifest (default 2,000)
	Large         int // runs and artifacts that get a value of several MB (default 2)
}

// Seed creates mlpipeline, cachedb and metadb on db with KFP's, the cache's and MLMD's DDL and fills them.
func Seed(ctx context.Context, db *sql.DB, o Options) error {
	if o.ManifestBytes == 0 {
		o.ManifestBytes = 2000
	}
	if o.Large == 0 {
		o.Large = 2
	}
	s := &seeder{db: db, o: o, rnd: rand.New(rand.NewPCG(1, 2))}
	for name, ddl := range map[string][]string{"mlpipeline": mlpipelineDDL, "cachedb": cachedbDDL, "metadb": metadbDDL} {
		if err := s.create(ctx, name, ddl); err != nil {
			return err
		}
	}
	for _, f := range []func(context.Context) error{s.kfp, s.cache, s.mlmd} {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
}

type seeder struct {
	db  *sql.DB
	o   Options
	rnd *rand.Rand
}

func (s *seeder) create(ctx context.Context, name string, ddl []string) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	stmts := append([]string{"CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", "USE " + name}, ddl...)
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// Insert writes n rows made by row into db.table, in multi-row statements.
func Insert(ctx context.Context, db *sql.DB, table string, cols []string, n int, row func(i int) []any) error {
	per := max(1, 4000/len(cols))
	for start := 0; start < n; start += per {
		end := min(n, start+per)
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ",") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(cols))
		ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
		for i := start; i < end; i++ {
			if i > start {
				b.WriteByte(',')
			}
			b.WriteString(ph)
			args = append(args, row(i)...)
		}
		if _, err := db.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("seeding %s: %w", table, err)
		}
	}
	return nil
}

func (s *seeder) text(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 {}:\",\n'\\é"
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(alphabet[s.rnd.IntN(len(alphabet)-2):][:1])
		if s.rnd.IntN(50) == 0 {
			b.WriteString("é🚀")
		}
	}
	return b.String()
}

func (s *seeder) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rnd.UintN(256))
	}
	if n > 4 {
		copy(b, []byte{0, '\'', 0x1a, '\\'})
	}
	return b
}

func nullEvery(i, k int, v any) any {
	if i%k == 0 {
		return nil
	}
	return v
}

func (s *seeder) kfp(ctx context.Context) error {
	n := s.o.Runs
	pipes, exps := n/20+1, n/20+1
	if err := Insert(ctx, s.db, "mlpipeline.db_statuses", []string{"HaveSamplesLoaded"}, 1, func(int) []any { return []any{true} }); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "mlpipeline.default_experiments", []string{"DefaultExperimentId"}, 1,
		func(int) []any { return []any{"exp-0"} }); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "mlpipeline.experiments", []string{"UUID", "Name", "Description", "CreatedAtInSec",
		"LastRunCreatedAtInSec", "Namespace", "StorageState"}, exps, func(i int) []any {
		return []any{fmt.Sprintf("exp-%d", i), fmt.Sprintf("Experiment %d 実験 🧪", i), "", 1700000000 + i, 1700000100 + i,
			fmt.Sprintf("user-%d", i%7), "AVAILABLE"}
	}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "mlpipeline.pipelines", []string{"UUID", "CreatedAtInSec", "Name", "DisplayName", "Description",
		"Parameters", "Status", "DefaultVersionId", "Namespace"}, pipes, func(i int) []any {
		return []any{fmt.Sprintf("pipe-%d", i), 1700000000 + i, fmt.Sprintf("pipeline-%d", i), fmt.Sprintf("Pipeline %d ✓", i),
			s.text(200), nullEvery(i, 2, "[]"), "READY", fmt.Sprintf("ver-%d", i), nullEvery(i, 3, fmt.Sprintf("user-%d", i%7))}
	}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "mlpipeline.pipeline_versions", []string{"UUID", "CreatedAtInSec", "Name", "DisplayName",
		"Parameters", "PipelineId", "Status", "CodeSourceUrl", "Description", "PipelineSpec", "PipelineSpecURI"}, pipes*2, func(i int) []any {
		return []any{fmt.Sprintf("ver-%d", i), 1700000000 + i, fmt.Sprintf("v%d", i), fmt.Sprintf("Version %d", i), "[]",
			fmt.Sprintf("pipe-%d", i%pipes), "READY", nullEvery(i, 2, "https://example.com/src"), nil, s.text(s.o.ManifestBytes), ""}
	}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "mlpipeline.jobs", []string{"UUID", "DisplayName", "Name", "Namespace", "ServiceAccount",
		"Description", "MaxConcurrency", "NoCatchup", "CreatedAtInSec", "Enabled", "ExperimentUUID", "CronScheduleStartTimeInSec",
		"Schedule", "PipelineId", "PipelineName", "WorkflowSpecManifest", "Conditions"}, n/50+1, func(i int) []any {
		return []any{fmt.Sprintf("job-%d", i), "Job ⏰", fmt.Sprintf("job-%d", i), "user-1", "pipeline-runner", "", 10, i%2 == 0,
			1700000000 + i, true, fmt.Sprintf("exp-%d", i%exps), nullEvery(i, 2, 1700000000), nullEvery(i, 3, "0 0 * * * *"),
			fmt.Sprintf("pipe-%d", i%pipes), "p", s.text(s.o.ManifestBytes), "STATUS_ENABLED"}
	}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "mlpipeline.run_details", []string{"UUID", "DisplayName", "Name", "Description", "Namespace",
		"ExperimentUUID", "JobUUID", "StorageState", "ServiceAccount", "PipelineId", "PipelineName", "WorkflowSpecManifest",
		"CreatedAtInSec", "FinishedAtInSec", "Conditions", "State", "StateHistory", "PipelineRuntimeManifest",
		"WorkflowRuntimeManifest", "PipelineContextId"}, n, func(i int) []any {
		manifest := s.text(s.o.ManifestBytes)
		if i < s.o.Large {
			manifest = s.text(3 << 20)
		}
		return []any{fmt.Sprintf("run-%07d", i), fmt.Sprintf("Run %d 🚀 naïve", i), fmt.Sprintf("run-%d", i), "",
			fmt.Sprintf("user-%d", i%7), fmt.Sprintf("exp-%d", i%exps), nullEvery(i, 4, fmt.Sprintf("job-%d", i%(n/50+1))),
			"AVAILABLE", "pipeline-runner", fmt.Sprintf("pipe-%d", i%pipes), "p", nullEvery(i, 5, "{}"), 1700000000 + i,
			1700000500 + i, "Succeeded", nullEvery(i, 3, "SUCCEEDED"), nullEvery(i, 2, `[{"UpdateTimeInSec":1}]`), "",
			manifest, i}
	}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "mlpipeline.run_metrics", []string{"RunUUID", "NodeID", "Name", "NumberValue", "Format", "Payload"},
		n, func(i int) []any {
			vals := []float64{s.rnd.Float64(), math.Pi * float64(i), 1e-300, -1.7976931348623157e308, 0.1, 5e-324}
			return []any{fmt.Sprintf("run-%07d", i), "node-1", "accuracy", nullEvery(i, 9, vals[i%len(vals)]),
				nullEvery(i, 2, "PERCENTAGE"), `{"name":"accuracy"}`}
		}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "mlpipeline.tasks", []string{"UUID", "Namespace", "PipelineName", "RunUUID", "PodName",
		"MLMDExecutionID", "CreatedTimestamp", "Fingerprint", "Name", "State", "MLMDOutputs"}, 2*n, func(i int) []any {
		return []any{fmt.Sprintf("task-%d", i), "user-1", "p", fmt.Sprintf("run-%07d", i/2), fmt.Sprintf("pod-%d", i),
			fmt.Sprint(i), 1700000000 + i, "fp", nullEvery(i, 3, "train"), nullEvery(i, 4, "SUCCEEDED"), nullEvery(i, 2, s.text(100))}
	}); err != nil {
		return err
	}
	return Insert(ctx, s.db, "mlpipeline.resource_references", []string{"ResourceUUID", "ResourceType", "ReferenceUUID",
		"ReferenceName", "ReferenceType", "Relationship", "Payload"}, n, func(i int) []any {
		return []any{fmt.Sprintf("run-%07d", i), "Run", fmt.Sprintf("exp-%d", i%exps), "Experiment", "Experiment", "Owner", "{}"}
	})
}

func (s *seeder) cache(ctx context.Context) error {
	// Every third ID, and a counter well past the last row: deleted entries leave AUTO_INCREMENT gaps.
	n := s.o.Runs
	if err := Insert(ctx, s.db, "cachedb.execution_caches", []string{"ID", "ExecutionCacheKey", "ExecutionTemplate",
		"ExecutionOutput", "MaxCacheStaleness", "StartedAtInSec", "EndedAtInSec"}, n, func(i int) []any {
		return []any{1 + 3*i, fmt.Sprintf("%064x", i), s.text(300), s.text(200), -1, 1700000000 + i, 1700000100 + i}
	}); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, fmt.Sprintf("ALTER TABLE cachedb.execution_caches AUTO_INCREMENT = %d", 3*n+1000))
	return err
}

func (s *seeder) mlmd(ctx context.Context) error {
	n := s.o.Runs
	if err := Insert(ctx, s.db, "metadb.MLMDEnv", []string{"schema_version"}, 1, func(int) []any { return []any{10} }); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "metadb.Type", []string{"name", "version", "type_kind", "description"}, 20, func(i int) []any {
		return []any{fmt.Sprintf("system.Type%d", i), nil, i % 3, nullEvery(i, 2, "a type")}
	}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "metadb.Artifact", []string{"id", "type_id", "uri", "state", "name", "create_time_since_epoch"},
		2*n, func(i int) []any {
			uri := any(fmt.Sprintf("minio://mlpipeline/v2/artifacts/pipeline/run-%d/model-%d", i/2, i))
			switch i % 10 {
			case 3:
				uri = nil
			case 7:
				uri = fmt.Sprintf("s3://elsewhere/artifact-%d", i)
			}
			return []any{1 + i + i/5, 1 + i%20, uri, 2, nullEvery(i, 11, fmt.Sprintf("artifact-%d", i)), 1700000000000 + int64(i)}
		}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "metadb.ArtifactProperty", []string{"artifact_id", "name", "is_custom_property", "int_value",
		"double_value", "string_value", "byte_value", "proto_value", "bool_value"}, 2*n, func(i int) []any {
		b := s.bytes(16 + i%64)
		if i < s.o.Large {
			b = s.bytes(2 << 20)
		}
		return []any{1 + i + i/5, "display_name", 1, nullEvery(i, 2, i), nullEvery(i, 3, s.rnd.NormFloat64()), nullEvery(i, 5, "名前 🚀"),
			nullEvery(i, 4, b), nullEvery(i, 2, s.bytes(32)), nullEvery(i, 6, i%2 == 0)}
	}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "metadb.Execution", []string{"type_id", "last_known_state", "name", "create_time_since_epoch"},
		n, func(i int) []any { return []any{1 + i%20, 3, fmt.Sprintf("exec-%d", i), 1700000000000 + int64(i)} }); err != nil {
		return err
	}
	ctxs := n/5 + 1
	if err := Insert(ctx, s.db, "metadb.Context", []string{"type_id", "name"}, ctxs, func(i int) []any {
		return []any{1 + i%20, fmt.Sprintf("run-%d", i)}
	}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "metadb.ContextProperty", []string{"context_id", "name", "is_custom_property", "string_value", "byte_value"},
		2*ctxs, func(i int) []any {
			return []any{1 + i/2, []string{"pipeline_root", "namespace"}[i%2], 1,
				fmt.Sprintf("minio://mlpipeline/v2/artifacts/p/run-%d", i/2), nullEvery(i, 2, s.bytes(8))}
		}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "metadb.Event", []string{"artifact_id", "execution_id", "type", "milliseconds_since_epoch"},
		2*n, func(i int) []any {
			return []any{1 + i + i/5, 1 + i/2, 1 + i%2, nullEvery(i, 5, 1700000000000+int64(i))}
		}); err != nil {
		return err
	}
	if err := Insert(ctx, s.db, "metadb.EventPath", []string{"event_id", "is_index_step", "step_index", "step_key"},
		2*n, func(i int) []any { return []any{1 + i/2, i % 2, nullEvery(i+1, 2, 0), nullEvery(i, 2, "model")} }); err != nil {
		return err
	}
	// Deleted artifacts: gaps in Artifact's ids.
	_, err := s.db.ExecContext(ctx, "DELETE FROM metadb.Artifact WHERE id % 13 = 0")
	return err
}
