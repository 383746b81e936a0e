package state

import (
	"path/filepath"
	"testing"
	"time"
)

// The migration record survives a write by a store that never touched it, is read back as written, and
// snapshots are copies.
func TestMigrationRecordIsKeptAndCopied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.state.json")
	a, b := mustOpen(t, path), mustOpen(t, path)
	start := time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC)
	if err := a.Update(func(st *State) {
		st.Migration = &Migration{StartedAt: start, Writers: []MigrationWriter{{Name: "ml-pipeline", Replicas: 2}},
			Databases: []string{"mlpipeline"}, Tables: []string{"mlpipeline.experiments"}, Bucket: "b"}
	}); err != nil {
		t.Fatal(err)
	}
	set(t, b, "s3/bucket", "arn:aws:s3:::b") // b never saw the migration
	got := mustOpen(t, path).Snapshot()
	m := got.Migration
	if m == nil || !m.StartedAt.Equal(start) || len(m.Writers) != 1 || m.Writers[0].Replicas != 2 ||
		!m.HasTable("mlpipeline", "experiments") || m.HasTable("mlpipeline", "jobs") || !m.FinishedAt.IsZero() {
		t.Fatalf("migration read back = %+v", m)
	}
	m.Tables[0] = "changed"
	if again := a.Snapshot(); !again.Migration.HasTable("mlpipeline", "experiments") {
		t.Error("changing a snapshot changed the store")
	}
	// A store that changes the record wins over one that did not.
	if err := b.Update(func(st *State) { st.Migration.Writers = nil }); err != nil {
		t.Fatal(err)
	}
	if got := mustOpen(t, path).Snapshot().Migration; len(got.Writers) != 0 || len(got.Tables) != 1 {
		t.Errorf("after b cleared the writers: %+v", got)
	}
	var none *Migration
	if none.HasTable("a", "b") {
		t.Error("a nil record has a table")
	}
}
