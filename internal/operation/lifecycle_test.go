package operation_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/render"
	"github.com/kfaws/kfaws/internal/verify"
)

// TestLifecycle is an installation's whole life with the default option (rds-s3, IRSA) on the local stack and
// a real apiserver that has the prerequisites a cluster has before Kubeflow: plan shows changes; up provisions
// AWS, renders the synthetic v1.10 tree with the provisioned values and applies it with the CSI driver's
// manifests, waiting for readiness; verify finds nothing failing; a second up changes nothing in AWS or the
// cluster; removal leaves nothing labelled.
func TestLifecycle(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	k := env.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kubetest.InstallPrerequisites(t, k)
	// The apiserver has no controllers or kubelets: kubetest reports workloads ready and finalizes namespaces.
	kubetest.ActAsControllers(ctx, t, k, "")
	in := newInstall(t)
	cs := kubernetes.NewForConfigOrDie(k.Config)
	// Kubeflow's common components create these before KFP and Katib; the manifests only use them.
	for _, ns := range []string{verify.Namespace, in.cfg.IAM.ProfileNamespace} {
		kubetest.EnsureNamespace(ctx, t, cs, ns)
	}

	if p := in.plan(ctx); !p.HasChanges() {
		t.Fatal("plan of a new installation has no changes")
	}
	cluster := clusterUp(t, k)
	rec := &recorder{}
	res, err := (&operation.Up{Configuration: in.configuration(), Reporter: rec, PollInterval: 20 * time.Millisecond,
		Cluster: cluster}).Run(ctx)
	if err != nil {
		t.Fatalf("up: %v\nevents:\n%s", err, rec)
	}
	if !res.Changed || res.Apply == nil || res.Apply.CSI == nil || res.Apply.CSI.Method != csidriver.Manifests {
		t.Fatalf("up: changed %v, apply result %+v; want AWS changed and the CSI driver installed from manifests", res.Changed, res.Apply)
	}
	if n := len(cluster.Apply.Objects); n == 0 || res.Apply.Objects.Count(apply.Created) != n {
		t.Errorf("up applied %d of %d rendered objects as created", res.Apply.Objects.Count(apply.Created), n)
	}
	syncSecretsAsDriver(ctx, t, in, cs)

	r, err := (&operation.Verify{Configuration: in.configuration(), Kube: k}).Run(ctx)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	// Nothing has run against the databases or the bucket yet, and the local MariaDB offers no TLS: those are
	// the only checks allowed not to be ok.
	for _, c := range r.Checks {
		switch {
		case c.Status == verify.OK, c.Status == verify.NotYetInitialised && c.Area != verify.AreaCluster,
			c.Status == verify.Warn && c.Name == "connection":
		default:
			t.Errorf("verify after up: %s/%s: %s: %s", c.Area, c.Name, c.Status, c.Detail)
		}
	}
	if r.Failed() || r.Count(verify.OK) == 0 {
		t.Errorf("verify after up reports failures:\n%s", reportText(r))
	}
	for _, name := range []string{"csi driver", "secret provider class rds-secret", "synced secret mysql-secret",
		"deployment ml-pipeline", "deployment katib-db-manager", "in-cluster storage removed"} {
		if c, ok := r.Find(name); !ok || c.Status != verify.OK {
			t.Errorf("check %q: %+v, want ok\n%s", name, c, reportText(r))
		}
	}

	before := labelledVersions(t, k, in.cfg.Name)
	res, err = (&operation.Up{Configuration: in.configuration(), Reporter: &recorder{}, PollInterval: 20 * time.Millisecond,
		Cluster: cluster}).Run(ctx)
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if res.Changed || res.Plan.HasChanges() {
		t.Errorf("second up changed AWS: %+v", actions(res.Plan))
	}
	for what, r := range map[string]*apply.Result{"kubeflow": res.Apply.Objects, "csi driver": res.Apply.CSI.Apply} {
		if r.Count(apply.Created) != 0 || r.Count(apply.Configured) != 0 {
			t.Errorf("second up: %s objects %d created, %d configured; want none", what, r.Count(apply.Created), r.Count(apply.Configured))
		}
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
	// What kfaws did not create stays: the namespaces it found and the Secret the driver synced.
	if _, err := cs.CoreV1().Namespaces().Get(ctx, verify.Namespace, metav1.GetOptions{}); err != nil {
		t.Errorf("removal touched namespace %q: %v", verify.Namespace, err)
	}
	if _, err := cs.CoreV1().Secrets(verify.Namespace).Get(ctx, verify.MySQLSecret, metav1.GetOptions{}); err != nil {
		t.Errorf("removal touched Secret %q: %v", verify.MySQLSecret, err)
	}
}

// clusterUp is the cluster half of `kfaws up --manifests internal/render/testdata/trees/v1.10 --csi-driver manifests`.
func clusterUp(t *testing.T, k *kube.Client) *operation.ClusterUp {
	t.Helper()
	tree, err := filepath.Abs("../render/testdata/trees/v1.10")
	if err != nil {
		t.Fatal(err)
	}
	return &operation.ClusterUp{
		Render: &render.Render{Manifests: tree},
		Apply:  &operation.Apply{Kube: k, CSI: string(csidriver.Manifests), Wait: true, Timeout: 2 * time.Minute},
	}
}

// syncSecretsAsDriver stands in for the Secrets Store CSI driver, which this apiserver cannot run: when a pod
// mounts SecretProviderClass rds-secret, the driver reads the RDS secret from Secrets Manager and syncs its keys
// into Secret mysql-secret. Here the values come from the real secret in the local stack's Secrets Manager.
func syncSecretsAsDriver(ctx context.Context, t *testing.T, in *install, cs kubernetes.Interface) {
	t.Helper()
	data := map[string][]byte{}
	for key, v := range in.rdsSecret(ctx) {
		data[key] = []byte(v)
	}
	_, err := cs.CoreV1().Secrets(verify.Namespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: verify.MySQLSecret}, Data: data}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("syncing %q as the CSI driver would: %v", verify.MySQLSecret, err)
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
