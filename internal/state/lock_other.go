//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package state

import "os"

// lockFile: these systems get no kernel lock here; the lock file and the holder's PID decide.
func lockFile(*os.File) error { return errNoKernelLocks }

// pidExists reports whether a process has this PID (on Windows, FindProcess fails for a PID no process has).
func pidExists(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
