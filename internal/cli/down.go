package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/operation"
)

const downLong = `Tear the installation down: first what kfaws applied on the cluster (every object labelled
kfaws.dev/installation=NAME, as 'kfaws apply --remove' does), so nothing there keeps using the database or the
bucket; then what kfaws created in AWS, in the order AWS requires (roles before their policy, the instance before
its subnet, parameter and security groups and its secret).

Only what this installation created is deleted: a resource whose kfaws.dev/installation tag names it, or that the
state file records by name and ARN or ID. Resources kfaws reused, another installation's, and the cluster's IAM
OIDC provider are kept and listed as such. Resources kfaws created under names the configuration no longer gives
are deleted too. A state file that was lost is not needed: the tags say what is kfaws's.

Data is kept unless you say otherwise:
  - the DB instance goes with a final snapshot, INSTANCE-final-YYYYMMDD-HHMMSS, which down never deletes
    (--skip-final-snapshot: none);
  - the S3 bucket is kept (--delete-data: every object version is deleted, then the bucket);
  - what 'kfaws adopt' recorded from the awslabs setup is kept (--delete-adopted: deleted like the rest);
  - secrets are recoverable for 7 days (--force-delete-secrets: at once); 'kfaws up' within those days restores
    them.

The plan is shown first; on a terminal you confirm it, elsewhere pass --yes. An interrupted teardown is resumed by
running 'kfaws down' again. Exit code 0 when done or nothing is left, 2 on bad input or a declined confirmation
(nothing changed), 1 when a step failed (what finished is recorded; run it again).`

type downFlags struct {
	dryRun, yes                     bool
	deleteData, skipFinalSnapshot   bool
	forceDeleteSecrets, skipCluster bool
	deleteAdopted                   bool
	rdsTimeout                      time.Duration
}

func newDownCmd(s Streams, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Delete what this installation created, on the cluster and in AWS; keeps data unless told otherwise",
		Long:  downLong,
		Example: `  kfaws down --config kfaws.yaml --dry-run
  kfaws down --config kfaws.yaml --context my-eks
  kfaws down --config kfaws.yaml --yes --delete-data --skip-final-snapshot
  kfaws down --config kfaws.yaml --skip-cluster   # the cluster is gone already`,
		Args: noArgs,
	}
	f := addAWSFlags(cmd, g)
	var d downFlags
	var timeout time.Duration
	fl := cmd.Flags()
	addKubeFlags(fl, &f.kube)
	fl.DurationVar(&timeout, "timeout", 10*time.Minute, "bound for removing the cluster's objects")
	fl.DurationVar(&d.rdsTimeout, "rds-timeout", operation.DefaultInstanceTimeout, "how long to wait for the DB "+
		"instance's deletion and final snapshot; they go on in AWS, and a later down resumes the wait")
	fl.BoolVar(&d.dryRun, "dry-run", false, "show what would be deleted and kept; change nothing")
	fl.BoolVar(&d.yes, "yes", false, "do not ask for confirmation (needed when not on a terminal)")
	fl.BoolVar(&d.deleteData, "delete-data", false, "also empty and delete the S3 bucket kfaws created")
	fl.BoolVar(&d.skipFinalSnapshot, "skip-final-snapshot", false, "delete the DB instance without a final snapshot")
	fl.BoolVar(&d.forceDeleteSecrets, "force-delete-secrets", false, "delete secrets at once, without the 7-day recovery window")
	fl.BoolVar(&d.deleteAdopted, "delete-adopted", false, "also delete what kfaws adopt recorded from the awslabs setup (the bucket only with --delete-data)")
	fl.BoolVar(&d.skipCluster, "skip-cluster", false, "leave the cluster alone (it is gone, or was cleaned another way)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		conf, err := f.configuration(cmd.Context(), s)
		if err != nil {
			return err
		}
		conf.DiscoverProfiles = !d.skipCluster
		progress := s.Err
		if g.quiet {
			progress = io.Discard
		}
		op := &operation.Down{Configuration: conf, Reporter: newProgress(s.Err, g.quiet), DeleteData: d.deleteData,
			SkipFinalSnapshot: d.skipFinalSnapshot, ForceDeleteSecrets: d.forceDeleteSecrets, SkipCluster: d.skipCluster,
			DeleteAdopted: d.deleteAdopted, DryRun: d.dryRun, Timeout: timeout, InstanceTimeout: d.rdsTimeout, Progress: progress}
		shown, declinedNoTTY := false, false
		show := func(res *operation.DownResult) {
			if f.output != outputJSON && !shown {
				shown = true
				printDownText(s.Out, res)
			}
		}
		op.Confirm = func(res *operation.DownResult) bool {
			show(res)
			if d.yes {
				return true
			}
			if !isTerminal(s.Err) || !isTerminalReader(s.In) {
				declinedNoTTY = true
				return false
			}
			fmt.Fprintf(s.Err, "\nDelete %s? [y/N] ", downSummary(res))
			line, _ := bufio.NewReader(s.In).ReadString('\n')
			a := strings.ToLower(strings.TrimSpace(line))
			return a == "y" || a == "yes"
		}
		res, err := op.Run(cmd.Context())
		if res != nil {
			show(res)
			if f.output == outputJSON {
				if perr := printDownJSON(s.Out, res); perr != nil && err == nil {
					err = perr
				}
			}
		}
		switch {
		case errors.Is(err, operation.ErrNotConfirmed) && declinedNoTTY:
			return fmt.Errorf("%w: not on a terminal, so nothing can be confirmed; review the plan (--dry-run) and pass --yes", err)
		case err != nil:
			return downError(err, conf.State.Path())
		case !res.Changed:
			fmt.Fprintln(s.Err, "Nothing to delete: nothing this installation created is left. Nothing was changed.")
		case d.dryRun:
			fmt.Fprintf(s.Err, "\nWould delete %s. Nothing was changed (--dry-run).\n", downSummary(res))
		default:
			fmt.Fprintf(s.Err, "Done: deleted %s.%s\n", doneSummary(res), keptNote(res))
		}
		return nil
	}
	return cmd
}

// downError tells how to resume after a failure; bad input changed nothing and needs no resuming.
func downError(err error, statePath string) error {
	if operation.Classify(err) != operation.Failed {
		return err
	}
	return fmt.Errorf("%w\nwhat finished is recorded in %s; run kfaws down again to resume", err, statePath)
}

// downSummary counts what the teardown deletes, in AWS and on the cluster.
func downSummary(res *operation.DownResult) string {
	parts := []string{fmt.Sprintf("%d AWS resource(s)", res.Plan.Summary().Delete)}
	if res.ClusterHost != "" {
		parts = append(parts, fmt.Sprintf("%d cluster object(s) on %s", len(res.ClusterObjects), res.ClusterHost))
	}
	return strings.Join(parts, " and ")
}

// doneSummary counts what the teardown deleted.
func doneSummary(res *operation.DownResult) string {
	line := fmt.Sprintf("%d AWS resource(s)", res.Plan.Summary().Delete)
	if res.Cluster != nil {
		line += fmt.Sprintf(" and %d cluster object(s) on %s", len(res.Cluster.Deleted), res.ClusterHost)
	}
	return line
}

// keptNote says what survived the teardown and where the data went.
func keptNote(res *operation.DownResult) string {
	var notes []string
	if res.FinalSnapshot != "" {
		notes = append(notes, "final DB snapshot "+res.FinalSnapshot)
	}
	if k := res.Plan.Summary().Keep; k > 0 {
		notes = append(notes, fmt.Sprintf("%d AWS resource(s) as listed", k))
	}
	if res.Cluster != nil && len(res.Cluster.Kept) > 0 {
		notes = append(notes, "on the cluster "+strings.Join(res.Cluster.Kept, ", "))
	}
	if len(notes) == 0 {
		return ""
	}
	return " Kept: " + strings.Join(notes, "; ") + "."
}

// printDownText prints the AWS plan, then what goes from the cluster.
func printDownText(w io.Writer, res *operation.DownResult) {
	_ = printPlanText(w, res.Plan)
	if res.ClusterHost == "" {
		fmt.Fprintln(w, "\nCluster: left alone (--skip-cluster).")
		return
	}
	fmt.Fprintf(w, "\nCluster %s: %d object(s) labelled with this installation, deleted before anything in AWS "+
		"(namespaces and CRDs others still use are kept):\n", res.ClusterHost, len(res.ClusterObjects))
	for _, ref := range res.ClusterObjects {
		fmt.Fprintf(w, "  %s\n", ref)
	}
}

// downJSON is the stable JSON shape of a teardown: the AWS plan, the cluster objects and the final snapshot.
type downJSON struct {
	planJSON
	Cluster       *downClusterJSON `json:"cluster"`
	FinalSnapshot string           `json:"finalSnapshot,omitempty"`
}

type downClusterJSON struct {
	Host    string   `json:"host"`
	Objects []string `json:"objects"`
	Deleted []string `json:"deleted,omitempty"`
}

func printDownJSON(w io.Writer, res *operation.DownResult) error {
	out := downJSON{planJSON: planDocument(res.Plan), FinalSnapshot: res.FinalSnapshot}
	if res.ClusterHost != "" {
		out.Cluster = &downClusterJSON{Host: res.ClusterHost, Objects: []string{}}
		for _, ref := range res.ClusterObjects {
			out.Cluster.Objects = append(out.Cluster.Objects, ref.String())
		}
		if res.Cluster != nil {
			for _, ref := range res.Cluster.Deleted {
				out.Cluster.Deleted = append(out.Cluster.Deleted, ref.String())
			}
		}
	}
	return writeJSON(w, out)
}
