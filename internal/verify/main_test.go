package verify_test

import (
	"os"
	"testing"

	"github.com/kfaws/kfaws/localstack"
)

// TestMain stops what the tests started: the kube-apiserver of the cluster checks and the local AWS stack of
// the S3 checks.
func TestMain(m *testing.M) {
	code := m.Run()
	env.Stop()
	localstack.StopShared()
	os.Exit(code)
}
