// Package verifytest builds, on a test apiserver, the Kubernetes objects a healthy kfaws installation leaves in
// the cluster (the CSI driver, the SecretProviderClasses, the Secrets the driver syncs, the Deployments that read
// them, pipeline-install-config), so verify's tests can start from a passing cluster and break one thing.
package verifytest

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// Wiring names what the rendered overlay points at.
type Wiring struct {
	// RDSSecret and S3Secret are the Secrets Manager secrets; S3Secret empty means IRSA (no s3-secret class).
	RDSSecret, S3Secret string
	// PipelineDB, CacheDB and MetadataDB go into pipeline-install-config when set.
	PipelineDB, CacheDB, MetadataDB string
	// SecretsRoleARN annotates kubeflow-secrets-manager-sa; BackendRoleARN, when set, ml-pipeline and
	// ml-pipeline-ui (IRSA).
	SecretsRoleARN, BackendRoleARN string
	// Profile, when set, is a profile namespace wired as kfaws's profile hook wires it: kfp-launcher on Bucket,
	// the synced keys when S3Secret is set, and ProfileRoleARN on its default-editor.
	Profile, Bucket, ProfileRoleARN string
}

// ProfileNamespace is the profile the fixtures use.
const ProfileNamespace = kubeflow.DefaultProfile

// Install creates the CSI driver's objects and the wiring w.
func Install(ctx context.Context, tb testing.TB, k *kube.Client, w Wiring) {
	tb.Helper()
	InstallCSI(ctx, tb, k)
	cs := kubernetes.NewForConfigOrDie(k.Config)
	kubetest.EnsureNamespace(ctx, tb, cs, kubeflow.Namespace)
	providerClass(ctx, tb, k, "rds-secret", w.RDSSecret, "mysql-secret", "username", "password", "host", "database", "port")
	CreateSecret(ctx, tb, cs, "mysql-secret", "username", "password", "host", "port", "database")
	apiSecrets := []string{"mysql-secret"}
	if w.S3Secret != "" {
		providerClass(ctx, tb, k, "s3-secret", w.S3Secret, "mlpipeline-minio-artifact", "accesskey", "secretkey")
		CreateSecret(ctx, tb, cs, "mlpipeline-minio-artifact", "accesskey", "secretkey")
		apiSecrets = append(apiSecrets, "mlpipeline-minio-artifact")
	}
	serviceAccount(ctx, tb, cs, "kubeflow-secrets-manager-sa", w.SecretsRoleARN)
	if w.BackendRoleARN != "" {
		serviceAccount(ctx, tb, cs, "ml-pipeline", w.BackendRoleARN)
		serviceAccount(ctx, tb, cs, "ml-pipeline-ui", w.BackendRoleARN)
	}
	CreateDeployment(ctx, tb, cs, "ml-pipeline", apiSecrets...)
	for _, d := range []string{"cache-server", "metadata-grpc-deployment", "katib-db-manager"} {
		CreateDeployment(ctx, tb, cs, d, "mysql-secret")
	}
	data := map[string]string{}
	for key, v := range map[string]string{"pipelineDb": w.PipelineDB, "cacheDb": w.CacheDB, "mlmdDb": w.MetadataDB} {
		if v != "" {
			data[key] = v
		}
	}
	_, err := cs.CoreV1().ConfigMaps(kubeflow.Namespace).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "pipeline-install-config"}, Data: data}, metav1.CreateOptions{})
	must(tb, err)
	if w.Profile != "" {
		WireProfile(ctx, tb, cs, w)
	}
}

// WireProfile creates w.Profile as Kubeflow's profile controller does and gives it what kfaws's profile hook
// attaches (kfp-launcher, and the keys in static mode) and what kfaws apply patches (the role on default-editor).
func WireProfile(ctx context.Context, tb testing.TB, cs kubernetes.Interface, w Wiring) {
	tb.Helper()
	kubetest.CreateProfile(ctx, tb, cs, w.Profile)
	_, err := cs.CoreV1().ConfigMaps(w.Profile).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kfp-launcher"},
		Data: map[string]string{"defaultPipelineRoot": kubeflow.ProfilePipelineRoot(w.Bucket, w.Profile)}}, metav1.CreateOptions{})
	must(tb, err)
	if w.S3Secret != "" {
		_, err := cs.CoreV1().Secrets(w.Profile).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "mlpipeline-minio-artifact"},
			Data: map[string][]byte{"accesskey": []byte("x"), "secretkey": []byte("y")}}, metav1.CreateOptions{})
		must(tb, err)
	}
	if w.ProfileRoleARN != "" {
		SetProfileRole(ctx, tb, cs, w.Profile, w.ProfileRoleARN)
	}
}

// SetProfileRole annotates profile ns's default-editor with roleARN as kfaws apply does under IRSA; "" removes
// the annotation.
func SetProfileRole(ctx context.Context, tb testing.TB, cs kubernetes.Interface, ns, roleARN string) {
	tb.Helper()
	sa, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, kubeflow.PipelineRunnerAccount, metav1.GetOptions{})
	must(tb, err)
	if roleARN == "" {
		delete(sa.Annotations, identity.RoleARNAnnotation)
	} else {
		if sa.Annotations == nil {
			sa.Annotations = map[string]string{}
		}
		sa.Annotations[identity.RoleARNAnnotation] = roleARN
	}
	_, err = cs.CoreV1().ServiceAccounts(ns).Update(ctx, sa, metav1.UpdateOptions{})
	must(tb, err)
}

// InstallCSI creates the driver's objects as kfaws's manifests path does: CRDs first, until they are served.
func InstallCSI(ctx context.Context, tb testing.TB, k *kube.Client) {
	tb.Helper()
	objs, err := csidriver.Objects("")
	if err != nil {
		tb.Fatal(err)
	}
	for _, crdFirst := range []bool{true, false} {
		for _, o := range objs {
			if (o.GetKind() == "CustomResourceDefinition") == crdFirst {
				create(ctx, tb, k, o)
			}
		}
		k.Mapper.Reset()
	}
}

func create(ctx context.Context, tb testing.TB, k *kube.Client, o *unstructured.Unstructured) {
	tb.Helper()
	gvk := o.GroupVersionKind()
	// A CRD created a moment ago is served after a short while; poll its mapping rather than sleep.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		mapping, err := k.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil {
			ri := k.Dynamic.Resource(mapping.Resource)
			if mapping.Scope.Name() == "namespace" {
				kubetest.EnsureNamespace(ctx, tb, kubernetes.NewForConfigOrDie(k.Config), o.GetNamespace())
				_, err = ri.Namespace(o.GetNamespace()).Create(ctx, o, metav1.CreateOptions{})
			} else {
				_, err = ri.Create(ctx, o, metav1.CreateOptions{})
			}
			must(tb, err)
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no mapping for %s: %v", gvk, err)
		}
		k.Mapper.Reset()
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil && !apierrors.IsAlreadyExists(err) {
		tb.Fatal(err)
	}
}

// providerClass creates a SecretProviderClass shaped like the one kfaws renders.
func providerClass(ctx context.Context, tb testing.TB, k *kube.Client, name, smSecret, target string, keys ...string) {
	tb.Helper()
	var data []any
	for _, key := range keys {
		data = append(data, map[string]any{"objectName": key, "key": key})
	}
	create(ctx, tb, k, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
		"metadata": map[string]any{"name": name, "namespace": kubeflow.Namespace},
		"spec": map[string]any{"provider": "aws",
			"parameters":    map[string]any{"region": "us-west-2", "objects": "- objectName: " + smSecret + "\n  objectType: secretsmanager\n"},
			"secretObjects": []any{map[string]any{"secretName": target, "type": "Opaque", "data": data}}},
	}})
}

// CreateSecret creates Secret name in the kubeflow namespace with the given keys, as the CSI driver syncs it.
func CreateSecret(ctx context.Context, tb testing.TB, cs kubernetes.Interface, name string, keys ...string) {
	tb.Helper()
	data := map[string][]byte{}
	for _, k := range keys {
		data[k] = []byte("x")
	}
	_, err := cs.CoreV1().Secrets(kubeflow.Namespace).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}, metav1.CreateOptions{})
	must(tb, err)
}

// CreateDeployment creates Deployment name in the kubeflow namespace reading each of secrets through env.
func CreateDeployment(ctx context.Context, tb testing.TB, cs kubernetes.Interface, name string, secrets ...string) {
	tb.Helper()
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
	_, err := cs.AppsV1().Deployments(kubeflow.Namespace).Create(ctx, d, metav1.CreateOptions{})
	must(tb, err)
}

func serviceAccount(ctx context.Context, tb testing.TB, cs kubernetes.Interface, name, role string) {
	tb.Helper()
	_, err := cs.CoreV1().ServiceAccounts(kubeflow.Namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name: name, Annotations: map[string]string{identity.RoleARNAnnotation: role}}}, metav1.CreateOptions{})
	must(tb, err)
}
