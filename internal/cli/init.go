package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/config"
)

func newInitCmd(s Streams) *cobra.Command {
	var out, metadata string
	var force bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented starter kfaws.yaml",
		Long: `Write a commented kfaws.yaml with every field at its default, overridden by the flags given.
Names derived from other fields (name from --cluster, the IAM names from name, the parameter and security
groups from the instance name) are written commented out unless given, so they keep following those fields.
Values that cannot be valid are refused. Without --out the file goes to stdout.

--from-awslabs-metadata reads the metadata.yaml of the awslabs setup script (auto-rds-s3-setup.py) and names
what it created: region, cluster, bucket, the DB instance, its secret and subnet group, the S3 secret, and in
IRSA mode the IAM roles and policy (from their ARNs; without them, static keys). Flags still win. Then run
'kfaws adopt'. Without a metadata.yaml the defaults are the guide's names already (rds-secret, s3-secret,
kubeflow-db, kubeflow-db-subnet-group); its IAM roles had random names, so kfaws creates its own.`,
		Example: `  kfaws init --cluster my-cluster --region us-west-2 --bucket my-kfp-artifacts --out kfaws.yaml
  kfaws init --from-awslabs-metadata tests/e2e/utils/rds-s3/metadata.yaml --out kfaws.yaml`,
		Args: noArgs,
	}
	flags := addConfigFlags(cmd.Flags())
	cmd.Flags().StringVar(&out, "out", "", "file to write (default stdout)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite --out if it exists")
	cmd.Flags().StringVar(&metadata, "from-awslabs-metadata", "", "metadata.yaml of the awslabs RDS/S3 setup script: name what it created")
	// -o/--output is the output format on every other command; here it would be read as a file name.
	cmd.Flags().VarP(refusedFlag{msg: "init writes YAML only; name the file with --out"}, "output", "o", "")
	_ = cmd.Flags().MarkHidden("output")
	cmd.RunE = func(*cobra.Command, []string) error {
		c, err := flags.gather(nil)
		if err != nil {
			return err
		}
		if metadata != "" {
			m, err := config.LoadAwslabsMetadata(metadata)
			if err != nil {
				return usageError(err)
			}
			m.ApplyTo(c)
		}
		data, err := config.Starter(c)
		if err != nil {
			return usageError(err)
		}
		if out == "" {
			_, err := s.Out.Write(data)
			return err
		}
		return writeNew(s, out, data, force)
	}
	return cmd
}

// writeNew writes data to path, refusing to replace an existing file unless force.
func writeNew(s Streams, path string, data []byte, force bool) error {
	mode := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		mode = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, mode, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return usageError(fmt.Errorf("%q exists; use --force to overwrite it", path))
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
	fmt.Fprintf(s.Err, "wrote %s; review it, then run: kfaws plan --config %s\n", path, path)
	return nil
}

// refusedFlag is a flag that exists only to refuse a likely mistake with a message saying what to use instead.
type refusedFlag struct{ msg string }

func (r refusedFlag) String() string   { return "" }
func (r refusedFlag) Set(string) error { return errors.New(r.msg) }
func (r refusedFlag) Type() string     { return "string" }
