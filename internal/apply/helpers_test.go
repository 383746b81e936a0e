package apply

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
)

var env kubetest.Env

func TestMain(m *testing.M) { kubetest.Main(m, &env) }

var prereqOnce sync.Once

// cluster returns a client for the test apiserver with the cert-manager,
// Istio and metacontroller CRDs installed by another field manager, as on a
// real cluster.
func cluster(t *testing.T) *kube.Client {
	t.Helper()
	c := env.Client(t)
	prereqOnce.Do(func() { kubetest.InstallPrerequisites(t, c) })
	return c
}

// readObjects decodes a testdata file with SUFFIX replaced.
func readObjects(t *testing.T, path, suffix string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.ReplaceAll(data, []byte("SUFFIX"), []byte(suffix))
	objs, err := Decode(bytes.NewReader(data), path)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// actAsControllers stands in for the kube-controller-manager this test
// apiserver lacks, until ctx ends, on the installation's objects: it marks
// its Deployments available (what the deployment controller and kubelets
// would report once pods run) and finalizes its terminating namespaces once
// kfaws emptied them (what the namespace controller does).
func actAsControllers(ctx context.Context, t *testing.T, c *kube.Client, installation string) {
	t.Helper()
	kubetest.ActAsControllers(ctx, t, c, Selector(installation))
}

// resourceVersions maps every object labelled for installation to its
// resourceVersion.
func resourceVersions(t *testing.T, c *kube.Client, installation string) map[string]string {
	t.Helper()
	objs, err := Labelled(context.Background(), c, installation)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range objs {
		out[RefOf(f.obj).String()] = f.obj.GetResourceVersion()
	}
	return out
}

func newApplier(c *kube.Client, installation string, progress *syncBuffer) *Applier {
	return &Applier{Client: c, Installation: installation, Progress: progress, Timeout: 2 * time.Minute}
}

// syncBuffer is a goroutine-safe progress sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var runs = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

// fresh returns base the first time and base with a run number after that, so a test that asserts a first install
// still gets one when `go test -count=N` runs it again on the same apiserver.
func fresh(base string) string {
	runs.Lock()
	defer runs.Unlock()
	runs.n[base]++
	if runs.n[base] == 1 {
		return base
	}
	return fmt.Sprintf("%s%d", base, runs.n[base])
}
