package operation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// Two up on one state: the second, started while the first runs, is refused at once as bad input (nothing
// changed) with a message naming the first; the first finishes with every resource recorded; and a run whose
// store was opened before the first wrote anything, started after it, finds nothing to do and loses no record.
func TestConcurrentUpRefusesTheSecond(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	early := in.configuration() // read before the first run wrote anything
	var (
		once   sync.Once
		second error
		res2   *operation.UpResult
	)
	_, rec, err := in.up(ctx, func(event, step string) {
		if event == "start" {
			once.Do(func() {
				res2, second = (&operation.Up{Configuration: in.configuration(), Reporter: &recorder{}}).Run(ctx)
			})
		}
	})
	if err != nil {
		t.Fatalf("the first up: %v\n%s", err, rec)
	}
	var locked *state.LockedError
	if !errors.As(second, &locked) || res2 != nil {
		t.Fatalf("the second up: got %v, want a refusal naming the lock holder", second)
	}
	host, _ := os.Hostname()
	if want := fmt.Sprintf("is locked by kfaws up (pid %d on host %s, since ", os.Getpid(), host); !strings.Contains(second.Error(), want) ||
		!strings.Contains(second.Error(), "remove the lock file "+state.LockPath(in.cfg.StatePath())) {
		t.Errorf("message %q, want it to name the holder (%q) and the lock file", second, want)
	}
	if c := operation.Classify(second); c != operation.BadInput {
		t.Errorf("class %v, want BadInput (nothing changed)", c)
	}
	after := recordedIdentifiers(t, in)

	rec = &recorder{}
	res, err := (&operation.Up{Configuration: early, Reporter: rec, PollInterval: 20 * time.Millisecond}).Run(ctx)
	if err != nil || res.Changed {
		t.Fatalf("a later up from a store opened early: changed %v, %v\n%s", res != nil && res.Changed, err, rec)
	}
	if again := recordedIdentifiers(t, in); !equalMaps(after, again) {
		t.Errorf("records after the later run:\n%v\nwant those the first left:\n%v", again, after)
	}
	assertUnlocked(t, in)
}

// recordedIdentifiers reads the state file's records as key -> "id arn owned", and checks that every resource of
// the current plan is there with an identifier.
func recordedIdentifiers(t *testing.T, in *install) map[string]string {
	t.Helper()
	st, err := state.Open(in.cfg.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, r := range st.Snapshot().Resources {
		out[k] = fmt.Sprintf("%s %s %t", r.ID, r.ARN, r.Owned)
	}
	for _, r := range in.plan(context.Background()).Resources {
		if got := st.Snapshot().Resources[r.Key]; got.ID != r.Name || got.ARN == "" {
			t.Errorf("%s: recorded %+v, want %q with its identifier", r.Key, got, r.Name)
		}
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// assertUnlocked checks that no lock file is left and that the next run gets the lock without taking one over.
func assertUnlocked(t *testing.T, in *install) {
	t.Helper()
	if _, err := os.Stat(state.LockPath(in.cfg.StatePath())); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
	l, err := in.configuration().State.Lock("test")
	if err != nil {
		t.Fatalf("taking the lock after the run: %v", err)
	}
	if l.TookOver != nil {
		t.Errorf("the run's lock was not released but taken over: %+v", l.TookOver)
	}
	_ = l.Release()
}

// up releases the state lock however it ends: done, refused for a conflict, cancelled (what SIGINT does), or a
// step failing.
func TestUpReleasesTheLockOnEveryExit(t *testing.T) {
	ctx := context.Background()
	t.Run("done", func(t *testing.T) {
		in := newInstall(t)
		in.mustUp(ctx)
		assertUnlocked(t, in)
	})
	t.Run("conflict", func(t *testing.T) {
		in := newInstall(t)
		in.createBucket(ctx, t, "eu-west-1")
		var ce *operation.ConflictError
		if _, _, err := in.up(ctx, nil); !errors.As(err, &ce) {
			t.Fatalf("got %v, want a conflict", err)
		}
		assertUnlocked(t, in)
	})
	t.Run("cancelled", func(t *testing.T) {
		in := newInstall(t)
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		_, rec, err := in.up(cctx, func(event, step string) {
			if event+" "+step == "done "+plan.KeyBucket+":create" {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want a cancelled run\n%s", err, rec)
		}
		assertUnlocked(t, in)
	})
	t.Run("failed", func(t *testing.T) {
		in := newInstall(t)
		if err := in.stack.InjectFault("rds:CreateDBSubnetGroup", proxy.Fault500, 100, 0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := in.up(ctx, nil); err == nil || operation.Classify(err) != operation.Failed {
			t.Fatalf("got %v, want a failed run", err)
		}
		in.stack.ClearFaults()
		assertUnlocked(t, in)
	})
}

// A lock left by a kfaws killed on this host (its PID gone) is taken over with a warning; one written on another
// host stops up before any AWS call.
func TestUpAndLocksLeftBehind(t *testing.T) {
	ctx := context.Background()
	host, _ := os.Hostname()
	t.Run("this host, process gone", func(t *testing.T) {
		in := newInstall(t)
		gone := exec.Command("true")
		if err := gone.Run(); err != nil {
			t.Skip("no true(1) to make a PID that is gone")
		}
		plantLock(t, in, state.Holder{Command: "kfaws up", PID: gone.Process.Pid, Host: host, Since: time.Now().Add(-time.Hour)})
		var log bytes.Buffer
		conf := in.configuration()
		conf.Log = slog.New(slog.NewTextHandler(&log, nil))
		if _, err := (&operation.Up{Configuration: conf, Reporter: &recorder{}, PollInterval: 20 * time.Millisecond}).Run(ctx); err != nil {
			t.Fatalf("up with a stale lock: %v", err)
		}
		if want := fmt.Sprintf("kfaws up (pid %d on host %s", gone.Process.Pid, host); !strings.Contains(log.String(), "took over the state lock") ||
			!strings.Contains(log.String(), want) {
			t.Errorf("no warning naming the stale holder (%s) in:\n%s", want, log.String())
		}
		assertUnlocked(t, in)
	})
	t.Run("another host", func(t *testing.T) {
		in := newInstall(t)
		plantLock(t, in, state.Holder{Command: "kfaws up", PID: 4242, Host: "build-1.example", Since: time.Now()})
		_, _, err := in.up(ctx, nil)
		var locked *state.LockedError
		if !errors.As(err, &locked) || !locked.OtherHost || operation.Classify(err) != operation.BadInput {
			t.Fatalf("got %v, want a refusal for a lock of another host", err)
		}
		if !strings.Contains(err.Error(), "kfaws up (pid 4242 on host build-1.example") {
			t.Errorf("message %q does not name the holder", err)
		}
		for key, a := range actions(in.plan(ctx)) {
			if a != plan.Create && key != plan.KeyOIDCProvider { // the provider is the region's: other tests made it
				t.Errorf("%s is %s after a refused up, want create (nothing made)", key, a)
			}
		}
		if _, err := os.Stat(state.LockPath(in.cfg.StatePath())); err != nil {
			t.Errorf("the other host's lock file is gone: %v", err)
		}
	})
}

func plantLock(t *testing.T, in *install, h state.Holder) {
	t.Helper()
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state.LockPath(in.cfg.StatePath()), data, 0o600); err != nil {
		t.Fatal(err)
	}
}
