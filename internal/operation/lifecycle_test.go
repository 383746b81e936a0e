package operation_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/verify"
)

// TestLifecycle is an installation's whole life, for each option and S3 credentials mode, on the local stack and
// one real apiserver that has the prerequisites a cluster has before Kubeflow: plan shows changes; up provisions
// AWS, renders the synthetic v1.10 tree with the provisioned values and applies it with the CSI driver's
// manifests, waiting for readiness; verify finds nothing failing; a second up changes nothing in AWS or the
// cluster; removal leaves nothing labelled and nothing kfaws did not create gone.
func TestLifecycle(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	k := env.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kubetest.InstallPrerequisites(t, k)
	// The apiserver has no controllers or kubelets: kubetest reports workloads ready and finalizes namespaces.
	kubetest.ActAsControllers(ctx, t, k, "")
	static := func(c *config.Config) {
		c.S3.Credentials = config.CredentialsStatic
		c.S3.AccessKeyID, c.S3.SecretAccessKey = "AKIAEXAMPLEKEY000002", "static-secret-value-not-to-leak"
	}
	for _, tc := range []struct {
		name   string
		mutate func(*config.Config)
	}{
		{"rds-s3 irsa", func(*config.Config) {}},
		{"rds-s3 static", static},
		{"rds-only", func(c *config.Config) { c.Option = config.OptionRDSOnly }},
		{"s3-only irsa", func(c *config.Config) { c.Option = config.OptionS3Only }},
		{"s3-only static", func(c *config.Config) { c.Option = config.OptionS3Only; static(c) }},
	} {
		// Each installation uses the same object names in the same namespace: they run one after another.
		// --csi-driver manifests: the driver's objects from kfaws, as on a cluster EKS offers no add-on for.
		manifests := func(c *config.Config) { c.CSIDriver = config.CSIManifests; tc.mutate(c) }
		// Verify's write probe (static keys) needs object requests, which plain HTTP cannot make under the
		// TLS-only policy; the IRSA installs keep it and show a second up leaves it alone.
		probed := func(c *config.Config) {
			if c.S3.Credentials == config.CredentialsStatic {
				plainHTTP(c)
			}
		}
		t.Run(tc.name, func(t *testing.T) { lifecycle(ctx, t, k, newInstall(t, manifests, probed)) })
	}
}

func lifecycle(ctx context.Context, t *testing.T, k *kube.Client, in *install) {
	cs := kubernetes.NewForConfigOrDie(k.Config)
	// Kubeflow's common components create these before KFP and Katib; the manifests only use them.
	kubetest.EnsureNamespace(ctx, t, cs, kubeflow.Namespace)
	kubetest.CreateProfile(ctx, t, cs, in.cfg.IAM.ProfileNamespace)

	if p := in.plan(ctx); !p.HasChanges() {
		t.Fatal("plan of a new installation has no changes")
	}
	progress := &lockedBuffer{}
	cluster := clusterUp(t, progress)
	rec := &recorder{}
	res, err := (&operation.Up{Configuration: in.on(k), Reporter: rec, PollInterval: 20 * time.Millisecond,
		Cluster: cluster}).Run(ctx)
	if err != nil {
		t.Fatalf("up: %v\nevents:\n%s", err, rec)
	}
	if !res.Changed || res.Apply == nil || res.Apply.CSI == nil || res.Apply.CSI.Method != csidriver.Manifests {
		t.Fatalf("up: changed %v, apply result %+v; want AWS changed and the CSI driver installed from manifests", res.Changed, res.Apply)
	}
	// Every rendered object is created, except the profile's ServiceAccount, which the profile controller
	// created and kfaws only patches (irsa).
	n := len(cluster.Apply.Objects)
	own := 0
	for _, o := range cluster.Apply.Objects {
		if !apply.IsPatch(o) {
			own++
		}
	}
	if own == 0 || res.Apply.Objects.Count(apply.Created) != own {
		t.Errorf("up created %d of the %d rendered objects kfaws owns", res.Apply.Objects.Count(apply.Created), own)
	}
	// Wait was set: up returned only after every workload was reported ready.
	for _, w := range []string{"DaemonSet/kube-system/csi-secrets-store ready", "Deployment/kubeflow/ml-pipeline available"} {
		if !strings.Contains(progress.String(), w) {
			t.Errorf("up's progress lacks %q:\n%s", w, progress.String())
		}
	}
	syncSecretsAsDriver(ctx, t, in, cs)
	if in.cfg.Option.UsesS3() {
		runProfileHook(ctx, t, k, in.cfg.IAM.ProfileNamespace)
	}
	checkVerify(ctx, t, in, k)

	before := labelledVersions(t, k, in.cfg.Name)
	rec = &recorder{}
	res, err = (&operation.Up{Configuration: in.on(k), Reporter: rec, PollInterval: 20 * time.Millisecond,
		Cluster: cluster}).Run(ctx)
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if res.Changed || res.Plan.HasChanges() || rec.has("start") {
		t.Errorf("second up changed AWS: %+v\nevents:\n%s", actions(res.Plan), rec)
	}
	for what, r := range map[string]*apply.Result{"kubeflow": res.Apply.Objects, "csi driver": res.Apply.CSI.Apply} {
		if r.Count(apply.Created) != 0 || r.Count(apply.Configured) != 0 {
			t.Errorf("second up: %s objects %d created, %d configured; want none", what, r.Count(apply.Created), r.Count(apply.Configured))
		}
	}
	if got := res.Apply.Objects.Count(apply.Unchanged); got != n {
		t.Errorf("second up: %d of %d objects unchanged", got, n)
	}
	after := labelledVersions(t, k, in.cfg.Name)
	if len(after) != len(before) {
		t.Errorf("second up: %d labelled objects, %d before", len(after), len(before))
	}
	for ref, rv := range after {
		if before[ref] != rv {
			t.Errorf("second up moved %s from resourceVersion %s to %s", ref, before[ref], rv)
		}
	}

	if _, err := (&apply.Remover{Client: k, Installation: in.cfg.Name, Timeout: time.Minute}).Remove(ctx); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if left := labelledVersions(t, k, in.cfg.Name); len(left) != 0 {
		t.Errorf("labelled after removal: %v", left)
	}
	// What kfaws did not create stays: the namespace it found.
	if _, err := cs.CoreV1().Namespaces().Get(ctx, kubeflow.Namespace, metav1.GetOptions{}); err != nil {
		t.Errorf("removal touched namespace %q: %v", kubeflow.Namespace, err)
	}
}

// checkVerify runs verify on the fresh installation. Nothing has run against the databases or the bucket yet,
// and the local MariaDB offers no TLS: those are the only checks allowed not to be ok.
func checkVerify(ctx context.Context, t *testing.T, in *install, k *kube.Client) {
	t.Helper()
	r, err := (&operation.Verify{Configuration: in.on(k)}).Run(ctx)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, c := range r.Checks {
		switch {
		case c.Status == verify.OK, c.Status == verify.NotYetInitialised && c.Area != verify.AreaCluster,
			c.Status == verify.Warn && c.Name == "connection",
			c.Status == verify.Warn && c.Name == "TLS only" && !config.Value(in.cfg.S3.RequireTLS):
		default:
			t.Errorf("verify after up: %s/%s: %s: %s", c.Area, c.Name, c.Status, c.Detail)
		}
	}
	want := []string{"csi driver", "in-cluster storage removed"}
	opt := in.cfg.Option
	if opt.UsesRDS() {
		want = append(want, "secret provider class rds-secret", "synced secret mysql-secret", "deployment katib-db-manager")
	}
	if opt.UsesS3() && in.cfg.S3.Credentials == config.CredentialsStatic {
		want = append(want, "secret provider class s3-secret", "synced secret mlpipeline-minio-artifact", "deployment ml-pipeline")
	}
	// Only a Secrets Manager secret to sync needs the secrets-sync account's role; s3-only with IRSA has none.
	if opt.UsesRDS() || in.cfg.S3.Credentials == config.CredentialsStatic {
		want = append(want, "service account kubeflow-secrets-manager-sa")
	}
	if opt.UsesS3() && in.cfg.S3.Credentials == config.CredentialsIRSA {
		want = append(want, "service account ml-pipeline", "IRSA role permissions")
	}
	for _, name := range want {
		if c, ok := r.Find(name); !ok || c.Status != verify.OK {
			t.Errorf("check %q: %+v, want ok\n%s", name, c, reportText(r))
		}
	}
	secrets := []string{in.cfg.S3.SecretAccessKey}
	if opt.UsesRDS() {
		secrets = append(secrets, in.rdsSecret(ctx)["password"])
	}
	noSecrets(t, r, secrets...)
}

// clusterUp is the cluster half of `kfaws up --manifests internal/render/testdata/trees/v1.10 --csi-driver manifests`.
func clusterUp(t *testing.T, progress io.Writer) *operation.ClusterUp {
	t.Helper()
	tree, err := filepath.Abs("../render/testdata/trees/v1.10")
	if err != nil {
		t.Fatal(err)
	}
	// The Configuration is Up's.
	return &operation.ClusterUp{
		Apply: &operation.Apply{Render: &operation.Render{Manifests: tree}, Wait: true,
			Timeout:  2 * time.Minute,
			Progress: progress},
	}
}

// runProfileHook stands in for metacontroller, which this apiserver cannot run: it calls the profile hook the
// applied v1.10 tree deploys (metacontroller v4.11.22, DecoratorController) for the profile namespace, with the
// request body captured from that metacontroller, and creates what the hook answers.
func runProfileHook(ctx context.Context, t *testing.T, k *kube.Client, profile string) {
	t.Helper()
	request, err := os.ReadFile("../render/testdata/metacontroller/decorator-v4.11.22.json")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := k.Dynamic.Resource(corev1.SchemeGroupVersion.WithResource("namespaces")).Get(ctx, profile, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := kubetest.ActAsMetacontroller(ctx, t, k, kubetest.HookDeployment{Namespace: kubeflow.Namespace,
		Name: "kubeflow-pipelines-profile-controller"}, request, ns)
	if len(got) == 0 {
		t.Fatalf("the profile hook gave profile %s nothing", profile)
	}
}

// syncSecretsAsDriver stands in for the Secrets Store CSI driver, which this apiserver cannot run: while a pod
// mounts a SecretProviderClass, the driver reads its Secrets Manager secret and syncs the keys into a Secret
// (rds-secret into mysql-secret, s3-secret into mlpipeline-minio-artifact), and deletes that Secret when no pod
// mounts the class any more (here: at the end of the test). The values come from the real secrets up wrote to the
// local stack's Secrets Manager.
func syncSecretsAsDriver(ctx context.Context, t *testing.T, in *install, cs kubernetes.Interface) {
	t.Helper()
	synced := map[string]string{}
	if in.cfg.Option.UsesRDS() {
		synced[kubeflow.DBSecret] = in.cfg.RDS.SecretName
	}
	if in.cfg.Option.UsesS3() && in.cfg.S3.Credentials == config.CredentialsStatic {
		synced[kubeflow.ObjectStoreSecret] = in.cfg.S3.SecretName
	}
	for name, from := range synced {
		data := map[string][]byte{}
		for key, v := range in.secretJSON(ctx, from) {
			data[key] = []byte(v)
		}
		_, err := cs.CoreV1().Secrets(kubeflow.Namespace).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("syncing %q as the CSI driver would: %v", name, err)
		}
		t.Cleanup(func() {
			_ = cs.CoreV1().Secrets(kubeflow.Namespace).Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
}

// labelledVersions maps every object labelled for installation to its resourceVersion.
func labelledVersions(t *testing.T, k *kube.Client, installation string) map[string]string {
	t.Helper()
	objs, err := apply.Labelled(context.Background(), k, installation)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range objs {
		out[o.Ref().String()] = o.Object().GetResourceVersion()
	}
	return out
}

// lockedBuffer is a progress sink safe for the applier's concurrent readiness lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
