package state

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestMissingFileIsEmptyState(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "nested", "x.json"))
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Snapshot(); st.Version != Version || len(st.Resources) != 0 {
		t.Errorf("empty state: %+v", st)
	}
}

func TestWritesAreAtomicAndReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir", "s.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.SetResource("k"+string(rune('a'+i)), Resource{Kind: "x", ID: "y", Owned: true}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := s.Update(func(st *State) { st.Outputs.Bucket = "b" }); err != nil {
		t.Fatal(err)
	}
	back, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Snapshot(); len(got.Resources) != 20 || got.Outputs.Bucket != "b" {
		t.Errorf("read back %d resources, bucket %q", len(got.Resources), got.Outputs.Bucket)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := back.RemoveResource("ka"); err != nil || len(back.Snapshot().Keys()) != 19 {
		t.Errorf("remove: %v", err)
	}
}

func TestCorruptOrNewerFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o600)
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt file: %v", err)
	}
	newer := filepath.Join(dir, "newer.json")
	os.WriteFile(newer, []byte(`{"version": 99}`), 0o600)
	if _, err := Open(newer); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("newer file: %v", err)
	}
}
