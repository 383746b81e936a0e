package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/operation"
)

const adoptLong = `Adopt what the awslabs "Kubeflow on AWS" setup script (auto-rds-s3-setup.py) created, under the names the
configuration gives (write one from the script's metadata.yaml with 'kfaws init --from-awslabs-metadata'; the
defaults are the guide's names): the S3 bucket, s3-secret (static keys) or the IAM policy and the two IRSA roles,
the DB instance, rds-secret and the instance's DB subnet group.

Each is validated: the RDS secret holds {"username","password","database","host","port"}, names the instance's
endpoint and logs in to it (through --db-address, the endpoint, or a relay pod, as 'kfaws verify' does); its user
is on mysql_native_password, which KFP's metadata server needs; the instance is usable (not MySQL 9, not failed
or stopped); the bucket is this account's and in the cluster's region; the roles trust KFP's service accounts.
The parameter group and the subnets are checked as 'kfaws plan' does, with a warning when they fall short.

With no failure, every resource found is recorded in the state as adopted: 'kfaws plan' and 'kfaws up' use it as
it is and never change it, and 'kfaws down' keeps it unless --delete-adopted. Nothing in AWS is changed. Adopting
again is a no-op. Exit code 0 when adopted (or --dry-run found nothing wrong), 1 when a resource failed
validation (nothing recorded), 2 on bad input.`

func newAdoptCmd(s Streams, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "adopt",
		Short: "Validate and record what the awslabs RDS/S3 setup created, to use it as it is",
		Long:  adoptLong,
		Example: `  kfaws init --from-awslabs-metadata metadata.yaml --out kfaws.yaml
  kfaws adopt --config kfaws.yaml --dry-run
  kfaws adopt --config kfaws.yaml --context my-eks`,
		Args: noArgs,
	}
	f := addAWSFlags(cmd, g)
	var dryRun bool
	fl := cmd.Flags()
	fl.BoolVar(&dryRun, "dry-run", false, "validate only; record nothing")
	addKubeFlags(fl, &f.kube)
	db := addDBFlags(fl)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		conf, err := f.configuration(cmd.Context(), s)
		if err != nil {
			return err
		}
		res, err := (&operation.Adopt{Configuration: conf, DryRun: dryRun, DB: db.options()}).Run(cmd.Context())
		if res != nil {
			var perr error
			if f.output == outputJSON {
				perr = writeJSON(s.Out, res)
			} else {
				printAdoptText(s.Out, res)
			}
			if perr != nil && err == nil {
				err = perr
			}
		}
		var ae *operation.AdoptError
		switch {
		case errors.As(err, &ae):
			fmt.Fprintf(s.Err, "\n%d resource(s) cannot be adopted; nothing was recorded.\n", len(ae.Failed))
			return withCode(ExitFailure, errSilent)
		case err != nil:
			return err
		}
		for _, w := range res.Warnings {
			fmt.Fprintln(s.Err, "warning: "+w)
		}
		switch {
		case dryRun:
			fmt.Fprintln(s.Err, "\nNothing wrong found. Nothing was recorded (--dry-run); run kfaws adopt without it to record.")
		case res.Recorded:
			fmt.Fprintf(s.Err, "\nAdopted; recorded in %s. Next: kfaws plan --config FILE\n", conf.State.Path())
		default:
			fmt.Fprintln(s.Err, "\nNothing to adopt: everything found is recorded already. Nothing was changed.")
		}
		return nil
	}
	return cmd
}

// printAdoptText prints one row per resource: kind, name, verdict, detail.
func printAdoptText(w io.Writer, res *operation.AdoptResult) {
	kindW, nameW := len("RESOURCE"), len("NAME")
	for _, l := range res.Lines {
		kindW, nameW = max(kindW, len(l.Kind)), max(nameW, len(l.Name))
	}
	detailW := max(verifyWidth-kindW-nameW-len("adopted")-6, 40)
	row := func(kind, name, verdict string, lines []string) {
		for i, l := range lines {
			if i > 0 {
				kind, name, verdict = "", "", ""
			}
			fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("%-*s  %-*s  %-7s  %s", kindW, kind, nameW, name, verdict, l), " "))
		}
	}
	row("RESOURCE", "NAME", "VERDICT", []string{"DETAIL"})
	for _, l := range res.Lines {
		row(l.Kind, l.Name, string(l.Verdict), wrap(l.Detail, detailW))
	}
}
