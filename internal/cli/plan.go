package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/operation"
)

// awsFlags are what plan, up and other AWS commands share.
type awsFlags struct {
	cfg    *configFlags
	output outputFormat
	global *globalFlags
	// kube is the cluster, for the commands that also reach it.
	kube operation.KubeOptions
}

func addAWSFlags(cmd *cobra.Command, g *globalFlags) *awsFlags {
	f := &awsFlags{cfg: addConfigFlags(cmd.Flags()), output: outputText, global: g}
	cmd.Flags().VarP(&enumValue[outputFormat]{allowed: outputFormats, p: &f.output}, "output", "o",
		"output format: "+strings.Join(enumStrings(outputFormats), ", "))
	return f
}

// configuration loads and validates the config, then builds the shared Configuration.
func (f *awsFlags) configuration(ctx context.Context, s Streams) (*operation.Configuration, error) {
	c, err := f.cfg.load(func(profile string) string { return operation.RegionFromProfile(ctx, profile) })
	if err != nil {
		return nil, err
	}
	return operation.NewConfiguration(ctx, c, operation.Options{Profile: f.cfg.profile, Kube: f.kube,
		Log: f.global.logger(s.Err)})
}

func newPlanCmd(s Streams, g *globalFlags) *cobra.Command {
	var detailed bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what `up` would create, reuse or refuse in AWS; changes nothing",
		Long: `Observe AWS and show, per resource, what 'kfaws up' would do:
  create    kfaws creates it (and owns it: tagged, recorded, removable by 'kfaws down')
  update    kfaws owns it and restores what the configuration says
  exists    reused as it is; if kfaws did not create it, it is never changed or deleted
  conflict  kfaws must not touch it; the detail says why and what to do
  orphan    kfaws created it under a name the configuration no longer gives; kept as it is,
            and 'kfaws down' removes it

Profile namespaces are read from the cluster through the kubeconfig (--kubeconfig, --context), so the plan
shows the role or association each one gets; without a cluster it keeps those the state file records.

Then the steps, with which of them wait for which; the others run in parallel.
Nothing is changed. Exit code 0, or 3 with conflicts; with --detailed-exitcode, 4 when changes are pending.`,
		Example: `  kfaws plan --config kfaws.yaml
  kfaws plan --cluster my-cluster --region us-west-2 --bucket my-kfp-artifacts -o json`,
		Args: noArgs,
	}
	f := addAWSFlags(cmd, g)
	fromSnapshot := addFromSnapshotFlag(cmd)
	rotate := addRotateFlag(cmd)
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 4 when changes are pending, 0 when there are none")
	addKubeFlags(cmd.Flags(), &f.kube)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		conf, err := f.configuration(cmd.Context(), s)
		if err != nil {
			return err
		}
		conf.DiscoverProfiles = true
		res, err := (&operation.Plan{Configuration: conf, FromSnapshot: *fromSnapshot, RotateDBPasswords: *rotate}).Run(cmd.Context())
		if err != nil {
			return err
		}
		p := res.Plan
		if f.output == outputJSON {
			err = printPlanJSON(s.Out, p)
		} else {
			err = printPlanText(s.Out, p)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "\nPlan: %s. Nothing was changed.\n", summaryLine(p))
		switch {
		case len(p.Conflicts()) > 0:
			fmt.Fprintln(s.Err, "Resolve the conflicts above, then run: kfaws plan"+f.cfg.suggestFlags())
			if hint := f.cfg.renameHint("plan", p.Renames); hint != "" {
				fmt.Fprintln(s.Err, hint)
			}
			return withCode(ExitConflict, errSilent)
		case p.HasChanges():
			cmdline := "kfaws up" + f.cfg.suggestFlags()
			if *rotate {
				cmdline += " --rotate-db-passwords"
			}
			fmt.Fprintln(s.Err, "To apply it, run: "+cmdline)
			if detailed {
				return withCode(ExitPending, errSilent)
			}
		default:
			fmt.Fprintln(s.Err, "Everything is in place.")
		}
		return nil
	}
	return cmd
}

// addFromSnapshotFlag adds --from-snapshot, which plan and up share.
func addFromSnapshotFlag(cmd *cobra.Command) *string {
	var name string
	cmd.Flags().StringVar(&name, "from-snapshot", "", "restore the DB instance from this DB snapshot (e.g. the final snapshot "+
		"kfaws down took) when up creates it; ignored when the instance exists")
	return &name
}
