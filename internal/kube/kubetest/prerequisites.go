package kubetest

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/ownership"
)

// The stand-ins are embedded so that tests of any package, and benchmarks run from the repository root, find them.
//
//go:embed testdata/cert-manager-crds.yaml testdata/istio-crds.yaml testdata/metacontroller-crds.yaml
var crdFiles embed.FS

// CRDGVR is the resource of CustomResourceDefinitions.
var CRDGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// PrerequisiteCRDs returns minimal stand-ins for the CRDs a cluster has before KFP and Katib are installed:
// cert-manager's and Istio's, which Kubeflow's manifests use but do not ship, and metacontroller's, which the
// real manifests ship but internal/render's synthetic trees leave out.
func PrerequisiteCRDs() ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, name := range []string{"cert-manager", "istio", "metacontroller"} {
		path := "testdata/" + name + "-crds.yaml"
		data, err := crdFiles.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading %q: %w", path, err)
		}
		objs, err := decode(data)
		if err != nil {
			return nil, fmt.Errorf("decoding %q: %w", path, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

func decode(data []byte) ([]*unstructured.Unstructured, error) {
	d := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var obj map[string]any
		if err := d.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(obj) > 0 {
			out = append(out, &unstructured.Unstructured{Object: obj})
		}
	}
}

// InstallPrerequisites applies PrerequisiteCRDs and extra CRDs with another field manager than kfaws's and
// without kfaws's labels, as on a real cluster where someone else installed them, and waits until the apiserver
// serves every one of their versions.
func InstallPrerequisites(tb testing.TB, c *kube.Client, extra ...*unstructured.Unstructured) {
	tb.Helper()
	ctx := context.Background()
	crds, err := PrerequisiteCRDs()
	if err != nil {
		tb.Fatal(err)
	}
	crds = append(crds, extra...)
	for _, u := range crds {
		if _, err := c.Dynamic.Resource(CRDGVR).Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "cluster-setup"}); err != nil {
			tb.Fatalf("applying CRD %q: %v", u.GetName(), err)
		}
	}
	if err := waitServed(ctx, c, crds); err != nil {
		tb.Fatalf("prerequisite CRDs not served: %v", err)
	}
	c.Mapper.Reset()
}

// waitServed polls discovery until every served version of every CRD lists the CRD's plural: established alone
// does not mean a client's discovery sees the kind yet.
func waitServed(ctx context.Context, c *kube.Client, crds []*unstructured.Unstructured) error {
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, u := range crds {
			group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
			plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
			versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
			for _, v := range versions {
				m, _ := v.(map[string]any)
				if served, _ := m["served"].(bool); !served {
					continue
				}
				name, _ := m["name"].(string)
				list, err := c.Discovery.ServerResourcesForGroupVersion(group + "/" + name)
				if err != nil {
					return false, nil
				}
				if !lists(list.APIResources, plural) {
					return false, nil
				}
			}
		}
		return true, nil
	})
}

func lists(rs []metav1.APIResource, plural string) bool {
	for _, r := range rs {
		if r.Name == plural {
			return true
		}
	}
	return false
}

// CreateNamespaces creates the namespaces objs are in, unlabelled, as Kubeflow's common components do before KFP
// and Katib are installed (the manifests use the kubeflow and profile namespaces without creating them); a
// namespace holding a patch of another controller's object becomes a profile (CreateProfile).
func CreateNamespaces(tb testing.TB, c *kube.Client, objs []*unstructured.Unstructured) {
	tb.Helper()
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		tb.Fatal(err)
	}
	for _, u := range objs {
		ns := u.GetNamespace()
		switch _, patch := u.GetAnnotations()[ownership.PatchAnnotation]; {
		case ns != "" && patch:
			CreateProfile(context.Background(), tb, cs, ns)
		case ns != "":
			EnsureNamespace(context.Background(), tb, cs, ns)
		}
	}
}

// CreateProfile does what Kubeflow's profile controller does for a new Profile, as far as kfaws relies on it:
// the namespace, labelled for KFP, and its default-editor and default-viewer ServiceAccounts. Existing ones stay.
func CreateProfile(ctx context.Context, tb testing.TB, cs kubernetes.Interface, name string) {
	tb.Helper()
	EnsureNamespace(ctx, tb, cs, name)
	ns, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels["pipelines.kubeflow.org/enabled"] = "true"
	ns.Labels["app.kubernetes.io/part-of"] = "kubeflow-profile"
	if _, err := cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{FieldManager: "profile-controller"}); err != nil {
		tb.Fatalf("labelling profile namespace %q: %v", name, err)
	}
	for _, sa := range []string{"default-editor", "default-viewer"} {
		_, err := cs.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}},
			metav1.CreateOptions{FieldManager: "profile-controller"})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			tb.Fatalf("creating ServiceAccount %s/%s: %v", name, sa, err)
		}
	}
}

// EnsureNamespace creates namespace name unless it exists.
func EnsureNamespace(ctx context.Context, tb testing.TB, cs kubernetes.Interface, name string) {
	tb.Helper()
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		tb.Fatalf("creating namespace %q: %v", name, err)
	}
}
