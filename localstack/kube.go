package localstack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kfaws/kfaws/internal/kube/kubetest"
)

// Kube is a real kube-apiserver with etcd (envtest's binaries in KUBEBUILDER_ASSETS, which
// hack/kube-apiserver.sh builds) set up as an EKS cluster is before Kubeflow: cert-manager's, Istio's and
// metacontroller's kinds served (stand-ins), the kubeflow namespace with the Pod Security label the release
// gives it, and one profile namespace with the service accounts Kubeflow's profile controller creates. Nothing
// runs pods here: workloads are admitted and stored, never started.
type Kube struct {
	// Kubeconfig is a file with a cluster-admin context for the apiserver.
	Kubeconfig string
	env        *envtest.Environment
}

// KubeOptions set up StartKube.
type KubeOptions struct {
	// Dir holds the kubeconfig file.
	Dir string
	// PodSecurity is the level the kubeflow namespace enforces ("" for none, as up to v1.9).
	PodSecurity string
	// Profiles are the profile namespaces to create.
	Profiles []string
}

// StartKube starts the apiserver and sets it up.
func StartKube(ctx context.Context, o KubeOptions) (*Kube, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is unset; export KUBEBUILDER_ASSETS=\"$(hack/kube-apiserver.sh)\"")
	}
	env := &envtest.Environment{}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %q: %w", os.Getenv("KUBEBUILDER_ASSETS"), err)
	}
	k := &Kube{env: env}
	fail := func(err error) (*Kube, error) {
		k.Close()
		return nil, err
	}
	user, err := env.AddUser(envtest.User{Name: "kfaws-demo", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		return fail(err)
	}
	data, err := user.KubeConfig()
	if err != nil {
		return fail(err)
	}
	k.Kubeconfig = filepath.Join(o.Dir, "kubeconfig")
	if err := os.WriteFile(k.Kubeconfig, data, 0o600); err != nil {
		return fail(err)
	}
	dyn := dynamic.NewForConfigOrDie(cfg)
	crds, err := kubetest.PrerequisiteCRDs()
	if err != nil {
		return fail(err)
	}
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	for _, u := range crds {
		if _, err := dyn.Resource(gvr).Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "cluster-setup"}); err != nil {
			return fail(fmt.Errorf("applying CRD %q: %w", u.GetName(), err))
		}
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	labels := map[string]string{}
	if o.PodSecurity != "" {
		labels[kubetest.EnforceLabel] = o.PodSecurity
	}
	if err := createNamespace(ctx, cs, "kubeflow", labels); err != nil {
		return fail(err)
	}
	for _, profile := range o.Profiles {
		plabels := map[string]string{"pipelines.kubeflow.org/enabled": "true", "app.kubernetes.io/part-of": "kubeflow-profile"}
		if o.PodSecurity != "" {
			plabels[kubetest.EnforceLabel] = "baseline"
		}
		if err := createNamespace(ctx, cs, profile, plabels); err != nil {
			return fail(err)
		}
		for _, sa := range []string{"default-editor", "default-viewer"} {
			_, err := cs.CoreV1().ServiceAccounts(profile).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}},
				metav1.CreateOptions{FieldManager: "profile-controller"})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return fail(err)
			}
		}
	}
	// The CRDs are served once discovery lists them.
	if err := waitDiscovery(ctx, cs, crds); err != nil {
		return fail(err)
	}
	return k, nil
}

// Close stops the apiserver and etcd.
func (k *Kube) Close() {
	if k.env != nil {
		_ = k.env.Stop()
	}
}

func createNamespace(ctx context.Context, cs kubernetes.Interface, name string, labels map[string]string) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}},
		metav1.CreateOptions{FieldManager: "cluster-setup"})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %q: %w", name, err)
	}
	return nil
}

// waitDiscovery waits until discovery lists every CRD's plural in its group and first served version.
func waitDiscovery(ctx context.Context, cs kubernetes.Interface, crds []*unstructured.Unstructured) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		missing := ""
		for _, u := range crds {
			group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
			plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
			versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
			if len(versions) == 0 {
				continue
			}
			v, _ := versions[0].(map[string]any)["name"].(string)
			l, err := cs.Discovery().ServerResourcesForGroupVersion(group + "/" + v)
			found := false
			if err == nil {
				for _, r := range l.APIResources {
					found = found || r.Name == plural
				}
			}
			if !found {
				missing = plural + "." + group
				break
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the apiserver does not serve %s", missing)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
