package state

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// holdLockEnv makes the test binary a process that takes a state's lock, says so on stdout and waits to be
// killed: the other process in the tests below.
const holdLockEnv = "KFAWS_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdLockEnv); path != "" {
		holdLock(path)
		return
	}
	os.Exit(m.Run())
}

func holdLock(path string) {
	s, err := Open(path)
	if err == nil {
		_, err = s.Lock("kfaws up")
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the test kills us or closes stdin
	os.Exit(0)
}

// startHolder runs another process that holds the lock of path, and returns it once it holds it.
func startHolder(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the holder is killed with SIGKILL")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("the holder process did not take the lock: %q", line)
	}
	return cmd
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), ".kfaws", "x.state.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeLockFile plants a lock file as a run that is no longer watched would have left it.
func writeLockFile(t *testing.T, statePath string, h Holder) {
	t.Helper()
	data, _ := json.Marshal(h)
	if err := os.MkdirAll(filepath.Dir(statePath), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(LockPath(statePath), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// deadPID is the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func lockedError(t *testing.T, err error) *LockedError {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("want a *LockedError, got %v", err)
	}
	return le
}

// A second run on the same state is refused at once, with a message naming the holder and the lock file; once
// the first releases, the lock file is gone and the next run gets the lock.
func TestLockRefusesASecondRun(t *testing.T) {
	s := newStore(t)
	l, err := s.Lock("kfaws up")
	if err != nil {
		t.Fatal(err)
	}
	if l.TookOver != nil {
		t.Errorf("a free state reported a taken-over lock: %+v", l.TookOver)
	}
	other, err := Open(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Lock("kfaws up")
	le := lockedError(t, err)
	host, _ := os.Hostname()
	want := fmt.Sprintf("state %s is locked by kfaws up (pid %d on host %s, since ", s.Path(), os.Getpid(), host)
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "remove the lock file "+s.Path()+".lock") ||
		le.OtherHost {
		t.Errorf("message:\n%s\nwant it to start with:\n%s", err, want)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("a second release: %v", err)
	}
	if _, err := os.Stat(LockPath(s.Path())); !os.IsNotExist(err) {
		t.Errorf("the lock file is still there after release: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(s.Path())); !os.IsNotExist(err) {
		t.Errorf("the state directory the lock made (and nothing else used) is still there after release: %v", err)
	}
	l2, err := other.Lock("kfaws up")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	_ = l2.Release()
}

// Another process holding the lock is seen as the holder; once it is killed (no chance to clean up), its lock
// file stays, and the next run on this host takes it over and says whose it was.
func TestLockOfAKilledProcessIsTakenOver(t *testing.T) {
	s := newStore(t)
	holder := startHolder(t, s.Path())
	_, err := s.Lock("kfaws up")
	if le := lockedError(t, err); le.Holder == nil || le.Holder.PID != holder.Process.Pid || le.Holder.Command != "kfaws up" {
		t.Fatalf("holder: %+v, want pid %d", le.Holder, holder.Process.Pid)
	}
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = holder.Wait()
	if _, err := os.Stat(LockPath(s.Path())); err != nil {
		t.Fatalf("the killed holder's lock file should remain: %v", err)
	}
	l, err := s.Lock("kfaws up")
	if err != nil {
		t.Fatalf("the lock of a killed process was not taken over: %v", err)
	}
	defer l.Release()
	if l.TookOver == nil || l.TookOver.PID != holder.Process.Pid {
		t.Errorf("took over %+v, want the killed holder's", l.TookOver)
	}
	if h := readLockFile(t, s.Path()); h.PID != os.Getpid() {
		t.Errorf("the lock file names pid %d, want ours", h.PID)
	}
}

func readLockFile(t *testing.T, statePath string) Holder {
	t.Helper()
	data, err := os.ReadFile(LockPath(statePath))
	if err != nil {
		t.Fatal(err)
	}
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// A lock file naming a process of this host that no longer exists, or a PID now given to another process, is
// stale: taken over.
func TestStaleLockOnThisHostIsTakenOver(t *testing.T) {
	host, _ := os.Hostname()
	cases := map[string]Holder{"dead pid": {PID: deadPID(t)}}
	if processStart(os.Getppid()) != "" {
		cases["pid reused"] = Holder{PID: os.Getppid(), ProcessStart: "1"}
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			h.Command, h.Host, h.Since = "kfaws up", host, time.Now().Add(-time.Hour)
			writeLockFile(t, s.Path(), h)
			l, err := s.Lock("kfaws up")
			if err != nil {
				t.Fatalf("stale lock not taken over: %v", err)
			}
			defer l.Release()
			if l.TookOver == nil || l.TookOver.PID != h.PID {
				t.Errorf("took over %+v, want pid %d", l.TookOver, h.PID)
			}
		})
	}
}

// A lock written on another host is never taken over: kfaws cannot see whether its process runs. The message
// says so, and the lock file is left as it was.
func TestLockFromAnotherHostIsNotTakenOver(t *testing.T) {
	s := newStore(t)
	h := Holder{Command: "kfaws up", PID: deadPID(t), Host: "build-7.example", Since: time.Now()}
	writeLockFile(t, s.Path(), h)
	_, err := s.Lock("kfaws up")
	le := lockedError(t, err)
	if !le.OtherHost || !strings.Contains(err.Error(), "on host build-7.example") || !strings.Contains(err.Error(), "another host") {
		t.Errorf("message: %v", err)
	}
	if got := readLockFile(t, s.Path()); got.Host != h.Host || got.PID != h.PID {
		t.Errorf("the other host's lock file was changed: %+v", got)
	}
}

// A lock file that is not a kfaws lock is not taken over: kfaws cannot tell whose it is.
func TestDamagedLockFileIsNotTakenOver(t *testing.T) {
	s := newStore(t)
	if err := os.MkdirAll(filepath.Dir(s.Path()), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(LockPath(s.Path()), []byte("{half"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.Lock("kfaws up")
	if le := lockedError(t, err); le.Holder != nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("message: %v", err)
	}
}

// A holder's PID counts as alive while its process runs with the start time it recorded.
func TestProcessAlive(t *testing.T) {
	me := currentHolder("kfaws up")
	if !processAlive(me) {
		t.Error("this process is not seen alive")
	}
	if processAlive(Holder{PID: deadPID(t)}) {
		t.Error("an exited process is seen alive")
	}
	if me.ProcessStart != "" {
		if _, err := strconv.Atoi(me.ProcessStart); err != nil {
			t.Errorf("process start %q", me.ProcessStart)
		}
		if processAlive(Holder{PID: me.PID, ProcessStart: me.ProcessStart + "1"}) {
			t.Error("a PID with another start time is seen alive")
		}
	}
}
