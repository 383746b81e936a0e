// Package cli is kfaws's command line: it binds flags to the library's operations and prints their results.
// It holds no logic of its own beyond parsing, printing and mapping errors to exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Streams are the process's standard streams; commands never touch os.Stdout directly.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

const rootLong = `kfaws deploys Kubeflow Pipelines and Katib on Amazon EKS with their data outside the cluster:
databases on Amazon RDS for MySQL, artifacts on Amazon S3.

Typical flow:
  kfaws init --cluster my-cluster --region us-west-2 --bucket my-kfp-artifacts > kfaws.yaml
  kfaws plan --config kfaws.yaml      # what would change, changes nothing
  kfaws up --config kfaws.yaml        # provision S3, RDS, secrets and IAM roles

AWS access uses the standard credential chain (environment, --profile / AWS_PROFILE, SSO, IMDS, IRSA),
--region or AWS_REGION, and honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.

Exit codes:
  0  success
  1  an operation failed
  2  bad flags, arguments or configuration (nothing was changed)
  3  conflicting resources found (nothing was changed)
  4  plan --detailed-exitcode: changes are pending
  5  verify: at least one check failed`

// globalFlags are the flags every command has.
type globalFlags struct {
	verbose int
	quiet   bool
}

// Main runs kfaws with args and returns the process exit code.
func Main(ctx context.Context, s Streams, args []string) int {
	root := newRoot(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		if !errors.Is(err, errSilent) {
			fmt.Fprintf(s.Err, "error: %v\n", err)
		}
	}
	return exitCode(err)
}

// errSilent is returned by commands that already printed their outcome but must still exit non-zero.
var errSilent = errors.New("")

func newRoot(s Streams) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "kfaws",
		Short:         "Deploy Kubeflow Pipelines and Katib on EKS with RDS for MySQL and S3",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// An unknown command is bad input (exit 2): cobra would report it as a plain error.
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if sug := c.SuggestionsFor(args[0]); len(sug) > 0 {
			msg += "; did you mean " + strings.Join(sug, " or ") + "?"
		}
		return usageError(fmt.Errorf("%s (run kfaws --help for the commands)", msg))
	}
	root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	root.SuggestionsMinimumDistance = 2
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.PersistentFlags().CountVarP(&g.verbose, "verbose", "v", "more diagnostics on stderr (-v info, -vv debug)")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "no progress output")
	root.AddCommand(
		newInitCmd(s),
		newPlanCmd(s, g),
		newUpCmd(s, g),
		newDownCmd(s, g),
		newAdoptCmd(s, g),
		newMigrateCmd(s, g),
		newVersionCmd(s),
		newRenderCmd(s, g),
		newApplyCmd(s, g),
		newVerifyCmd(s, g),
	)
	requirePositiveDurations(root)
	return root
}

// requirePositiveDurations makes every duration flag of cmd and its subcommands refuse zero and negative values
// at parse time. Each of kfaws's durations bounds a wait (--timeout, --db-dial-timeout), where 0 or -1s would
// fail at once or never, far from the flag that caused it.
func requirePositiveDurations(cmd *cobra.Command) {
	wrap := func(f *pflag.Flag) {
		if _, done := f.Value.(positiveDuration); !done && f.Value.Type() == "duration" {
			f.Value = positiveDuration{f.Value}
		}
	}
	cmd.Flags().VisitAll(wrap)
	cmd.PersistentFlags().VisitAll(wrap)
	for _, sub := range cmd.Commands() {
		requirePositiveDurations(sub)
	}
}

// positiveDuration is a duration flag that accepts only durations above zero.
type positiveDuration struct{ pflag.Value }

func (p positiveDuration) Set(s string) error {
	if d, err := time.ParseDuration(s); err == nil && d <= 0 {
		return fmt.Errorf("must be more than zero, such as 30s or 15m")
	}
	return p.Value.Set(s)
}

// logger returns the diagnostics logger for the verbosity the user asked for.
func (g *globalFlags) logger(w io.Writer) *slog.Logger {
	level := slog.LevelWarn
	switch {
	case g.verbose >= 2:
		level = slog.LevelDebug
	case g.verbose == 1:
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Version is set at build time with -ldflags "-X github.com/kfaws/kfaws/internal/cli.Version=...".
var Version = "dev"

func newVersionCmd(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the kfaws version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(s.Out, Version)
			return err
		},
	}
}
