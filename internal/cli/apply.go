package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/operation"
)

const applyLong = `Apply Kubeflow Pipelines and Katib (rendered for RDS/S3) to the cluster, with the Secrets Store CSI driver
they need, and wait until they run.

Input: --manifests DIR renders a Kubeflow manifests checkout as "kfaws render" does (values from the config and
the state file "kfaws up" wrote); --filename FILE (or - for stdin) applies YAML you built yourself, e.g. with
"kfaws render --build -".

Before any change a pre-flight checks that the cluster is reachable and runs Kubernetes 1.30 or later, that the
kinds the manifests use without installing them (cert-manager, Istio) are served, that the namespaces they use
exist, and that your credentials may create everything. Then it applies with server-side apply (field manager
"kfaws") in stages: CRDs until established, namespaces, the other objects, webhook configurations. Transient
errors (a webhook whose pods are starting, a CRD established a moment ago) are retried with backoff; fields
another tool owns are reported by object and field (--force-conflicts takes them over); existing objects kfaws
did not create are refused (--adopt takes them over). Every object is labelled
app.kubernetes.io/managed-by=kfaws and kfaws.dev/installation=NAME; --remove deletes exactly those.

KFP migrates its database schema forward on start, with no way back. When the objects pin another KFP version
than the one running (appVersion of ConfigMap kubeflow/pipeline-install-config) and the databases are on RDS,
kfaws first takes a manual snapshot of the instance, INSTANCE-pre-kfp-FROM-to-TO-YYYYMMDD-HHMMSS, waits until
it is available, prints how to restore it, and only then changes the cluster (--skip-upgrade-snapshot: no
snapshot). An older KFP than the running one is refused before any change; --allow-downgrade applies it once
the database is back on that version's schema.

The Secrets Store CSI driver (` + csidriver.DriverVersion + `, secret syncing on) and its AWS provider (` + csidriver.ProviderVersion + `) come from the EKS add-on
aws-secrets-store-csi-driver-provider when EKS offers it for the cluster (needs --cluster and AWS access),
otherwise from objects built into kfaws; nothing is downloaded at apply time. Air-gapped clusters: copy the four
images to your registry keeping their paths (kfaws apply --list-images prints them) and pass
--image-registry REGISTRY[/PREFIX] with --csi-driver=manifests; --csi-driver=skip leaves the driver to you.`

type applyFlags struct {
	*clusterFlags
	filename                  string
	remove, deleteShared, yes bool
	guideLeftovers            bool
	listImages                bool
}

func newApplyCmd(s Streams, g *globalFlags) *cobra.Command {
	f := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Install the CSI driver, KFP and Katib on the cluster in order and wait for them",
		Long:  applyLong,
		Example: `  kfaws apply --config kfaws.yaml --manifests ./manifests
  kfaws render --config kfaws.yaml --manifests ./manifests --build - | kfaws apply --config kfaws.yaml --filename -
  kfaws apply --config kfaws.yaml --manifests ./manifests --csi-driver manifests --image-registry registry.corp.example/mirror
  kfaws apply --config kfaws.yaml --remove`,
		Args: noArgs,
	}
	cfg := addConfigFlags(cmd.Flags())
	fl := cmd.Flags()
	f.clusterFlags = addClusterFlags(fl)
	fl.StringVar(&f.filename, "filename", "", "YAML file of objects to apply, or - for stdin")
	fl.BoolVar(&f.listImages, "list-images", false, "print the CSI driver images (for mirroring) and exit")
	fl.BoolVar(&f.remove, "remove", false, "delete everything this installation applied instead of applying")
	fl.BoolVar(&f.deleteShared, "delete-shared", false, "with --remove: also delete kfaws's namespaces and CRDs that others still use")
	fl.BoolVar(&f.guideLeftovers, "clean-guide-leftovers", false, "with --remove: also delete the dangling Knative "+
		"webhook configurations and training-operator Endpoints the reference guide's uninstall deletes by hand "+
		"(only those whose Service is gone; kfaws never created them)")
	fl.BoolVar(&f.yes, "yes", false, "with --remove: do not ask for confirmation")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		if f.listImages {
			for _, img := range operation.CSIImages(f.imageRegistry) {
				fmt.Fprintln(s.Out, img)
			}
			return nil
		}
		conf, err := cfg.open(c.Context(), s, g, f.kube)
		if err != nil {
			return err
		}
		progress := s.Err
		if g.quiet {
			progress = io.Discard
		}
		if f.remove {
			return runRemove(c.Context(), s, f, conf, progress)
		}
		op := f.apply(conf, progress)
		switch {
		case f.filename != "":
			op.Filename, op.Stdin = f.filename, s.In
		case f.manifests != "":
			var over operation.Overrides
			if cfg.fs.Changed("bucket") {
				over.Bucket = conf.Config.S3.Bucket
			}
			if op.Render, err = f.render(conf, over); err != nil {
				return err
			}
		}
		return runApply(c.Context(), s, op, progress)
	}
	return cmd
}

// runApply runs the operation and prints one line per object.
func runApply(ctx context.Context, s Streams, op *operation.Apply, progress io.Writer) error {
	res, err := op.Run(ctx)
	if res != nil {
		printApplied(s.Out, res)
	}
	if err != nil {
		return err
	}
	r := res.Objects
	fmt.Fprintf(progress, "applied %d objects: %d created, %d configured, %d unchanged, %d kept, %d patched; %d transient retries\n",
		len(r.Objects), r.Count(operation.Created), r.Count(operation.Configured), r.Count(operation.Unchanged),
		r.Count(operation.Kept), r.Count(operation.Patched), r.Retries)
	return nil
}

// printApplied writes the CSI driver's and Kubeflow's objects.
func printApplied(w io.Writer, res *operation.ApplyResult) {
	if res.CSI != nil && res.CSI.Apply != nil {
		printObjects(w, res.CSI.Apply)
	}
	if res.Objects != nil {
		printObjects(w, res.Objects)
	}
}

// printObjects writes one sorted line per object, as kubectl does, on stdout.
func printObjects(w io.Writer, res *operation.ObjectsResult) {
	lines := make([]string, 0, len(res.Objects))
	for _, o := range res.Objects {
		lines = append(lines, fmt.Sprintf("%s %s", o.Ref, o.Action))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// runRemove asks for confirmation on a terminal, then removes what the installation applied.
func runRemove(ctx context.Context, s Streams, f *applyFlags, conf *operation.Configuration, progress io.Writer) error {
	op := &operation.Remove{Configuration: conf, DeleteShared: f.deleteShared, CleanGuideLeftovers: f.guideLeftovers,
		Timeout: f.timeout, Progress: progress}
	selector, host, err := op.Target()
	if err != nil {
		return err
	}
	if !f.yes && isTerminal(s.Err) && isTerminalReader(s.In) {
		fmt.Fprintf(s.Err, "delete every object labelled %s on %s? [y/N] ", selector, host)
		line, _ := bufio.NewReader(s.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return usageError(errors.New("removal not confirmed; nothing was deleted"))
		}
	}
	res, err := op.Run(ctx)
	if res != nil && res.Objects != nil {
		for _, ref := range res.Objects.Deleted {
			fmt.Fprintf(s.Out, "%s deleted\n", ref)
		}
	}
	return err
}

func isTerminalReader(r io.Reader) bool {
	file, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
