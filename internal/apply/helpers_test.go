package apply

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
)

var env kubetest.Env

func TestMain(m *testing.M) {
	code := m.Run()
	env.Stop()
	os.Exit(code)
}

var prereqOnce sync.Once

// cluster returns a client for the test apiserver with the cert-manager and
// Istio CRDs installed by another field manager, as on a real cluster.
func cluster(t *testing.T) *kube.Client {
	t.Helper()
	c := env.Client(t)
	prereqOnce.Do(func() {
		var crds []*unstructured.Unstructured
		for _, f := range []string{"testdata/cert-manager-crds.yaml", "testdata/istio-crds.yaml"} {
			crds = append(crds, readObjects(t, f, "")...)
		}
		for _, u := range crds {
			ri, err := resourceFor(c, u.GroupVersionKind(), "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ri.Apply(context.Background(), u.GetName(), u, metav1.ApplyOptions{FieldManager: "cluster-setup"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := waitEstablishedAny(c, crds); err != nil {
			t.Fatal(err)
		}
	})
	return c
}

// waitEstablishedAny polls CRDs applied without kfaws's labels (so the
// label-selected watch of waitEstablished does not see them).
func waitEstablishedAny(c *kube.Client, crds []*unstructured.Unstructured) error {
	return wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true,
		func(ctx context.Context) (bool, error) {
			for _, u := range crds {
				got, err := c.Dynamic.Resource(crdGVR).Get(ctx, u.GetName(), metav1.GetOptions{})
				if err != nil {
					return false, err
				}
				if ok, _ := crdEstablished(got); !ok {
					return false, nil
				}
			}
			return true, nil
		})
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
// apiserver lacks, until ctx ends: it marks every Deployment of the
// installation available (what the deployment controller and kubelets would
// report once pods run) and finalizes terminating namespaces that are empty
// of kfaws's objects (what the namespace controller does).
func actAsControllers(ctx context.Context, t *testing.T, c *kube.Client, installation string) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for ctx.Err() == nil {
			markDeploymentsAvailable(ctx, cs, installation)
			finalizeNamespaces(ctx, cs, installation)
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}

func markDeploymentsAvailable(ctx context.Context, cs kubernetes.Interface, installation string) {
	list, err := cs.AppsV1().Deployments("").List(ctx, metav1.ListOptions{LabelSelector: Selector(installation)})
	if err != nil {
		return
	}
	for i := range list.Items {
		d := &list.Items[i]
		if d.Status.ObservedGeneration == d.Generation && d.Status.AvailableReplicas > 0 {
			continue
		}
		n := int32(1)
		if d.Spec.Replicas != nil {
			n = *d.Spec.Replicas
		}
		d.Status.ObservedGeneration = d.Generation
		d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = n, n, n, n
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: "Available", Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}}
		_, _ = cs.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	}
}

func finalizeNamespaces(ctx context.Context, cs kubernetes.Interface, installation string) {
	list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: Selector(installation)})
	if err != nil {
		return
	}
	for i := range list.Items {
		ns := &list.Items[i]
		if ns.DeletionTimestamp == nil || len(ns.Spec.Finalizers) == 0 {
			continue
		}
		ns.Spec.Finalizers = nil
		_, err := cs.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return
		}
	}
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
