package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/kfaws/kfaws/internal/operation"
)

// progress prints one line per finished step on stderr (✓ or ✗ with its time), and on a terminal also a line when
// a step starts and each status change of a long wait, so the user sees where a 15-minute run is.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	quiet bool
}

func newProgress(w io.Writer, quiet bool) *progress {
	return &progress{w: w, tty: isTerminal(w), quiet: quiet}
}

func (p *progress) Start(s operation.PlanStep) {
	if p.tty {
		p.printf("  … %s\n", s.Description)
	}
}

func (p *progress) Progress(s operation.PlanStep, msg string) {
	p.printf("    %s: %s\n", s.Resource, msg)
}

func (p *progress) Done(s operation.PlanStep, err error, elapsed time.Duration) {
	switch {
	case err == nil:
		p.printf("  ✓ %s (%s)\n", s.Description, elapsed.Round(100*time.Millisecond))
	case errors.Is(err, operation.ErrSkipped):
		p.printf("  - %s (skipped: a step it needs failed)\n", s.Description)
	default:
		p.printf("  ✗ %s\n", s.Description)
	}
}

func (p *progress) printf(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

// isTerminal reports whether w is a character device, without a terminal library.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
