package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/localstack"
)

// up --manifests checks the cluster before it changes anything in AWS: against an apiserver without the
// cert-manager and Istio kinds Kubeflow needs, it stops with the pre-flight's findings, and no bucket, no state
// file, nothing else exists afterwards.
func TestUpWithManifestsPreflightsBeforeAWS(t *testing.T) {
	s := localstack.Shared(t)
	var env kubetest.Env
	defer env.Stop()
	kubeconfig := env.Kubeconfig(t)
	ctx := context.Background()
	cl, err := s.SeedCluster(ctx, fmt.Sprintf("pf%d", time.Now().UnixNano()%1e8), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := filepath.Abs("../render/testdata/trees/v1.10")
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Chdir(t.TempDir())
	bucket := cl.Name + "-artifacts"
	_, errOut, code := run(t, "up", "--cluster", cl.Name, "--bucket", bucket, "--db-master-username", "u"+cl.Name,
		"--manifests", tree, "--kubeconfig", kubeconfig, "--csi-driver", "manifests")
	if code == ExitOK {
		t.Fatalf("up succeeded on a cluster without cert-manager and Istio:\n%s", errOut)
	}
	for _, want := range []string{"checked the cluster before changing AWS", "nothing was changed", "install Istio first", `namespace "kubeflow" does not exist`} {
		if !strings.Contains(strings.ToLower(errOut), strings.ToLower(want)) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(".kfaws"); err == nil {
		t.Error("a refused up wrote a state file")
	}
	cfg, err := s.AWSConfig(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err == nil {
		t.Error("a refused up created the bucket")
	}
}
