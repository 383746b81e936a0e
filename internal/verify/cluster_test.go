package verify_test

import (
	"context"
	"strings"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/verify"
	"github.com/kfaws/kfaws/internal/verify/verifytest"
)

var env kubetest.Env

// TestClusterChecks builds, on a real apiserver, what `kfaws apply` leaves for option rds-s3 with static keys,
// checks it passes, then breaks one thing at a time.
func TestClusterChecks(t *testing.T) {
	ctx := context.Background()
	k := env.Client(t)
	cs := kubernetes.NewForConfigOrDie(k.Config)
	verifytest.Install(ctx, t, k, verifytest.Wiring{RDSSecret: "rds-secret", S3Secret: "s3-secret", PipelineDB: "kfp_pipelines",
		SecretsRoleARN: "arn:aws:iam::123456789012:role/kfaws-secrets", Profile: verifytest.ProfileNamespace, Bucket: "artifacts"})
	in := verify.ClusterInput{Kube: k, Option: config.OptionRDSS3, Static: true, RDSSecretName: "rds-secret", S3SecretName: "s3-secret",
		Bucket: "artifacts", ProfileNamespace: verifytest.ProfileNamespace}
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
		"in-cluster storage removed", "service account kubeflow-secrets-manager-sa", "profile " + verifytest.ProfileNamespace} {
		if _, ok := r.Find(name); !ok {
			t.Errorf("no check %q", name)
		}
	}
	names := verify.InstallConfigDBNames(ctx, k, verify.DefaultDBNames("kubeflow"))
	if names != (verify.DBNames{Pipeline: "kfp_pipelines", Cache: "cachedb", Metadata: "metadb", Katib: "kubeflow"}) {
		t.Errorf("names from pipeline-install-config: %+v", names)
	}

	t.Run("missing synced secret", func(t *testing.T) {
		must(t, cs.CoreV1().Secrets("kubeflow").Delete(ctx, "mysql-secret", metav1.DeleteOptions{}))
		defer verifytest.CreateSecret(ctx, t, cs, "mysql-secret", "username", "password", "host", "port", "database")
		want(t, run(), "synced secret mysql-secret", "Secret \"mysql-secret\" is missing")
	})
	t.Run("leftover in-cluster mysql", func(t *testing.T) {
		verifytest.CreateDeployment(ctx, t, cs, "mysql")
		defer func() { must(t, cs.AppsV1().Deployments("kubeflow").Delete(ctx, "mysql", metav1.DeleteOptions{})) }()
		want(t, run(), "in-cluster storage removed", "Deployment \"mysql\"")
	})
	t.Run("deployment not wired", func(t *testing.T) {
		must(t, cs.AppsV1().Deployments("kubeflow").Delete(ctx, "cache-server", metav1.DeleteOptions{}))
		verifytest.CreateDeployment(ctx, t, cs, "cache-server")
		defer func() { // put the wired one back, so the cluster is healthy again for whatever runs next
			must(t, cs.AppsV1().Deployments("kubeflow").Delete(ctx, "cache-server", metav1.DeleteOptions{}))
			verifytest.CreateDeployment(ctx, t, cs, "cache-server", "mysql-secret")
		}()
		want(t, run(), "deployment cache-server", "does not read Secret mysql-secret")
	})
	t.Run("secrets account assumes another role", func(t *testing.T) {
		other := in
		other.SecretsRoleARN = "arn:aws:iam::123456789012:role/kfaws-other"
		r := &verify.Report{}
		verify.CheckCluster(ctx, r, other)
		want(t, r, "service account kubeflow-secrets-manager-sa", "not kfaws's role")
	})
	t.Run("provider class names another secret", func(t *testing.T) {
		other := in
		other.RDSSecretName = "someone-elses-secret"
		r := &verify.Report{}
		verify.CheckCluster(ctx, r, other)
		want(t, r, "secret provider class rds-secret", "does not read Secrets Manager secret \"someone-elses-secret\"")
	})
	t.Run("profile launcher on another bucket", func(t *testing.T) {
		other := in
		other.Bucket = "someone-elses-bucket"
		r := &verify.Report{}
		verify.CheckCluster(ctx, r, other)
		want(t, r, "profile "+verifytest.ProfileNamespace, "not on bucket \"someone-elses-bucket\"")
	})
	t.Run("new profile the hook has not wired", func(t *testing.T) {
		kubetest.CreateProfile(ctx, t, cs, "team-b")
		defer func() { must(t, cs.CoreV1().Namespaces().Delete(ctx, "team-b", metav1.DeleteOptions{})) }()
		want(t, run(), "profile team-b", "no ConfigMap \"kfp-launcher\"")
	})
	t.Run("pod identity on a driver without its token audience", func(t *testing.T) {
		pi := in
		pi.PodIdentity = true
		csiCheck := func() verify.Check { return csiCheckWith(ctx, pi) }
		if c := csiCheck(); c.Status != verify.OK {
			t.Fatalf("driver with both audiences: %+v", c)
		}
		drivers := cs.StorageV1().CSIDrivers()
		d, err := drivers.Get(ctx, csidriver.DriverName, metav1.GetOptions{})
		must(t, err)
		saved := d.Spec.TokenRequests
		d.Spec.TokenRequests = []storagev1.TokenRequest{{Audience: csidriver.AudienceIRSA}}
		d, err = drivers.Update(ctx, d, metav1.UpdateOptions{})
		must(t, err)
		defer func() {
			d, err := drivers.Get(ctx, csidriver.DriverName, metav1.GetOptions{})
			must(t, err)
			d.Spec.TokenRequests = saved
			delete(d.Labels, apply.LabelManagedBy)
			_, err = drivers.Update(ctx, d, metav1.UpdateOptions{})
			must(t, err)
		}()
		c := csiCheck()
		if c.Status != verify.Warn || !strings.Contains(c.Detail, csidriver.AudiencePodIdentity) ||
			!strings.Contains(c.Action, "tokenRequests[1].audience="+csidriver.AudiencePodIdentity) {
			t.Errorf("someone else's driver without the Pod Identity audience: %+v", c)
		}
		if irsa := csiCheckWith(ctx, in); irsa.Status != verify.OK {
			t.Errorf("irsa does not need the Pod Identity audience: %+v", irsa)
		}
		d.Labels[apply.LabelManagedBy] = apply.ManagedByValue
		_, err = drivers.Update(ctx, d, metav1.UpdateOptions{})
		must(t, err)
		if c := csiCheck(); c.Status != verify.Warn || !strings.Contains(c.Action, "run kfaws apply") {
			t.Errorf("kfaws's own older driver: %+v", c)
		}
	})
	t.Run("irsa profile without its role", func(t *testing.T) {
		irsa := in
		irsa.Static, irsa.ProfileRoleARN = false, "arn:aws:iam::123456789012:role/kfaws-profile"
		r := &verify.Report{}
		verify.CheckCluster(ctx, r, irsa)
		want(t, r, "profile "+verifytest.ProfileNamespace, "not the profile role")
		irsa.ProfileNamespace = "absent-profile"
		r = &verify.Report{}
		verify.CheckCluster(ctx, r, irsa)
		want(t, r, "profile absent-profile", "not a KFP profile namespace yet")
	})
	t.Run("every profile has a role of its own", func(t *testing.T) {
		roles := map[string]string{verifytest.ProfileNamespace: "arn:aws:iam::123456789012:role/kfaws-profile-default",
			"team-c": "arn:aws:iam::123456789012:role/kfaws-profile-team-c"}
		verifytest.SetProfileRole(ctx, t, cs, verifytest.ProfileNamespace, roles[verifytest.ProfileNamespace])
		defer verifytest.SetProfileRole(ctx, t, cs, verifytest.ProfileNamespace, "")
		verifytest.WireProfile(ctx, t, cs, verifytest.Wiring{Profile: "team-c", Bucket: "artifacts", ProfileRoleARN: roles["team-c"]})
		defer func() { must(t, cs.CoreV1().Namespaces().Delete(ctx, "team-c", metav1.DeleteOptions{})) }()
		irsa := in
		irsa.Static, irsa.ProfileRoleARNs = false, roles
		check := func(in verify.ClusterInput, ns string) verify.Check {
			t.Helper()
			r := &verify.Report{}
			verify.CheckCluster(ctx, r, in)
			c, ok := r.Find("profile " + ns)
			if !ok {
				t.Fatalf("no check of profile %s:\n%s", ns, text(r))
			}
			return c
		}
		for ns, role := range roles {
			if c := check(irsa, ns); c.Status != verify.OK || !strings.Contains(c.Detail, "default-editor assumes "+role) {
				t.Errorf("profile %s with its own role: %+v", ns, c)
			}
		}

		verifytest.SetProfileRole(ctx, t, cs, "team-c", roles[verifytest.ProfileNamespace])
		if c := check(irsa, "team-c"); c.Status != verify.Fail || !strings.Contains(c.Detail, "not the profile role \""+roles["team-c"]+"\"") {
			t.Errorf("profile team-c on another profile's role: %+v", c)
		}
		pi := irsa
		pi.PodIdentity = true
		if c := check(pi, "team-c"); c.Status != verify.OK {
			t.Errorf("pod identity reads no annotation (the association is checked in EKS): %+v", c)
		}
		verifytest.SetProfileRole(ctx, t, cs, "team-c", roles["team-c"])

		// A kfp-launcher written before profiles were confined: its root is outside the profile's own prefix.
		cm, err := cs.CoreV1().ConfigMaps("team-c").Get(ctx, "kfp-launcher", metav1.GetOptions{})
		must(t, err)
		cm.Data["defaultPipelineRoot"] = "s3://artifacts/v2/artifacts"
		_, err = cs.CoreV1().ConfigMaps("team-c").Update(ctx, cm, metav1.UpdateOptions{})
		must(t, err)
		if c := check(irsa, "team-c"); c.Status != verify.Fail || !strings.Contains(c.Detail, "outside the profile's own") ||
			!strings.Contains(c.Action, "kubectl -n team-c delete configmap kfp-launcher") {
			t.Errorf("profile team-c with a pipeline root from before confinement: %+v", c)
		}
		if c := check(in, "team-c"); strings.Contains(c.Detail, "outside the profile's own") {
			t.Errorf("static keys reach the whole bucket, so the older root still works: %+v", c)
		}
		cm.Data["defaultPipelineRoot"] = "s3://artifacts/private-artifacts/team-c/v2/artifacts"
		cm.ResourceVersion = ""
		_, err = cs.CoreV1().ConfigMaps("team-c").Update(ctx, cm, metav1.UpdateOptions{})
		must(t, err)

		// A profile created after up: its pipelines would get no S3 access, or another's.
		verifytest.WireProfile(ctx, t, cs, verifytest.Wiring{Profile: "team-d", Bucket: "artifacts", S3Secret: "s3-secret"})
		defer func() { must(t, cs.CoreV1().Namespaces().Delete(ctx, "team-d", metav1.DeleteOptions{})) }()
		for _, mode := range []verify.ClusterInput{irsa, pi} {
			c := check(mode, "team-d")
			if c.Status != verify.Fail || !strings.Contains(c.Detail, "profile team-d has no S3 access of its own") ||
				c.Action != "run kfaws up, then kfaws apply" {
				t.Errorf("profile without a role (pod identity %v): %+v", mode.PodIdentity, c)
			}
		}
		static := in
		static.ProfileRoleARNs = roles
		if c := check(static, "team-d"); c.Status != verify.OK {
			t.Errorf("static keys need no role per profile: %+v", c)
		}
		older := irsa // a state file from before per-profile roles: only the configured profile is checked
		older.ProfileRoleARNs, older.ProfileRoleARN = nil, roles[verifytest.ProfileNamespace]
		if c := check(older, "team-d"); c.Status != verify.OK {
			t.Errorf("older state file: %+v", c)
		}
		if c := check(older, verifytest.ProfileNamespace); c.Status != verify.OK {
			t.Errorf("older state file, configured profile: %+v", c)
		}
	})
}

func csiCheckWith(ctx context.Context, in verify.ClusterInput) verify.Check {
	r := &verify.Report{}
	verify.CheckCluster(ctx, r, in)
	c, _ := r.Find("csi driver")
	return c
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
	if err != nil {
		t.Fatal(err)
	}
}
