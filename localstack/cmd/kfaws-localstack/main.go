// Command kfaws-localstack runs the local AWS stack (moto, MariaDB and the
// proxy) with a seeded EKS cluster until interrupted, for the demo and for
// trying kfaws by hand. It prints the environment that points kfaws at the
// stack as `export` lines, or writes them to --env-file once ready.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

type options struct {
	cluster  string
	region   string
	rdsDelay time.Duration
	eksDelay time.Duration
	envFile  string
	verbose  bool
	// kube also starts a kube-apiserver set up as a cluster before Kubeflow (KUBEBUILDER_ASSETS).
	kube        bool
	podSecurity string
	profile     string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kfaws-localstack:", err)
		os.Exit(1)
	}
}

// run serves the stack until ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("kfaws-localstack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cluster, "cluster", "kfaws-demo", "name of the EKS cluster to seed")
	fs.StringVar(&o.region, "region", localstack.DefaultRegion, "AWS region of the cluster and of the exported AWS_REGION")
	fs.DurationVar(&o.rdsDelay, "rds-delay", 0, "emulated RDS creation delay (e.g. 30s)")
	fs.DurationVar(&o.eksDelay, "eks-delay", proxy.DefaultEKSDelay, "how long EKS add-ons stay CREATING, UPDATING or DELETING")
	fs.StringVar(&o.envFile, "env-file", "", "write the export lines to this file instead of stdout")
	fs.BoolVar(&o.verbose, "v", false, "log the proxy's data-plane changes and faults")
	fs.BoolVar(&o.kube, "kube", false, "also start a kube-apiserver with etcd (KUBEBUILDER_ASSETS) as a cluster before Kubeflow, and export KUBECONFIG")
	fs.StringVar(&o.podSecurity, "pod-security", "", "with --kube: the Pod Security level the kubeflow namespace enforces")
	fs.StringVar(&o.profile, "profile", "kubeflow-user-example-com", "with --kube: the profile namespaces to create, comma-separated (empty for none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	stack, err := localstack.Start(ctx, localstack.Options{RDSDelay: o.rdsDelay, Region: o.region, Logger: logger})
	if err != nil {
		return err
	}
	defer stack.Close()
	stack.SetEKSDelay(o.eksDelay) // not through Options, where 0 means the default: here it means none
	cl, err := stack.SeedCluster(ctx, o.cluster, o.region)
	if err != nil {
		return err
	}
	lines := envLines(stack, cl)
	if o.kube {
		dir, err := os.MkdirTemp("", "kfaws-localstack-kube-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		k, err := localstack.StartKube(ctx, localstack.KubeOptions{Dir: dir, PodSecurity: o.podSecurity, Profiles: profiles(o.profile)})
		if err != nil {
			return err
		}
		defer k.Close()
		lines = append(lines, exportLine("KUBECONFIG", k.Kubeconfig))
	}
	if err := writeEnv(o.envFile, stdout, lines); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "kfaws-localstack: ready: aws %s, mysql %s, cluster %q (vpc %s); Ctrl-C stops it\n",
		stack.Endpoint, stack.MySQLAddr, cl.Name, cl.VPCID)
	<-ctx.Done()
	fmt.Fprintln(stderr, "kfaws-localstack: stopping")
	return nil
}

// envLines are the export lines a shell sources to use the stack.
func envLines(s *localstack.Stack, cl *localstack.Cluster) []string {
	env := append(s.AWSEnv(),
		"KFAWS_LOCALSTACK_CLUSTER="+cl.Name,
		"KFAWS_LOCALSTACK_MYSQL_ADDR="+s.MySQLAddr,
	)
	lines := make([]string, len(env))
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		lines[i] = exportLine(k, v)
	}
	return lines
}

// exportLine is a POSIX shell line exporting k with v single-quoted.
func exportLine(k, v string) string {
	return "export " + k + "='" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// writeEnv prints lines, or writes them to path atomically so a script
// waiting for the file never reads half of it.
func writeEnv(path string, stdout io.Writer, lines []string) error {
	text := strings.Join(lines, "\n") + "\n"
	if path == "" {
		_, err := io.WriteString(stdout, text)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kfaws-localstack-env-")
	if err != nil {
		return fmt.Errorf("writing env file %q: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return fmt.Errorf("writing env file %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing env file %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing env file %q: %w", path, err)
	}
	return nil
}

// profiles splits the --profile list, dropping empty names.
func profiles(list string) []string {
	var out []string
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
