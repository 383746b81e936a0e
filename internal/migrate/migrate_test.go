package migrate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

var env kubetest.Env

func TestMain(m *testing.M) { kubetest.Main(m, &env) }

// cluster gives each test an empty kubeflow namespace on the shared apiserver.
func cluster(t *testing.T) kubernetes.Interface {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the test apiserver")
	}
	cs := kubernetes.NewForConfigOrDie(env.Config(t))
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kubeflow.Namespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	clean := func() {
		for _, del := range []func() error{
			func() error {
				return cs.AppsV1().Deployments(kubeflow.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
			},
			func() error {
				return cs.CoreV1().Secrets(kubeflow.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
			},
			func() error {
				return cs.CoreV1().ConfigMaps(kubeflow.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
			},
			func() error {
				zero := int64(0)
				return cs.CoreV1().Pods(kubeflow.Namespace).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
			},
		} {
			if err := del(); err != nil {
				t.Fatal(err)
			}
		}
	}
	clean()
	t.Cleanup(clean)
	return cs
}

func deployment(t *testing.T, cs kubernetes.Interface, name string, replicas int32, env ...corev1.EnvVar) {
	t.Helper()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: kubeflow.Namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "example/" + name, Env: env}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(kubeflow.Namespace).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func secret(t *testing.T, cs kubernetes.Interface, name string, data map[string]string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: kubeflow.Namespace}, StringData: data}
	if _, err := cs.CoreV1().Secrets(kubeflow.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func installConfig(t *testing.T, cs kubernetes.Interface, data map[string]string) {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: kubeflow.InstallConfig, Namespace: kubeflow.Namespace}, Data: data}
	if _, err := cs.CoreV1().ConfigMaps(kubeflow.Namespace).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// defaultInstall creates what a default install of v1.10 runs for its storage, with the release's Secrets.
func defaultInstall(t *testing.T, cs kubernetes.Interface, store string) {
	deployment(t, cs, "mysql", 1)
	deployment(t, cs, "katib-mysql", 1)
	deployment(t, cs, store, 1)
	secret(t, cs, kubeflow.DBSecret, map[string]string{"username": "root", "password": ""})
	secret(t, cs, kubeflow.KatibDatabaseSecret, map[string]string{kubeflow.KatibDatabasePasswordKey: "test"})
	secret(t, cs, kubeflow.ObjectStoreSecret, map[string]string{"accesskey": "minio", "secretkey": "minio123"})
}

func TestDiscoverDefaultInstall(t *testing.T) {
	cs := cluster(t)
	ctx := context.Background()
	defaultInstall(t, cs, "minio")
	installConfig(t, cs, map[string]string{"appVersion": "2.5.0", "pipelineDb": "mlpipeline", "cacheDb": "cachedb",
		"mlmdDb": "metadb", "bucketName": "mlpipeline"})
	src, err := Discover(ctx, cs, Want{Databases: true, Objects: true, KatibDatabase: "kubeflow"})
	if err != nil {
		t.Fatal(err)
	}
	if src.Version != "2.5.0" {
		t.Errorf("version = %q", src.Version)
	}
	if src.KFP == nil || src.KFP.Service != "mysql" || src.KFP.User != "root" || src.KFP.Password != "" {
		t.Fatalf("KFP server = %+v", src.KFP)
	}
	var names []string
	for _, d := range src.KFP.Databases {
		names = append(names, d.Role+":"+d.From+">"+d.To)
	}
	if got := strings.Join(names, " "); got != "pipeline:mlpipeline>mlpipeline cache:cachedb>cachedb metadata:metadb>metadb" {
		t.Errorf("KFP databases = %s", got)
	}
	if k := src.Katib; k == nil || k.Password != "test" || k.Databases[0] != (DatabaseName{Role: RoleKatib, From: "katib", To: "kubeflow"}) {
		t.Errorf("Katib server = %+v", k)
	}
	if st := src.Store; st == nil || st.Kind != "minio" || st.Service != "minio-service" || st.Port != 9000 ||
		st.Bucket != "mlpipeline" || st.AccessKey != "minio" || st.SecretKey != "minio123" {
		t.Errorf("store = %+v", st)
	}
}

// v1.11 runs SeaweedFS and keeps a minio-service alias in front of it; renamed databases come from
// pipeline-install-config and Katib's database from its db-manager's environment.
func TestDiscoverSeaweedFSAndRenamedDatabases(t *testing.T) {
	cs := cluster(t)
	ctx := context.Background()
	defaultInstall(t, cs, "seaweedfs")
	deployment(t, cs, kubeflow.KatibDBManager, 1, corev1.EnvVar{Name: kubeflow.KatibDatabaseNameEnv, Value: "katibdb"})
	installConfig(t, cs, map[string]string{"pipelineDb": "kfp_main", "mlmdDb": "kfp_meta", "bucketName": "artifacts"})
	src, err := Discover(ctx, cs, Want{Databases: true, Objects: true, KatibDatabase: "kubeflow",
		KFPAddress: "127.0.0.1:13306", StoreEndpoint: "http://127.0.0.1:18333"})
	if err != nil {
		t.Fatal(err)
	}
	if st := src.Store; st.Kind != "seaweedfs" || st.Service != "seaweedfs" || st.Port != 8333 || st.Bucket != "artifacts" ||
		st.Endpoint != "http://127.0.0.1:18333" {
		t.Errorf("store = %+v", st)
	}
	if md, _ := src.KFP.Database(RoleMetadata); md.From != "kfp_meta" {
		t.Errorf("metadata database = %+v", md)
	}
	if c, _ := src.KFP.Database(RoleCache); c.From != "cachedb" {
		t.Errorf("cache database = %+v (the default when the key is absent)", c)
	}
	if src.KFP.Address != "127.0.0.1:13306" {
		t.Errorf("KFP address = %q", src.KFP.Address)
	}
	if k := src.Katib.Databases[0]; k.From != "katibdb" || k.To != "kubeflow" {
		t.Errorf("Katib database = %+v", k)
	}
}

func TestDiscoverNothingToMigrate(t *testing.T) {
	cs := cluster(t)
	_, err := Discover(context.Background(), cs, Want{Databases: true, Objects: true})
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want *NotFoundError", err)
	}
	for _, want := range []string{"Deployment mysql", "Deployment katib-mysql", "minio-service", "seaweedfs", "before kfaws apply"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestDiscoverMissingSecretIsNamed(t *testing.T) {
	cs := cluster(t)
	deployment(t, cs, "mysql", 1)
	_, err := Discover(context.Background(), cs, Want{Databases: true})
	if err == nil || !strings.Contains(err.Error(), "secret kubeflow/mysql-secret is missing") {
		t.Fatalf("err = %v", err)
	}
}

func replicasOf(t *testing.T, cs kubernetes.Interface, name string) int32 {
	t.Helper()
	d, err := cs.AppsV1().Deployments(kubeflow.Namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas
}

func TestWritersStopAndStart(t *testing.T) {
	cs := cluster(t)
	ctx := context.Background()
	deployment(t, cs, kubeflow.APIServer, 2)
	deployment(t, cs, "workflow-controller", 1)
	deployment(t, cs, kubeflow.KatibDBManager, 1)
	deployment(t, cs, "metadata-writer", 0) // the user's own setting: not ours to start
	deployment(t, cs, kubeflow.UI, 1)       // reads only
	ws, err := RunningWriters(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	want := []Writer{{"workflow-controller", 1}, {kubeflow.APIServer, 2}, {kubeflow.KatibDBManager, 1}}
	if len(ws) != len(want) {
		t.Fatalf("writers = %+v, want %+v", ws, want)
	}
	for i := range want {
		if ws[i] != want[i] {
			t.Fatalf("writers = %+v, want %+v", ws, want)
		}
	}
	if err := Stop(ctx, cs, ws, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if r := replicasOf(t, cs, w.Name); r != 0 {
			t.Errorf("%s has %d replicas after Stop", w.Name, r)
		}
	}
	if r := replicasOf(t, cs, kubeflow.UI); r != 1 {
		t.Errorf("the UI was scaled to %d", r)
	}
	// Stop again (a resumed run) is a no-op; Start restores what each had.
	if err := Stop(ctx, cs, ws, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := Start(ctx, cs, ws); err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if r := replicasOf(t, cs, w.Name); r != w.Replicas {
			t.Errorf("%s has %d replicas after Start, want %d", w.Name, r, w.Replicas)
		}
	}
	if r := replicasOf(t, cs, "metadata-writer"); r != 0 {
		t.Errorf("metadata-writer was started (%d replicas) though the user had it at 0", r)
	}
}

// A pod that outlives the scale-down (a stuck node, a finalizer) may still write: Stop gives up naming it, and
// Start still restores every writer.
func TestWritersStopNamesPodsLeft(t *testing.T) {
	cs := cluster(t)
	ctx := context.Background()
	deployment(t, cs, kubeflow.APIServer, 1)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ml-pipeline-abc", Namespace: kubeflow.Namespace, Labels: map[string]string{"app": kubeflow.APIServer}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "example/ml-pipeline"}}},
	}
	if _, err := cs.CoreV1().Pods(kubeflow.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ws := []Writer{{kubeflow.APIServer, 1}}
	err := Stop(ctx, cs, ws, 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), "ml-pipeline-abc") || !strings.Contains(err.Error(), "nothing was copied") {
		t.Fatalf("err = %v", err)
	}
	if err := Start(ctx, cs, ws); err != nil {
		t.Fatal(err)
	}
	if r := replicasOf(t, cs, kubeflow.APIServer); r != 1 {
		t.Errorf("replicas after Start = %d", r)
	}
}

func TestForwardServiceWithoutReadyPod(t *testing.T) {
	cs := cluster(t)
	ctx := context.Background()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: kubeflow.Namespace},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "mysql"}, Ports: []corev1.ServicePort{{Port: 3306}}},
	}
	if _, err := cs.CoreV1().Services(kubeflow.Namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Services(kubeflow.Namespace).Delete(ctx, "mysql", metav1.DeleteOptions{}) })
	_, _, err := ForwardService(ctx, &dbaccess.Cluster{Config: env.Config(t), Clientset: cs}, "mysql", 3306)
	if err == nil || !strings.Contains(err.Error(), "no running, ready pod") || !strings.Contains(err.Error(), "app=mysql") {
		t.Fatalf("err = %v", err)
	}
}
