// Package kubetest gives integration tests one real kube-apiserver and etcd
// per test binary, started by controller-runtime's envtest from the binaries
// in $KUBEBUILDER_ASSETS (hack/kube-apiserver.sh builds and caches them).
// There is no kubelet or controller-manager: tests that need a Deployment to
// be ready, or a namespace to finish terminating, do that part themselves.
package kubetest

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kfaws/kfaws/internal/kube"
)

// Hint tells a developer how to provide the test apiserver.
const Hint = "KUBEBUILDER_ASSETS is unset: this test needs a real kube-apiserver and etcd; run " +
	"`export KUBEBUILDER_ASSETS=\"$(hack/kube-apiserver.sh)\"` (builds and caches them) or `go test -short` to skip it"

// Env is one lazily started test apiserver shared by a test binary.
type Env struct {
	once sync.Once
	env  *envtest.Environment
	cfg  *rest.Config
	err  error
}

// Config returns the apiserver's admin REST config, starting it on first use.
// Without KUBEBUILDER_ASSETS the test is skipped under -short and fails with
// Hint otherwise.
func (e *Env) Config(tb testing.TB) *rest.Config {
	tb.Helper()
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		if testing.Short() {
			tb.Skip("skipped under -short: " + Hint)
		}
		tb.Fatal(Hint)
	}
	e.once.Do(func() {
		e.env = &envtest.Environment{}
		e.cfg, e.err = e.env.Start()
		if e.err != nil {
			e.err = fmt.Errorf("starting kube-apiserver and etcd from %q: %w", os.Getenv("KUBEBUILDER_ASSETS"), e.err)
		}
	})
	if e.err != nil {
		tb.Fatal(e.err)
	}
	return e.cfg
}

// Client returns a kube.Client for the test apiserver.
func (e *Env) Client(tb testing.TB) *kube.Client {
	tb.Helper()
	c, err := kube.New(e.Config(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Stop stops the apiserver if it was started; call it from TestMain after
// m.Run.
func (e *Env) Stop() {
	if e.env != nil && e.cfg != nil {
		_ = e.env.Stop()
	}
}
