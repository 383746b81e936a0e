package state

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func mustOpen(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func set(t *testing.T, s *Store, key, arn string) {
	t.Helper()
	if err := s.SetResource(key, Resource{Kind: "k", ID: key, ARN: arn, Owned: true}); err != nil {
		t.Fatal(err)
	}
}

// A store opened before another run wrote the state sees that run's records once it holds the lock, and its
// writes keep them.
func TestLockReadsTheStateAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.state.json")
	late := mustOpen(t, path) // opened before the other run
	first := mustOpen(t, path)
	l, err := first.Lock("kfaws up")
	if err != nil {
		t.Fatal(err)
	}
	set(t, first, "s3/bucket", "arn:aws:s3:::b")
	if err := first.Update(func(st *State) { st.Name, st.Outputs.Bucket = "x", "b" }); err != nil {
		t.Fatal(err)
	}
	_ = l.Release()

	l, err = late.Lock("kfaws up")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if got := late.Snapshot(); got.Resources["s3/bucket"].ARN != "arn:aws:s3:::b" || got.Name != "x" || got.Outputs.Bucket != "b" {
		t.Fatalf("after the lock the store holds %+v", got)
	}
	set(t, late, "rds/instance", "arn:aws:rds:us-west-2:1:db:d")
	back := mustOpen(t, path).Snapshot()
	if len(back.Resources) != 2 || back.Outputs.Bucket != "b" {
		t.Errorf("the file holds %+v, want both runs' records", back)
	}
}

// Two stores that write one file without the lock (which a run never does) merge: what each changed survives,
// a removal by one is kept, and a field one store never touched is not reset by it.
func TestWritersWithoutTheLockMerge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.state.json")
	a, b := mustOpen(t, path), mustOpen(t, path)
	set(t, a, "s3/bucket", "arn:aws:s3:::b")
	set(t, a, "iam/s3-policy", "arn:aws:iam::1:policy/p")
	set(t, b, "rds/instance", "arn:aws:rds:us-west-2:1:db:d")
	if err := a.Update(func(st *State) { st.Outputs.DBHost = "h" }); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(st *State) { st.Outputs.Bucket = "b" }); err != nil {
		t.Fatal(err)
	}
	if err := a.RemoveResource("iam/s3-policy"); err != nil {
		t.Fatal(err)
	}
	set(t, b, "rds/secret", "arn:aws:secretsmanager:us-west-2:1:secret:s-abc")
	got := mustOpen(t, path).Snapshot()
	want := []string{"rds/instance", "rds/secret", "s3/bucket"}
	if keys := got.Keys(); len(keys) != len(want) || keys[0] != want[0] || keys[1] != want[1] || keys[2] != want[2] {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if got.Outputs.DBHost != "h" || got.Outputs.Bucket != "b" {
		t.Errorf("outputs %+v, want both stores' fields", got.Outputs)
	}
}

// Per-profile roles merge like any output: a store that changed them, even in place, keeps its change over a
// writer that did not touch them.
func TestWritersMergeProfileRoles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.state.json")
	a := mustOpen(t, path)
	if err := a.Update(func(st *State) { st.Outputs.ProfileRoleARNs = map[string]string{"team-a": "arn:a"} }); err != nil {
		t.Fatal(err)
	}
	b := mustOpen(t, path)
	if err := a.Update(func(st *State) { st.Outputs.ProfileRoleARNs["team-b"] = "arn:b" }); err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(st *State) { st.Outputs.Bucket = "b" }); err != nil {
		t.Fatal(err)
	}
	got := mustOpen(t, path).Snapshot().Outputs
	if len(got.ProfileRoleARNs) != 2 || got.Bucket != "b" {
		t.Errorf("outputs %+v, want both stores' changes", got)
	}
	snap := a.Snapshot()
	snap.Outputs.ProfileRoleARNs["team-c"] = "arn:c"
	if _, leaked := a.Snapshot().Outputs.ProfileRoleARNs["team-c"]; leaked {
		t.Error("a snapshot shares its profile roles with the store")
	}
}

// The lock removes temporary files that killed writers of this state left, and of older kfaws versions, when
// they are older than the run; another state's in the same directory, and newer ones, stay.
func TestLockRemovesLeftoverTempFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.state.json")
	old := time.Now().Add(-time.Minute)
	files := map[string]bool{ // name: removed
		".x.state.json-123.tmp":     true,
		".state-456.tmp":            true,
		".y.state.json-789.tmp":     false,
		"x.state.json":              false,
		".x.state.json-future.tmp":  false,
		".x.state.json-123.tmp.bak": false,
	}
	for name := range files {
		p := filepath.Join(dir, name)
		content := "{}"
		if name == "x.state.json" {
			content = `{"version": 1}`
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		mtime := old
		if name == ".x.state.json-future.tmp" {
			mtime = time.Now().Add(time.Hour)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	l, err := mustOpen(t, path).Lock("kfaws up")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := os.IsNotExist(err); gone != removed {
			t.Errorf("%s: removed %t, want %t", name, gone, removed)
		}
	}
}
