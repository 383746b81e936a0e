// Command apply measures kfaws's staged server-side apply against the
// reference guide's `kustomize build | kubectl apply -f -` retry loop, on one
// real kube-apiserver and etcd (envtest, from $KUBEBUILDER_ASSETS; see
// hack/kube-apiserver.sh), in one run.
//
// The object set is either KFP + Katib rendered by internal/render from a
// Kubeflow manifests checkout (-manifests DIR, rds-s3 with IRSA), or, without
// one, a generated set of the same shape and a larger size (-generated-*
// flags). The cert-manager, Istio and Secrets Store CSI CRDs, and the
// namespaces the objects use but do not create, are present beforehand, as on
// a real cluster. Nothing runs pods here, so "converged" means every object
// applied and every CRD established; Deployment readiness is not waited for by
// either side.
//
// Order: kfaws apply (fresh apiserver), kfaws re-apply (no-op), kfaws removal,
// then the kubectl loop on the emptied apiserver. The loop sleeps -sleep
// between attempts instead of the guide's 30 s; the output also projects the
// loop's time with 30 s sleeps.
//
//	KUBEBUILDER_ASSETS="$(hack/kube-apiserver.sh)" go run ./bench/apply [-manifests DIR]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/kube"
)

type options struct {
	manifests  string
	sleep      time.Duration
	namespaces int
	crds       int
	kubectl    string
	timeout    time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.manifests, "manifests", "", "Kubeflow manifests checkout to render KFP+Katib from (default: a generated set)")
	flag.DurationVar(&o.sleep, "sleep", time.Second, "sleep between kubectl attempts (the guide uses 30s)")
	flag.IntVar(&o.namespaces, "generated-namespaces", 4, "generated set: namespaces, each with 44 objects")
	flag.IntVar(&o.crds, "generated-crds", 40, "generated set: CRDs, each with one custom resource")
	flag.StringVar(&o.kubectl, "kubectl", "kubectl", "kubectl binary for the baseline")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound for each side")
	flag.Parse()
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/apply:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return errors.New("KUBEBUILDER_ASSETS is unset; run: export KUBEBUILDER_ASSETS=\"$(hack/kube-apiserver.sh)\"")
	}
	if _, err := exec.LookPath(o.kubectl); err != nil {
		return fmt.Errorf("the baseline needs kubectl: %w", err)
	}
	objs, source, err := objectSet(ctx, o)
	if err != nil {
		return err
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("starting kube-apiserver: %w", err)
	}
	defer func() { _ = env.Stop() }()
	kubeconfig, err := writeKubeconfig(env, cfg)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(kubeconfig))
	c, err := kube.New(cfg)
	if err != nil {
		return err
	}
	if err := prerequisites(ctx, c, objs); err != nil {
		return fmt.Errorf("installing prerequisites: %w", err)
	}
	crds := 0
	for _, u := range objs {
		if apply.StageOf(u) == apply.StageCRDs {
			crds++
		}
	}
	fmt.Fprintf(out, "object set: %s: %d objects, %d CRDs\n", source, len(objs), crds)

	k, err := measureKfaws(ctx, c, objs, o.timeout)
	if err != nil {
		return err
	}
	var yamlDoc bytes.Buffer
	if err := writeYAML(&yamlDoc, objs); err != nil {
		return err
	}
	b, err := measureKubectl(ctx, o, kubeconfig, yamlDoc.Bytes())
	if err != nil {
		return err
	}
	report(out, o, k, b)
	return nil
}

func writeKubeconfig(env *envtest.Environment, cfg *rest.Config) (string, error) {
	user, err := env.AddUser(envtest.User{Name: "bench-admin", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		return "", fmt.Errorf("adding a kubectl user: %w", err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "kfaws-bench-apply-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubeconfig")
	return path, os.WriteFile(path, data, 0o600)
}

func report(out io.Writer, o options, k kfawsRun, b kubectlRun) {
	fmt.Fprintf(out, "kfaws apply (staged SSA, CRDs established): %v, %d retries\n", k.apply.Round(time.Millisecond), k.retries)
	fmt.Fprintf(out, "kfaws re-apply (no change, %d of %d unchanged): %v\n", k.unchanged, k.objects, k.reapply.Round(time.Millisecond))
	fmt.Fprintf(out, "kfaws removal (everything labelled, CRDs and namespaces too): %v\n", k.remove.Round(time.Millisecond))
	fmt.Fprintf(out, "kubectl apply loop, sleep %v: %v, %d attempts (%d retries), kubectl itself %v\n",
		o.sleep, b.total.Round(time.Millisecond), b.attempts, b.attempts-1, b.kubectl.Round(time.Millisecond))
	if b.firstError != "" {
		fmt.Fprintf(out, "kubectl's first failure: %s\n", b.firstError)
	}
	projected := b.kubectl + time.Duration(b.attempts-1)*30*time.Second
	fmt.Fprintf(out, "kubectl apply loop projected with the guide's 30s sleep: %v\n", projected.Round(time.Millisecond))
	fmt.Fprintf(out, "ratio kubectl loop / kfaws: %.1fx (sleep %v), %.1fx (sleep 30s)\n",
		b.total.Seconds()/k.apply.Seconds(), o.sleep, projected.Seconds()/k.apply.Seconds())
}
