package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// The lock of a state file is the file NAME.lock beside it, holding its Holder as JSON. Creating it with O_EXCL
// claims the state; the holder also keeps a kernel lock (flock) on it for as long as it runs, which the kernel
// drops when the process dies however it dies. So on this host a lock file whose kernel lock can be taken was
// left by a process that is gone, and is taken over; a lock file written on another host is never taken over,
// because its process cannot be seen from here. Where the file system has no kernel locks, the holder's PID
// (and, on Linux, its start time) tells whether it still runs.

// Holder says which run holds a state file's lock.
type Holder struct {
	Command string    `json:"command"`
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`
	// ProcessStart tells the process apart from a later one given the same PID (on Linux its start time in
	// clock ticks after boot); "" where unknown.
	ProcessStart string `json:"processStart,omitempty"`
}

// String is how messages name the holder: "kfaws up (pid 4242 on host build-1, since 12:03:04)".
func (h Holder) String() string {
	host := h.Host
	if host == "" {
		host = "an unknown host"
	} else {
		host = "host " + host
	}
	return fmt.Sprintf("%s (pid %d on %s, since %s)", h.Command, h.PID, host, clock(h.Since))
}

// clock shows t as a time of day when it is today, else with its date.
func clock(t time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); time.Now().Day() == d && time.Now().Month() == m && time.Now().Year() == y {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}

// LockedError says that another run holds the state file's lock; nothing was changed.
type LockedError struct {
	State, LockFile string
	// Holder is nil when the lock file could not be read (being written, or damaged).
	Holder *Holder
	// OtherHost is true when the holder runs on another host, where kfaws cannot see whether it still runs.
	OtherHost bool
}

func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("state %s is locked by another kfaws run (its lock file %s is being written or is damaged); "+
			"wait for that run to finish, or if no kfaws runs on this state, remove the lock file %s", e.State, e.LockFile, e.LockFile)
	}
	where := ""
	if e.OtherHost {
		where = "; it runs on another host, so kfaws cannot tell whether it still runs"
	}
	return fmt.Sprintf("state %s is locked by %s%s; wait for it to finish, or if that process is gone, remove the lock file %s",
		e.State, e.Holder, where, e.LockFile)
}

// Lock is a held lock on one state file. Release it on every path.
type Lock struct {
	path   string
	f      *os.File
	holder Holder
	// made are the directories taking the lock created, deepest first: removed on release when still empty, so
	// a run that changed nothing leaves nothing.
	made []string
	// TookOver is the holder of a stale lock this one replaced, nil when the state was not locked.
	TookOver *Holder
	once     sync.Once
	err      error
}

// Path is the lock file.
func (l *Lock) Path() string { return l.path }

// Holder is what the lock file says about this run.
func (l *Lock) Holder() Holder { return l.holder }

// LockPath is the lock file of the state file at statePath.
func LockPath(statePath string) string { return statePath + ".lock" }

// errBusy: another open file holds the kernel lock. errNoKernelLocks: the file system does not lock files.
var (
	errBusy          = errors.New("locked")
	errNoKernelLocks = errors.New("file locks not supported")
)

// currentHolder describes this process running command.
func currentHolder(command string) Holder {
	host, _ := os.Hostname()
	return Holder{Command: command, PID: os.Getpid(), Host: host, Since: time.Now(), ProcessStart: processStart(os.Getpid())}
}

// acquire takes the lock of the state file at statePath for me.
func acquire(statePath string, me Holder) (*Lock, error) {
	path := LockPath(statePath)
	// A holder that releases between our open and our kernel lock leaves us holding a removed file (or finds
	// the directory it made gone): start over.
	for range 10 {
		made, err := mkdirs(filepath.Dir(path))
		if err != nil {
			return nil, fmt.Errorf("creating state directory: %w", err)
		}
		l, again, err := tryAcquire(statePath, path, me)
		if l != nil {
			l.made = made
		}
		if !again {
			return l, err
		}
	}
	return nil, fmt.Errorf("taking the lock %s: it kept changing while kfaws read it; run again", path)
}

// tryAcquire makes one attempt; again is true when the lock file changed under it.
func tryAcquire(statePath, path string, me Holder) (l *Lock, again bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	created := err == nil
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true, nil
	}
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(path, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, true, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("opening the lock file: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
		}
	}()
	kernel := lockFile(f)
	locked := &LockedError{State: statePath, LockFile: path}
	switch {
	case errors.Is(kernel, errBusy):
		locked.Holder, _ = readHolder(f)
		locked.OtherHost = locked.Holder != nil && !sameHost(*locked.Holder, me)
		return nil, false, locked
	case kernel != nil && !errors.Is(kernel, errNoKernelLocks):
		return nil, false, fmt.Errorf("locking %s: %w", path, kernel)
	}
	if !created {
		if still, err := isFileAt(f, path); err != nil || !still {
			return nil, err == nil, err
		}
	}
	prev, err := readHolder(f)
	var tookOver *Holder
	switch {
	case created:
	case err != nil:
		return nil, false, locked
	case prev == nil && errors.Is(kernel, errNoKernelLocks):
		// Without kernel locks an empty file may be a claim whose holder is writing it.
		return nil, false, locked
	case prev == nil:
		// The kernel lock is ours, so whoever created the file died before writing it.
	case !sameHost(*prev, me):
		locked.Holder, locked.OtherHost = prev, true
		return nil, false, locked
	case processAlive(*prev):
		locked.Holder = prev
		return nil, false, locked
	default:
		tookOver = prev
	}
	if err := writeHolder(f, me); err != nil {
		return nil, false, fmt.Errorf("writing the lock file %s: %w", path, err)
	}
	keep = true
	return &Lock{path: path, f: f, holder: me, TookOver: tookOver}, false, nil
}

// Release removes the lock file and drops the kernel lock. It is safe to call more than once.
func (l *Lock) Release() error {
	l.once.Do(func() {
		// Removed while the kernel lock is still held: a process that opened the file before and locks it after
		// us sees it is no longer the lock file and starts over.
		var rmErr error
		if still, err := isFileAt(l.f, l.path); err == nil && still {
			rmErr = os.Remove(l.path)
		}
		closeErr := l.f.Close()
		if rmErr != nil && runtime.GOOS == "windows" { // Windows removes no file that is open
			rmErr = os.Remove(l.path)
		}
		if rmErr != nil {
			rmErr = fmt.Errorf("removing the lock file %s: %w; remove it by hand", l.path, rmErr)
		}
		for _, d := range l.made {
			if os.Remove(d) != nil { // not empty: the state file or another run's lock is in it
				break
			}
		}
		l.err = errors.Join(rmErr, closeErr)
	})
	return l.err
}

// mkdirs creates dir and its missing parents, and returns those it created, deepest first.
func mkdirs(dir string) ([]string, error) {
	var made []string
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		made = append(made, d)
	}
	return made, os.MkdirAll(dir, 0o750)
}

// isFileAt reports whether the open file f is still the file at path.
func isFileAt(f *os.File, path string) (bool, error) {
	open, err := f.Stat()
	if err != nil {
		return false, err
	}
	now, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(open, now), nil
}

// readHolder reads the holder from the lock file: nil for an empty file, an error for a damaged one.
func readHolder(f *os.File) (*Holder, error) {
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 64<<10))
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, nil
	}
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

func writeHolder(f *os.File, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(data, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// sameHost reports whether h ran on this host; an unknown host never counts as this one.
func sameHost(h, me Holder) bool { return h.Host != "" && h.Host == me.Host }

// processAlive reports whether the holder's process still runs: its PID exists and, where known, it started
// when the holder's did (a PID the system gave to a later process does not count).
func processAlive(h Holder) bool {
	if !pidExists(h.PID) {
		return false
	}
	if h.ProcessStart != "" {
		if now := processStart(h.PID); now != "" && now != h.ProcessStart {
			return false
		}
	}
	return true
}
