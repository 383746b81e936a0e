package operation

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/execute"
	"github.com/kfaws/kfaws/internal/plan"
)

// checkRotate refuses --rotate-db-passwords where kfaws has no database users of its own to rotate.
func checkRotate(rotate, componentUsers bool) error {
	if rotate && !componentUsers {
		return errors.New("--rotate-db-passwords rotates the database users kfaws creates per component, and " +
			"rds.componentUsers is off (or the option puts no database on RDS): there is nothing to rotate; kfaws " +
			"never rotates the master user's password")
	}
	return nil
}

// rotations is a Reporter that passes every event on and notes the components whose password rotation finished,
// so the caller can say what the running components need.
type rotations struct {
	execute.Reporter
	mu   sync.Mutex
	done []string
}

func (r *rotations) Done(s plan.Step, err error, elapsed time.Duration) {
	if p, ok := s.Params.(plan.RotateDBPassword); ok && err == nil {
		r.mu.Lock()
		r.done = append(r.done, p.Component)
		r.mu.Unlock()
	}
	if r.Reporter != nil {
		r.Reporter.Done(s, err, elapsed)
	}
}

func (r *rotations) Start(s plan.Step) {
	if r.Reporter != nil {
		r.Reporter.Start(s)
	}
}

func (r *rotations) Progress(s plan.Step, msg string) {
	if r.Reporter != nil {
		r.Reporter.Progress(s, msg)
	}
}

// components lists the rotated components in the order plans list them.
func (r *rotations) components() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range dbusers.All {
		if slices.Contains(r.done, c.ID) {
			out = append(out, c.ID)
		}
	}
	return out
}
