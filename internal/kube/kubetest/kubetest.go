// Package kubetest gives integration tests one real kube-apiserver and etcd
// per test binary, started by controller-runtime's envtest from the binaries
// in $KUBEBUILDER_ASSETS (hack/kube-apiserver.sh builds and caches them).
// There is no kubelet or controller-manager: tests that need a Deployment to
// be ready, or a namespace to finish terminating, have ActAsControllers do
// that part. InstallPrerequisites and CreateNamespaces give the apiserver what
// a cluster has before Kubeflow is installed.
package kubetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

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

// UserClient returns a client for a new user of the test apiserver with no
// rights beyond what every authenticated user has, for permission tests.
func (e *Env) UserClient(tb testing.TB, name string) *kube.Client {
	tb.Helper()
	cfg := e.Config(tb)
	u, err := e.env.AddUser(envtest.User{Name: name}, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := kube.New(u.Config())
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Kubeconfig writes a kubeconfig for a cluster-admin user of the test
// apiserver into a temporary directory and returns its path, for code that
// loads clients the way kubectl does.
func (e *Env) Kubeconfig(tb testing.TB) string {
	tb.Helper()
	cfg := e.Config(tb)
	u, err := e.env.AddUser(envtest.User{Name: "kubeconfig-admin", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := u.KubeConfig()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// FinalizeNamespaces does the namespace controller's last step, which this
// test apiserver lacks: it clears the finalizers of terminating namespaces
// until ctx ends. Callers delete the namespaces' contents themselves.
func (e *Env) FinalizeNamespaces(ctx context.Context, tb testing.TB) {
	tb.Helper()
	cs, err := kubernetes.NewForConfig(e.Config(tb))
	if err != nil {
		tb.Fatal(err)
	}
	go func() {
		for ctx.Err() == nil {
			finalizeNamespaces(ctx, cs, metav1.ListOptions{})
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}

// Main runs a test binary's tests and stops e's apiserver if they started it:
//
//	var env kubetest.Env
//
//	func TestMain(m *testing.M) { kubetest.Main(m, &env) }
func Main(m *testing.M, e *Env) {
	code := m.Run()
	e.Stop()
	os.Exit(code)
}
