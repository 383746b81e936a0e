package state

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// legacyTempPrefix is how kfaws named its temporary state files before they carried the state file's name.
const legacyTempPrefix = ".state-"

// tempPattern names this state file's temporary files, so that a run cleaning up touches only its own state's.
func tempPattern(statePath string) string { return "." + filepath.Base(statePath) + "-*.tmp" }

// removeLeftovers removes the temporary files of statePath (and unattributed ones of older kfaws versions) that
// are older than before: a run killed while writing left them. The lock makes sure no live run of this state
// is writing one; files of other state files in the directory are not touched.
func removeLeftovers(statePath string, before time.Time) {
	dir := filepath.Dir(statePath)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // nothing to clean, or nothing we may read; the run goes on either way
	}
	own := strings.TrimSuffix(tempPattern(statePath), "*.tmp")
	for _, e := range entries {
		name := e.Name()
		ours := strings.HasPrefix(name, own) || strings.HasPrefix(name, legacyTempPrefix)
		if !ours || !strings.HasSuffix(name, ".tmp") || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
			_ = os.Remove(filepath.Join(dir, name)) // best effort: a file left is harmless, and retried next run
		}
	}
}
