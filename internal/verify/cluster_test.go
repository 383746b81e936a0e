package verify_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/verify"
)

var env kubetest.Env

func TestMain(m *testing.M) {
	code := m.Run()
	env.Stop()
	os.Exit(code)
}

// TestClusterChecks builds, on a real apiserver, what `kfaws apply` leaves for option rds-s3 with static keys,
// checks it passes, then breaks one thing at a time.
func TestClusterChecks(t *testing.T) {
	ctx := context.Background()
	k := env.Client(t)
	cs := kubernetes.NewForConfigOrDie(k.Config)
	installCSI(ctx, t, k)
	installWiring(ctx, t, k, cs)
	in := verify.ClusterInput{Kube: k, Option: config.OptionRDSS3, Static: true, RDSSecretName: "rds-secret", S3SecretName: "s3-secret"}
	run := func() *verify.Report {
		r := &verify.Report{}
		verify.CheckCluster(ctx, r, in)
		return r
	}

	r := run()
	if r.Failed() || r.Count(verify.OK) != len(r.Checks) {
		t.Fatalf("healthy cluster did not pass:\n%s", text(r))
	}
	for _, name := range []string{"csi driver", "secret provider class rds-secret", "secret provider class s3-secret",
		"synced secret mysql-secret", "synced secret mlpipeline-minio-artifact", "deployment ml-pipeline",
		"deployment cache-server", "deployment metadata-grpc-deployment", "deployment katib-db-manager",
		"in-cluster storage removed"} {
		if _, ok := r.Find(name); !ok {
			t.Errorf("no check %q", name)
		}
	}

	t.Run("missing synced secret", func(t *testing.T) {
		must(t, cs.CoreV1().Secrets("kubeflow").Delete(ctx, "mysql-secret", metav1.DeleteOptions{}))
		defer createSecret(ctx, t, cs, "mysql-secret", "username", "password", "host", "port", "database")
		want(t, run(), "synced secret mysql-secret", "Secret \"mysql-secret\" is missing")
	})
	t.Run("leftover in-cluster mysql", func(t *testing.T) {
		createDeployment(ctx, t, cs, "mysql")
		defer func() { must(t, cs.AppsV1().Deployments("kubeflow").Delete(ctx, "mysql", metav1.DeleteOptions{})) }()
		want(t, run(), "in-cluster storage removed", "Deployment \"mysql\"")
	})
	t.Run("deployment not wired", func(t *testing.T) {
		must(t, cs.AppsV1().Deployments("kubeflow").Delete(ctx, "cache-server", metav1.DeleteOptions{}))
		createDeployment(ctx, t, cs, "cache-server")
		want(t, run(), "deployment cache-server", "does not read Secret mysql-secret")
	})
	t.Run("provider class names another secret", func(t *testing.T) {
		other := in
		other.RDSSecretName = "someone-elses-secret"
		r := &verify.Report{}
		verify.CheckCluster(ctx, r, other)
		want(t, r, "secret provider class rds-secret", "does not read Secrets Manager secret \"someone-elses-secret\"")
	})
}

func want(t *testing.T, r *verify.Report, name, detail string) {
	t.Helper()
	c, ok := r.Find(name)
	if !ok || c.Status != verify.Fail || !strings.Contains(c.Detail, detail) || c.Action == "" {
		t.Fatalf("check %q: got %+v, want a failure containing %q\n%s", name, c, detail, text(r))
	}
}

func text(r *verify.Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString("  " + c.Name + ": " + string(c.Status) + ": " + c.Detail + "\n")
	}
	return b.String()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// installCSI creates the driver's objects as kfaws's manifests path does (CRDs first, until established).
func installCSI(ctx context.Context, t *testing.T, k *kube.Client) {
	objs, err := csidriver.Objects("")
	if err != nil {
		t.Fatal(err)
	}
	for _, crdFirst := range []bool{true, false} {
		for _, o := range objs {
			if (o.GetKind() == "CustomResourceDefinition") != crdFirst {
				continue
			}
			create(ctx, t, k, o)
		}
		k.Mapper.Reset()
	}
}

func create(ctx context.Context, t *testing.T, k *kube.Client, o *unstructured.Unstructured) {
	t.Helper()
	gvk := o.GroupVersionKind()
	var m *metaMapping
	deadline := time.Now().Add(30 * time.Second)
	for {
		mapping, err := k.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil {
			m = &metaMapping{mapping.Resource, mapping.Scope.Name() == "namespace"}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mapping for %s: %v", gvk, err)
		}
		k.Mapper.Reset()
		time.Sleep(200 * time.Millisecond)
	}
	ri := k.Dynamic.Resource(m.gvr)
	var err error
	if m.namespaced {
		ensureNamespace(ctx, t, k, o.GetNamespace())
		_, err = ri.Namespace(o.GetNamespace()).Create(ctx, o, metav1.CreateOptions{})
	} else {
		_, err = ri.Create(ctx, o, metav1.CreateOptions{})
	}
	must(t, err)
}

type metaMapping struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}

func ensureNamespace(ctx context.Context, t *testing.T, k *kube.Client, ns string) {
	cs := kubernetes.NewForConfigOrDie(k.Config)
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	must(t, err)
}

// installWiring creates what the rendered overlay and the CSI driver's syncing leave in kubeflow.
func installWiring(ctx context.Context, t *testing.T, k *kube.Client, cs kubernetes.Interface) {
	ensureNamespace(ctx, t, k, "kubeflow")
	for _, spc := range []struct {
		name, sm, target string
		keys             []string
	}{
		{"rds-secret", "rds-secret", "mysql-secret", []string{"username", "password", "host", "database", "port"}},
		{"s3-secret", "s3-secret", "mlpipeline-minio-artifact", []string{"accesskey", "secretkey"}},
	} {
		var data []any
		for _, key := range spc.keys {
			data = append(data, map[string]any{"objectName": key, "key": key})
		}
		create(ctx, t, k, &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
			"metadata": map[string]any{"name": spc.name, "namespace": "kubeflow"},
			"spec": map[string]any{"provider": "aws",
				"parameters":    map[string]any{"region": "us-west-2", "objects": "- objectName: " + spc.sm + "\n  objectType: secretsmanager\n"},
				"secretObjects": []any{map[string]any{"secretName": spc.target, "type": "Opaque", "data": data}}},
		}})
		createSecret(ctx, t, cs, spc.target, spc.keys...)
	}
	createDeployment(ctx, t, cs, "ml-pipeline", "mysql-secret", "mlpipeline-minio-artifact")
	for _, d := range []string{"cache-server", "metadata-grpc-deployment", "katib-db-manager"} {
		createDeployment(ctx, t, cs, d, "mysql-secret")
	}
}

func createSecret(ctx context.Context, t *testing.T, cs kubernetes.Interface, name string, keys ...string) {
	data := map[string][]byte{}
	for _, k := range keys {
		data[k] = []byte("x")
	}
	_, err := cs.CoreV1().Secrets("kubeflow").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}, metav1.CreateOptions{})
	must(t, err)
}

func createDeployment(ctx context.Context, t *testing.T, cs kubernetes.Interface, name string, secrets ...string) {
	var env []corev1.EnvVar
	for _, s := range secrets {
		env = append(env, corev1.EnvVar{Name: "FROM_" + strings.ReplaceAll(s, "-", "_"), ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: s}, Key: "k"}}})
	}
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "main", Image: "example.invalid/x:1", Env: env}}}}}}
	_, err := cs.AppsV1().Deployments("kubeflow").Create(ctx, d, metav1.CreateOptions{})
	must(t, err)
}
