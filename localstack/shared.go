package localstack

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kfaws/kfaws/localstack/proxy"
)

// shared is the one stack of a test binary. It is package state on purpose:
// starting moto and MariaDB takes seconds, so every test of a package shares
// them, and TestMain stops them when the binary exits.
var shared struct {
	once  sync.Once
	stack *Stack
	err   error
}

// Shared returns the test binary's stack, starting it on first use. With
// `go test -short` it skips the test; otherwise a stack that cannot start
// (moto or MariaDB missing) fails the test with an install hint. When the
// test ends, its injected faults are cleared, call recording stops, the RDS delay is reset to 0,
// the EKS delay to proxy.DefaultEKSDelay and the EKS add-on catalogue to the
// built-in one. Tests that inject faults or change a delay or the catalogue
// must not run in parallel with other tests of their binary that depend on those.
// Call TestMain from the package's TestMain so the stack stops at exit.
func Shared(t testing.TB) *Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test on the local stack (moto, MariaDB); run without -short")
	}
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.stack, shared.err = Start(ctx, Options{})
	})
	if shared.err != nil {
		t.Fatalf("starting the local stack: %v (hack/test.sh installs what is missing)", shared.err)
	}
	s := shared.stack
	t.Cleanup(func() {
		s.ClearFaults()
		_ = s.RecordCalls()
		s.SetRDSDelay(0)
		s.SetEKSDelay(proxy.DefaultEKSDelay)
		if err := s.SetEKSAddonCatalog(proxy.BuiltinAddonCatalog()); err != nil {
			t.Errorf("restoring the built-in EKS add-on catalogue: %v", err)
		}
	})
	return s
}

// TestMain runs the package's tests and stops the shared stack, if one was
// started, before the process exits. Use it as:
//
//	func TestMain(m *testing.M) { localstack.TestMain(m) }
func TestMain(m *testing.M) {
	code := m.Run()
	StopShared()
	os.Exit(code)
}

// StopShared stops the shared stack, if one was started. A TestMain that has other servers to stop too (a
// kube-apiserver) calls it after m.Run instead of using TestMain.
func StopShared() {
	if shared.stack != nil {
		shared.stack.Close()
	}
}
