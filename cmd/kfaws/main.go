// Command kfaws deploys Kubeflow Pipelines and Katib on Amazon EKS with their data in RDS for MySQL and S3.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kfaws/kfaws/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
