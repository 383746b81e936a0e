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

	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/apply"
	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/render"
	"github.com/kfaws/kfaws/internal/state"
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

The Secrets Store CSI driver (v1.5.4, secret syncing on) and its AWS provider (2.1.0) come from the EKS add-on
aws-secrets-store-csi-driver-provider when EKS offers it for the cluster (needs --cluster and AWS access),
otherwise from objects built into kfaws; nothing is downloaded at apply time. Air-gapped clusters: copy the four
images to your registry keeping their paths (kfaws apply --list-images prints them) and pass
--image-registry REGISTRY[/PREFIX] with --csi-driver=manifests; --csi-driver=skip leaves the driver to you.`

type applyFlags struct {
	*clusterFlags
	filename                  string
	remove, deleteShared, yes bool
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
	fl.BoolVar(&f.yes, "yes", false, "with --remove: do not ask for confirmation")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		if f.listImages {
			for _, img := range csidriver.Images() {
				fmt.Fprintln(s.Out, img.Ref(f.imageRegistry))
			}
			return nil
		}
		conf, err := cfg.load(func(profile string) string { return kaws.RegionFromProfile(c.Context(), profile) })
		if err != nil {
			return err
		}
		if err := apply.CheckInstallation(conf.Name); err != nil {
			return usageError(fmt.Errorf("%w: pass --name or --cluster, or use --config", err))
		}
		client, err := kube.Load(f.kube)
		if err != nil {
			return usageError(err)
		}
		progress := s.Err
		if g.quiet {
			progress = io.Discard
		}
		if f.remove {
			if err := runRemove(c.Context(), s, f, client, conf.Name, progress); err != nil {
				return err
			}
			return removeAddon(c.Context(), f, cfg.profile, conf, progress)
		}
		objs, err := applyInput(c.Context(), s, f, cfg, conf)
		if err != nil {
			return err
		}
		op, err := f.operation(c.Context(), conf, cfg.profile, client, objs, progress, g, s.Err)
		if err != nil {
			return err
		}
		return runApply(c.Context(), s, op, progress)
	}
	return cmd
}

// applyInput reads the objects from --filename or renders --manifests.
func applyInput(ctx context.Context, s Streams, f *applyFlags, cfg *configFlags, conf *config.Config) ([]*unstructured.Unstructured, error) {
	switch {
	case (f.manifests == "") == (f.filename == ""):
		return nil, usageError(errors.New("give exactly one of --manifests DIR (render a checkout) and --filename FILE|- (apply YAML)"))
	case f.filename == "-":
		return apply.Decode(s.In, "stdin")
	case f.filename != "":
		file, err := os.Open(f.filename)
		if err != nil {
			return nil, usageError(fmt.Errorf("reading --filename: %w", err))
		}
		defer file.Close()
		objs, err := apply.Decode(file, f.filename)
		if err != nil {
			return nil, usageError(err)
		}
		return objs, nil
	}
	return renderForApply(ctx, f.clusterFlags, cfg, conf)
}

// renderForApply renders --manifests with the values of the config and its state file.
func renderForApply(ctx context.Context, f *clusterFlags, cfg *configFlags, conf *config.Config) ([]*unstructured.Unstructured, error) {
	st, err := state.Open(conf.StatePath())
	if err != nil {
		return nil, usageError(err)
	}
	var over render.Overrides
	if cfg.fs.Changed("bucket") {
		over.Bucket = conf.S3.Bucket
	}
	r, err := f.render()
	if err != nil {
		return nil, err
	}
	objs, _, err := operation.RenderObjects(ctx, r, conf, st.Snapshot().Outputs, over)
	var ve *operation.ValuesError
	if errors.As(err, &ve) {
		return nil, usageError(err)
	}
	if err != nil {
		return nil, renderError(err)
	}
	return objs, nil
}

// runApply runs the operation and prints one line per object.
func runApply(ctx context.Context, s Streams, op *operation.Apply, progress io.Writer) error {
	res, err := op.Run(ctx)
	if res != nil {
		printApplied(s.Out, res)
	}
	if err != nil {
		return applyError(err)
	}
	r := res.Objects
	fmt.Fprintf(progress, "applied %d objects: %d created, %d configured, %d unchanged, %d kept; %d transient retries\n",
		len(r.Objects), r.Count(apply.Created), r.Count(apply.Configured), r.Count(apply.Unchanged),
		r.Count(apply.Kept), r.Retries)
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
func printObjects(w io.Writer, res *apply.Result) {
	lines := make([]string, 0, len(res.Objects))
	for _, o := range res.Objects {
		lines = append(lines, fmt.Sprintf("%s %s", o.Ref, o.Action))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

// applyError gives conflicts the conflict exit code; everything else is an
// operation failure that already names the object and what to do.
func applyError(err error) error {
	var ce *apply.ConflictError
	var no *apply.NotOwnedError
	if errors.As(err, &ce) || errors.As(err, &no) {
		return withCode(ExitConflict, err)
	}
	return err
}

func runRemove(ctx context.Context, s Streams, f *applyFlags, client *kube.Client, installation string, progress io.Writer) error {
	if !f.yes && isTerminal(s.Err) && isTerminalReader(s.In) {
		fmt.Fprintf(s.Err, "delete every object labelled %s on %s? [y/N] ", apply.Selector(installation), client.Config.Host)
		line, _ := bufio.NewReader(s.In).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return usageError(errors.New("removal not confirmed; nothing was deleted"))
		}
	}
	r := &apply.Remover{Client: client, Installation: installation, DeleteShared: f.deleteShared,
		Timeout: f.timeout, Progress: progress}
	res, err := r.Remove(ctx)
	if res != nil {
		for _, ref := range res.Deleted {
			fmt.Fprintf(s.Out, "%s deleted\n", ref)
		}
	}
	return err
}

// removeAddon deletes the CSI driver's EKS add-on when this installation
// created it; without AWS access in auto mode it says so and leaves it.
func removeAddon(ctx context.Context, f *applyFlags, profile string, conf *config.Config, progress io.Writer) error {
	if f.csi == "skip" || f.csi == string(csidriver.Manifests) || conf.Cluster == "" || conf.Region == "" {
		return nil
	}
	awsCfg, err := kaws.LoadConfig(ctx, profile, conf.Region)
	if err == nil {
		var got string
		got, err = csidriver.RemoveAddon(ctx, eks.NewFromConfig(awsCfg), conf.Cluster, conf.Name, f.timeout)
		if err == nil {
			fmt.Fprintf(progress, "✓ EKS add-on %s: %s\n", csidriver.AddonName, got)
			return nil
		}
	}
	if f.csi == string(csidriver.Addon) {
		return err
	}
	fmt.Fprintf(progress, "! could not check the EKS add-on %s (%v); delete it yourself if kfaws created it\n", csidriver.AddonName, err)
	return nil
}

func isTerminalReader(r io.Reader) bool {
	file, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
