// Package execute carries out a plan: it runs the plan's step graph against AWS, independent steps concurrently,
// and records every finished step in the state file so an interrupted run can resume.
package execute

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// Reporter is told about each step as it runs; it must be safe for concurrent use.
type Reporter interface {
	Start(s plan.Step)
	Progress(s plan.Step, msg string)
	// Done is called once per step; err is ErrSkipped when a step it waits for failed.
	Done(s plan.Step, err error, elapsed time.Duration)
}

// DefaultInstanceTimeout is how long a run waits for the DB instance when InstanceTimeout is not set.
const DefaultInstanceTimeout = 60 * time.Minute

func (e *Executor) instanceTimeout() time.Duration {
	if e.InstanceTimeout > 0 {
		return e.InstanceTimeout
	}
	return DefaultInstanceTimeout
}

// command is what the user runs again to resume this run.
func (e *Executor) command() string {
	if e.Plan.Teardown {
		return "kfaws down"
	}
	return "kfaws up"
}

// nopReporter is the Reporter of a run that reports to no one.
type nopReporter struct{}

func (nopReporter) Start(plan.Step)                      {}
func (nopReporter) Progress(plan.Step, string)           {}
func (nopReporter) Done(plan.Step, error, time.Duration) {}

// ErrSkipped is the error of a step that did not run because a step it depends on failed.
var ErrSkipped = errors.New("skipped: a step it depends on failed")

// Executor runs one plan.
type Executor struct {
	AWS      *kaws.Clients
	Config   *config.Config
	Plan     *plan.Plan
	Snapshot *observe.Snapshot
	State    *state.Store
	Reporter Reporter
	Log      *slog.Logger
	// PollInterval is how often the RDS wait asks for the instance's status; 0 means 15 s.
	PollInterval time.Duration
	// InstanceTimeout bounds each wait for the DB instance (available, or deleted); 0 means 60 minutes.
	InstanceTimeout time.Duration
	// Sequential runs the steps one by one in plan order, the reference script's way; the benchmark compares
	// against it.
	Sequential bool
	// ApplyImmediately has RDS apply instance modifications now rather than at the next maintenance window.
	ApplyImmediately bool
	// OpenDB reaches the instance for the steps that log in to it (the components' users); nil when none can.
	OpenDB DBOpener

	mu         sync.Mutex
	password   string               // the master password, held in memory only
	sgID       string               // the DB security group this run created
	createdKey string               // the ARN of the KMS key this run created
	available  *rdstypes.DBInstance // the instance as the wait last saw it
}

// Run executes every step. A failed step stops only the steps that depend on it; the rest run to completion, so
// one run gets as far as it can. The returned error joins every step's failure.
func (e *Executor) Run(ctx context.Context) error {
	if e.Reporter == nil {
		e.Reporter = nopReporter{}
	}
	if e.Log == nil {
		e.Log = slog.New(slog.DiscardHandler)
	}
	if e.PollInterval == 0 {
		e.PollInterval = 15 * time.Second
	}
	if err := e.recordRenames(); err != nil {
		return err
	}
	if err := e.recordStart(); err != nil {
		return err
	}
	done := make(map[string]chan struct{}, len(e.Plan.Steps))
	failed := make(map[string]bool)
	var mu sync.Mutex
	for _, s := range e.Plan.Steps {
		done[s.ID] = make(chan struct{})
	}
	var wg sync.WaitGroup
	var errs []error
	// One token serialises the steps in plan order when Sequential; plan order lists dependencies first.
	turn := make(chan struct{}, 1)
	for _, s := range e.Plan.Steps {
		if e.Sequential {
			turn <- struct{}{}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[s.ID])
			skip := false
			for _, dep := range s.After {
				<-done[dep]
				mu.Lock()
				skip = skip || failed[dep]
				mu.Unlock()
			}
			if e.Sequential {
				defer func() { <-turn }()
			}
			err := ErrSkipped
			start := time.Now()
			if !skip {
				e.Reporter.Start(s)
				err = e.do(ctx, s)
			}
			e.Reporter.Done(s, err, time.Since(start))
			if err != nil {
				mu.Lock()
				failed[s.ID] = true
				if !errors.Is(err, ErrSkipped) {
					errs = append(errs, fmt.Errorf("%s: %w", s.Description, err))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := e.finish(len(errs) == 0); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// do runs one step and records its resource when it succeeds.
func (e *Executor) do(ctx context.Context, s plan.Step) error {
	run, err := e.bind(s)
	if err != nil {
		return err
	}
	e.Log.Debug("step started", "step", s.ID, "kind", s.Kind())
	if err := run(ctx); err != nil {
		return err
	}
	if s.Kind().Deletes() {
		return e.forget(s.Resource)
	}
	return e.record(s.Resource, "")
}

// finish writes what later commands need: the outputs of what up made, or, once a teardown has deleted all it
// planned to, no outputs but the final snapshot's name.
func (e *Executor) finish(ok bool) error {
	switch {
	case !e.Plan.Teardown:
		return e.recordOutputs()
	case ok:
		return e.clearOutputs()
	}
	return nil
}

// progress reports a step's intermediate state.
func (e *Executor) progress(s plan.Step, format string, args ...any) {
	e.Reporter.Progress(s, fmt.Sprintf(format, args...))
}
