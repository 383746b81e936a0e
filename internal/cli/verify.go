package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/operation"
)

const verifyLong = `Check an installation end to end and give one verdict per check: ok, not-yet-initialised (a component
that creates it has not started or not been used yet; not a failure), warn, or fail, with what to do.

  db       the RDS secret, the connection (path and TLS), server version, the auth plugin of the user the
           components use (MLMD needs mysql_native_password), the databases and tables KFP, its cache, MLMD and
           Katib create, and whether Katib's observation_logs has rows
  s3       the bucket, its public access block and encryption, a write/read/delete probe with the S3 secret's
           keys (static) or an evaluation of the IRSA role's policies (irsa), and which artifact prefixes exist
  cluster  the SecretProviderClasses, the synced Secrets and their keys, the Deployments that read them, the
           IRSA roles of the ServiceAccounts, the in-cluster MySQL/MinIO/SeaweedFS objects the option removes,
           the CSI driver and its AWS provider

Reaching the database: --db-address HOST:PORT uses a tunnel you already have; otherwise kfaws dials the RDS
endpoint and, when that fails, runs a short-lived relay pod (socat, --db-relay-image; mirror it for air-gapped
clusters) in the kubeflow namespace and port-forwards to it; the pod is labelled app.kubernetes.io/managed-by=kfaws
and deleted afterwards (it needs permission to create and delete pods and to create pods/portforward there).
TLS is used when the server offers it, and the certificate is verified for the RDS host
name against --db-ca-file (the RDS CA bundle) or the system roots; it is never skipped.

Only the S3 probe writes: one object under kfaws-verify/, deleted again.
Exit code 0 when no check failed, 5 when one did, 1 when verify itself could not run.`

type verifyFlags struct {
	only []string
	db   *dbFlags
}

func newVerifyCmd(s Streams, g *globalFlags) *cobra.Command {
	f := &verifyFlags{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the databases, the bucket and the cluster wiring; one verdict per check",
		Long:  verifyLong,
		Example: `  kfaws verify --config kfaws.yaml
  kfaws verify --config kfaws.yaml --only db --db-address 127.0.0.1:13306 --db-ca-file global-bundle.pem
  kfaws verify --config kfaws.yaml --only s3,cluster -o json`,
		Args: noArgs,
	}
	af := addAWSFlags(cmd, g)
	fl := cmd.Flags()
	fl.StringSliceVar(&f.only, "only", nil, "check only these areas: db, s3, cluster (repeat or comma-separate)")
	addKubeFlags(fl, &af.kube)
	f.db = addDBFlags(fl)
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		areas, err := parseAreas(f.only)
		if err != nil {
			return usageError(err)
		}
		conf, err := af.configuration(c.Context(), s)
		if err != nil {
			return err
		}
		v := &operation.Verify{Configuration: conf, Only: areas, DB: f.db.options()}
		rep, err := v.Run(c.Context())
		if err != nil {
			return err
		}
		if af.output == outputJSON {
			err = printVerifyJSON(s.Out, rep)
		} else {
			err = printVerifyText(s.Out, rep)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "\nVerify: %s.\n", rep.Summary())
		if rep.Failed() {
			return withCode(ExitVerifyFailed, errSilent)
		}
		return nil
	}
	return cmd
}

func parseAreas(only []string) ([]operation.Area, error) {
	var out []operation.Area
	for _, o := range only {
		a, err := operation.ParseArea(strings.TrimSpace(o))
		if err != nil {
			return nil, fmt.Errorf("--only: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

func printVerifyJSON(w io.Writer, r *operation.Report) error {
	if r.Checks == nil {
		r.Checks = []operation.Check{}
	}
	return writeJSON(w, r)
}

// verifyWidth is the width the verify table keeps to; longer details wrap under their column.
const verifyWidth = 120

// printVerifyText prints one row per check, the detail wrapped to fit verifyWidth and, for a check that is not
// ok, what to do on the lines under it.
func printVerifyText(w io.Writer, r *operation.Report) error {
	checkW, statusW := len("CHECK"), len("STATUS")
	for _, c := range r.Checks {
		checkW = max(checkW, len(c.Area)+2+len(c.Name))
		statusW = max(statusW, len(c.Status))
	}
	indent := checkW + 2 + statusW + 2
	detailW := max(verifyWidth-indent, 40)
	row := func(check, status string, lines []string) {
		for i, l := range lines {
			if i > 0 {
				check, status = "", ""
			}
			fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("%-*s  %-*s  %s", checkW, check, statusW, status, l), " "))
		}
	}
	row("CHECK", "STATUS", []string{"DETAIL"})
	for _, c := range r.Checks {
		lines := wrap(c.Detail, detailW)
		if c.Action != "" {
			lines = append(lines, wrap("to fix: "+c.Action, detailW)...)
		}
		row(string(c.Area)+": "+c.Name, string(c.Status), lines)
	}
	return nil
}

// wrap breaks s into lines of at most width characters at spaces; a longer word gets a line of its own.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}
