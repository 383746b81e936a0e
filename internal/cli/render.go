package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/operation"
)

const renderLong = `Generate the kustomize overlay that puts Kubeflow Pipelines and Katib of an existing manifests checkout on
RDS for MySQL and/or S3, and build it.

The checkout is recognised by reading its files, and by the KFP version it pins: awslabs/kubeflow-manifests v1.7
with kubeflow/manifests v1.7.0 in upstream/ (KFP 2.0.0-alpha.7), kubeflow/manifests v1.8 (2.0.5), v1.9.0 (2.2.0),
v1.9.1 (2.3.0), v1.10 (2.5.0), v1.11 (2.15.0), 26.03 (2.16.0), kubeflow/community-distribution 26.03.1 (2.16.1),
and master branches pinning one of these. A newer KFP gets the wiring of the newest with a warning; an older or
unreadable version is refused. The overlay only references the KFP and Katib entry points and never edits them.
Values come from the state file that "kfaws up" wrote, or from the flags below when you bring your own resources.

Remote kustomize bases (Argo Workflows from GitHub, v1.11 on) are not fetched unless --allow-network is given;
--git-mirror URL=DIR builds them offline from a local clone.

Without --out and --build the built YAML goes to stdout.`

type renderFlags struct {
	manifests, out, build string
	over                  operation.Overrides
	mirrors               []string
	allowNetwork          bool
}

func newRenderCmd(s Streams, g *globalFlags) *cobra.Command {
	f := &renderFlags{}
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Generate and build the RDS/S3 overlay for a Kubeflow manifests checkout",
		Long:  renderLong,
		Example: `  kfaws render --config kfaws.yaml --manifests ./manifests --out ./kfaws-overlay --build kubeflow.yaml
  kfaws render --manifests ./manifests --option rds-only --region us-west-2 \
    --db-host mydb.abc.us-west-2.rds.amazonaws.com --secrets-role-arn arn:aws:iam::123456789012:role/reader --build -`,
		Args: noArgs,
	}
	cfg := addConfigFlags(cmd.Flags())
	fl := cmd.Flags()
	fl.StringVar(&f.manifests, "manifests", "", "root of the Kubeflow manifests checkout (required)")
	fl.StringVar(&f.out, "out", "", "directory to keep the generated overlay in (for GitOps)")
	fl.StringVar(&f.build, "build", "", "write the built YAML to FILE, or - for stdout")
	fl.StringVar(&f.over.DBHost, "db-host", "", "RDS endpoint address (default: from the state file)")
	fl.Int32Var(&f.over.DBPort, "db-port", 0, "RDS port (default: from the state file, else 3306)")
	fl.StringVar(&f.over.BackendRoleARN, "backend-role-arn", "", "IAM role for ml-pipeline and ml-pipeline-ui (irsa)")
	fl.StringVar(&f.over.ProfileRoleARN, "profile-role-arn", "", "IAM role for the profile's default-editor (irsa)")
	fl.StringVar(&f.over.SecretsRoleARN, "secrets-role-arn", "", "IAM role for kubeflow-secrets-manager-sa")
	fl.StringArrayVar(&f.mirrors, "git-mirror", nil, "URL=DIR: build remote bases of repository URL from local git repository DIR (repeatable)")
	fl.BoolVar(&f.allowNetwork, "allow-network", false, "let kustomize fetch remote bases that have no --git-mirror")
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		conf, err := cfg.load(nil)
		if err != nil {
			return err
		}
		if cfg.fs.Changed("bucket") {
			f.over.Bucket = conf.S3.Bucket
		}
		mirrors, err := parseMirrors(f.mirrors)
		if err != nil {
			return usageError(err)
		}
		oc, err := operation.OpenConfiguration(c.Context(), conf, operation.Options{Profile: cfg.profile, Log: g.logger(s.Err)})
		if err != nil {
			return err
		}
		op := &operation.Render{Configuration: oc, Manifests: f.manifests, Overrides: f.over, OutDir: f.out,
			GitMirrors: mirrors, AllowNetwork: f.allowNetwork}
		res, err := op.Run(c.Context())
		if res != nil {
			printRender(s.Err, res, g.quiet)
		}
		if err != nil {
			return err
		}
		return writeBuild(s, f, res, g.quiet)
	}
	return cmd
}

// parseMirrors reads URL=DIR pairs.
func parseMirrors(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		url, dir, ok := strings.Cut(p, "=")
		if !ok || url == "" || dir == "" {
			return nil, fmt.Errorf("--git-mirror %q: want URL=DIR, e.g. https://github.com/argoproj/argo-workflows=/srv/mirrors/argo-workflows.git", p)
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--git-mirror %q: %q is not a directory", p, dir)
		}
		out[strings.TrimSuffix(url, "/")] = dir
	}
	return out, nil
}

func writeBuild(s Streams, f *renderFlags, res *operation.RenderResult, quiet bool) error {
	if f.build == "" && f.out != "" {
		return nil
	}
	data, err := res.YAML()
	if err != nil {
		return err
	}
	if f.build == "" || f.build == "-" {
		_, err := s.Out.Write(data)
		return err
	}
	if err := os.WriteFile(f.build, data, 0o644); err != nil {
		return fmt.Errorf("writing --build: %w", err)
	}
	if !quiet {
		fmt.Fprintf(s.Err, "wrote %d objects to %s\n", res.Built, f.build)
	}
	return nil
}

// printRender says what was found and done, on stderr; quiet leaves only the warnings.
func printRender(w io.Writer, res *operation.RenderResult, quiet bool) {
	if quiet {
		printWarnings(w, res.Warnings)
		return
	}
	if l := res.Layout; l != nil {
		fmt.Fprintf(w, "detected %s in %q: %s\n", l.Name(), l.Root, l.Describe())
		fmt.Fprintf(w, "entry points: %s, %s\n", l.PipelineEntry, l.KatibEntry)
		if ps := l.PodSecurity(); ps != "" {
			fmt.Fprintf(w, "namespace kubeflow enforces Pod Security %q\n", ps)
		}
	}
	if len(res.Remote) > 0 {
		fmt.Fprintf(w, "remote bases: %d\n", len(res.Remote))
		for _, r := range res.Remote {
			fmt.Fprintf(w, "  %s (in %s)\n", r.URL, r.File)
		}
	}
	if len(res.Removed) > 0 {
		fmt.Fprintf(w, "removed %d upstream objects:\n", len(res.Removed))
		for _, r := range res.Removed {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
	printWarnings(w, res.Warnings)
	if res.OutDir != "" && len(res.Files) > 0 {
		fmt.Fprintf(w, "wrote the overlay (%d files) to %s\n", len(res.Files), res.OutDir)
	}
	if res.Built > 0 {
		fmt.Fprintf(w, "built %d objects (upstream entry points: %d)\n", res.Built, res.Upstream)
	}
}

// printWarnings writes each warning on its own line, with its level, even under -q.
func printWarnings(w io.Writer, warnings []string) {
	for _, msg := range warnings {
		fmt.Fprintf(w, "warning: %s\n", msg)
	}
}
