package rendered

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/render"
)

var env kubetest.Env

func TestMain(m *testing.M) {
	code := m.Run()
	env.Stop()
	os.Exit(code)
}

func values(opt config.Option) render.Values {
	return render.Values{
		Option: opt, Credentials: config.CredentialsIRSA, Region: "us-west-2",
		DBHost: "kubeflow-db.abcdefghij.us-west-2.rds.amazonaws.com", DBPort: 3306,
		RDSSecretName: "rds-secret", SecretsRoleARN: "arn:aws:iam::123456789012:role/test-secrets-reader",
		Bucket: "test-artifacts", S3SecretName: "s3-secret",
		BackendRoleARN:   "arn:aws:iam::123456789012:role/test-kfp-backend",
		ProfileRoleARN:   "arn:aws:iam::123456789012:role/test-kfp-profile",
		ProfileNamespace: "kubeflow-user-example-com",
	}
}

// TestEachOptionAppliesReappliesAndRemoves renders the synthetic v1.10 tree
// of internal/render (real paths, kinds and names, fewer fields) for each
// option and, on one apiserver with the cert-manager, Istio and CSI driver
// CRDs present: applies it and waits for its workloads, re-applies with no
// resourceVersion moving, and removes it leaving nothing labelled.
func TestEachOptionAppliesReappliesAndRemoves(t *testing.T) {
	c := env.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prerequisites(t, c)
	actAsControllers(ctx, t, c)
	tree, err := filepath.Abs("../../render/testdata/trees/v1.10")
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range config.Options {
		t.Run(string(opt), func(t *testing.T) {
			res, err := (&render.Render{Manifests: tree, Values: values(opt)}).Run(ctx)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			data, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			objs, err := apply.Decode(bytes.NewReader(data), "render "+string(opt))
			if err != nil {
				t.Fatal(err)
			}
			completeWorkloads(objs)
			createNamespaces(t, c, objs)
			installation := "opt-" + string(opt)
			defer func() { // leave the apiserver clean for the next option even when this one fails
				_, _ = (&apply.Remover{Client: c, Installation: installation, Timeout: time.Minute}).Remove(ctx)
			}()
			if err := apply.Preflight(ctx, c, objs); err != nil {
				t.Fatalf("preflight: %v", err)
			}
			a := &apply.Applier{Client: c, Installation: installation, Wait: true, Timeout: 2 * time.Minute}
			out, err := a.Apply(ctx, objs)
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if out.Count(apply.Created) != len(objs) || out.Retries != 0 {
				t.Errorf("apply: %d of %d created, %d retries", out.Count(apply.Created), len(objs), out.Retries)
			}
			before := versions(t, c, installation)
			if out, err = a.Apply(ctx, objs); err != nil || out.Count(apply.Unchanged) != len(objs) {
				t.Errorf("re-apply: %v, %d of %d unchanged", err, out.Count(apply.Unchanged), len(objs))
			}
			for ref, rv := range versions(t, c, installation) {
				if before[ref] != rv {
					t.Errorf("re-apply moved %s from %s to %s", ref, before[ref], rv)
				}
			}
			if _, err := (&apply.Remover{Client: c, Installation: installation, Timeout: time.Minute}).Remove(ctx); err != nil {
				t.Fatalf("remove: %v", err)
			}
			if left := versions(t, c, installation); len(left) != 0 {
				t.Errorf("labelled after removal: %v", left)
			}
		})
	}
}

// completeWorkloads gives Deployments and StatefulSets of the synthetic tree
// the selector and pod labels it leaves out (it keeps only the fields render
// works on), which a real apiserver requires.
func completeWorkloads(objs []*unstructured.Unstructured) {
	for _, u := range objs {
		if u.GetKind() != "Deployment" && u.GetKind() != "StatefulSet" {
			continue
		}
		if _, found, _ := unstructured.NestedMap(u.Object, "spec", "selector"); found {
			continue
		}
		labels := map[string]any{"kfaws-test/app": u.GetName()}
		_ = unstructured.SetNestedMap(u.Object, labels, "spec", "selector", "matchLabels")
		_ = unstructured.SetNestedMap(u.Object, labels, "spec", "template", "metadata", "labels")
	}
}

func versions(t *testing.T, c *kube.Client, installation string) map[string]string {
	t.Helper()
	objs, err := apply.Labelled(context.Background(), c, installation)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range objs {
		out[f.Ref().String()] = f.Object().GetResourceVersion()
	}
	return out
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// prerequisites installs what a cluster has before KFP and Katib: the
// cert-manager and Istio CRDs (minimal stand-ins from internal/apply's
// testdata, and metacontroller's, which the real tree ships but the synthetic one
// lacks) and the Secrets Store CSI driver's CRDs, by another field manager.
func prerequisites(t *testing.T, c *kube.Client) {
	t.Helper()
	ctx := context.Background()
	var crds []*unstructured.Unstructured
	for _, f := range []string{"../testdata/cert-manager-crds.yaml", "../testdata/istio-crds.yaml", "../testdata/metacontroller-crds.yaml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := apply.Decode(bytes.NewReader(data), f)
		if err != nil {
			t.Fatal(err)
		}
		crds = append(crds, objs...)
	}
	csi, err := csidriver.Objects("")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range csi {
		if apply.StageOf(u) == apply.StageCRDs {
			u.SetLabels(nil)
			crds = append(crds, u)
		}
	}
	for _, u := range crds {
		if _, err := c.Dynamic.Resource(crdGVR).Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "cluster-setup"}); err != nil {
			t.Fatal(err)
		}
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, lists, err := c.Discovery.ServerGroupsAndResources()
		if err != nil {
			return false, nil
		}
		served := 0
		for _, l := range lists {
			for _, r := range l.APIResources {
				for _, u := range crds {
					plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
					group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
					if r.Name == plural && len(l.GroupVersion) > len(group) && l.GroupVersion[:len(group)] == group {
						served++
					}
				}
			}
		}
		return served >= len(crds), nil
	})
	if err != nil {
		t.Fatalf("prerequisite CRDs not served: %v", err)
	}
}

// createNamespaces creates the namespaces objects use without creating them
// (kubeflow, the profile's), as Kubeflow's common components do.
func createNamespaces(t *testing.T, c *kube.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range objs {
		if ns := u.GetNamespace(); ns != "" {
			_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
	}
}

// actAsControllers marks Deployments and StatefulSets ready, as their
// controllers and kubelets would once pods run, and lets go of deleted
// PersistentVolumeClaims no pod uses, as the pvc-protection controller does;
// this apiserver has none of them.
func actAsControllers(ctx context.Context, t *testing.T, c *kube.Client) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for ctx.Err() == nil {
			if list, err := cs.AppsV1().Deployments("").List(ctx, metav1.ListOptions{}); err == nil {
				for i := range list.Items {
					markDeployment(ctx, cs, &list.Items[i])
				}
			}
			if list, err := cs.AppsV1().StatefulSets("").List(ctx, metav1.ListOptions{}); err == nil {
				for i := range list.Items {
					s := &list.Items[i]
					if s.Status.ObservedGeneration == s.Generation && s.Status.ReadyReplicas > 0 {
						continue
					}
					n := replicas(s.Spec.Replicas)
					s.Status.ObservedGeneration = s.Generation
					s.Status.Replicas, s.Status.ReadyReplicas, s.Status.UpdatedReplicas, s.Status.AvailableReplicas = n, n, n, n
					_, _ = cs.AppsV1().StatefulSets(s.Namespace).UpdateStatus(ctx, s, metav1.UpdateOptions{})
				}
			}
			releasePVCs(ctx, cs)
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}

func releasePVCs(ctx context.Context, cs kubernetes.Interface) {
	list, err := cs.CoreV1().PersistentVolumeClaims("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for i := range list.Items {
		p := &list.Items[i]
		if p.DeletionTimestamp != nil && len(p.Finalizers) > 0 {
			p.Finalizers = nil
			_, _ = cs.CoreV1().PersistentVolumeClaims(p.Namespace).Update(ctx, p, metav1.UpdateOptions{})
		}
	}
}

func markDeployment(ctx context.Context, cs kubernetes.Interface, d *appsv1.Deployment) {
	if d.Status.ObservedGeneration == d.Generation && d.Status.AvailableReplicas > 0 {
		return
	}
	n := replicas(d.Spec.Replicas)
	d.Status.ObservedGeneration = d.Generation
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = n, n, n, n
	d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}
	_, _ = cs.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
