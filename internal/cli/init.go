package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/config"
)

func newInitCmd(s Streams) *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented starter kfaws.yaml",
		Long: `Write a commented kfaws.yaml with every field at its default, overridden by the flags given.
Without --out the file goes to stdout.`,
		Example: `  kfaws init --cluster my-cluster --region us-west-2 --bucket my-kfp-artifacts --out kfaws.yaml`,
		Args:    noArgs,
	}
	flags := addConfigFlags(cmd.Flags())
	cmd.Flags().StringVarP(&out, "out", "o", "", "file to write (default stdout)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite --out if it exists")
	cmd.RunE = func(*cobra.Command, []string) error {
		c, err := flags.load(nil)
		if err != nil {
			return err
		}
		data := starterFor(c)
		if out == "" {
			_, err := s.Out.Write(data)
			return err
		}
		mode := os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if force {
			mode = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
		f, err := os.OpenFile(out, mode, 0o644)
		if err != nil {
			if os.IsExist(err) {
				return usageError(fmt.Errorf("%q exists; use --force to overwrite it", out))
			}
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "wrote %s; review it, then run: kfaws plan --config %s\n", out, out)
		return nil
	}
	return cmd
}

// starterFor fills placeholders for the fields a user must set, so the written file reads as a form.
func starterFor(c *config.Config) []byte {
	if c.Cluster == "" {
		c.Cluster = "CLUSTER_NAME"
		c.Name = ""
	}
	if c.Name == "" {
		c.Name = "kubeflow"
	}
	if c.Region == "" {
		c.Region = "REGION"
	}
	if c.S3.Bucket == "" {
		c.S3.Bucket = "BUCKET_NAME"
	}
	return config.Starter(c)
}
