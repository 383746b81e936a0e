package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/operation"
)

// Exit codes, documented in `kfaws --help`.
const (
	ExitOK       = 0
	ExitFailure  = 1 // an operation failed (AWS, Kubernetes or database error)
	ExitUsage    = 2 // bad flags, arguments or configuration; nothing was changed
	ExitConflict = 3 // plan or up found resources kfaws must not touch; nothing was changed
	ExitPending  = 4 // plan --detailed-exitcode: changes are pending
	// ExitVerifyFailed: verify ran and at least one check failed (warnings and not-yet-initialised do not count).
	ExitVerifyFailed = 5
)

// exitError carries an exit code to Main without being an error message of its own.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// usageError marks errors that come from bad input.
func usageError(err error) error { return withCode(ExitUsage, err) }

// exitCode maps an error returned by a command to the process exit code, in this one place.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	switch operation.Classify(err) {
	case operation.BadInput:
		return ExitUsage
	case operation.Conflicting:
		return ExitConflict
	}
	return ExitFailure
}

// noArgs is cobra.NoArgs with the usage exit code.
func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError(err)
	}
	return nil
}
