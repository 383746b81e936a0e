package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// downWorld is one installation made by up on the local stack, with a cluster whose apiserver holds one object
// labelled with the installation and one that is not.
type downWorld struct {
	stack      *localstack.Stack
	cfg        aws.Config
	name       string
	flags      []string
	kubeconfig string
	env        *kubetest.Env
	userGroup  string
}

func newDownWorld(t *testing.T, withCluster bool) *downWorld {
	t.Helper()
	s := localstack.Shared(t)
	ctx := context.Background()
	id := fmt.Sprintf("dn%d", time.Now().UnixNano()%1e8)
	cl, err := s.SeedCluster(ctx, id, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.AWSConfig(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	setAWSEnv(t, s.AWSEnv())
	t.Setenv("AWS_REGION", "us-east-1")
	t.Chdir(t.TempDir())
	w := &downWorld{stack: s, cfg: cfg, name: cl.Name, userGroup: id + "-theirs"}
	// A subnet group the user made by hand and names in the configuration: kfaws uses it and must keep it.
	if err := createSubnetGroup(cfg, w.userGroup, cl.PrivateSubnetIDs); err != nil {
		t.Fatal(err)
	}
	// The local stack speaks plain HTTP, which the TLS-only bucket policy denies, and the test puts an object.
	if err := os.WriteFile("kfaws.yaml", []byte("apiVersion: kfaws.dev/v1alpha1\nkind: Installation\ns3:\n  requireTLS: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.flags = []string{"--config", "kfaws.yaml", "--cluster", cl.Name, "--bucket", id + "-artifacts", "--db-instance-name", id,
		"--db-master-username", "u" + id, "--rds-secret-name", id + "-rds", "--db-subnet-group", w.userGroup}
	if _, errOut, code := run(t, append([]string{"up"}, w.flags...)...); code != ExitOK {
		t.Fatalf("up: exit %d\n%s", code, errOut)
	}
	w.putObject(t, "pipelines/run-1/output.txt")
	if !withCluster {
		return w
	}
	w.env = &kubetest.Env{}
	t.Cleanup(w.env.Stop)
	w.kubeconfig = w.env.Kubeconfig(t)
	cs := w.clientset(t)
	labels := map[string]string{ownership.LabelManagedBy: ownership.ManagedByValue, ownership.LabelInstallation: cl.Name}
	for name, l := range map[string]map[string]string{"kfaws-applied": labels, "someone-elses": nil} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: l}}
		if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *downWorld) down(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return run(t, append(append([]string{"down"}, w.flags...), args...)...)
}

func (w *downWorld) putObject(t *testing.T, key string) {
	t.Helper()
	_, err := w.s3().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(w.name + "-artifacts"), Key: &key,
		Body: strings.NewReader("artifact")})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *downWorld) clientset(t *testing.T) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(w.env.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func (w *downWorld) s3() *s3.Client {
	return s3.NewFromConfig(w.cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func (w *downWorld) instanceExists(t *testing.T) bool {
	t.Helper()
	_, err := rds.NewFromConfig(w.cfg).DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &w.name})
	var nf *rdstypes.DBInstanceNotFoundFault
	if err != nil && !errors.As(err, &nf) {
		t.Fatal(err)
	}
	return err == nil
}

func (w *downWorld) bucketExists(t *testing.T) bool {
	t.Helper()
	_, err := w.s3().HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(w.name + "-artifacts")})
	var nf *s3types.NotFound
	if err != nil && !errors.As(err, &nf) {
		t.Fatal(err)
	}
	return err == nil
}

func (w *downWorld) configMapExists(t *testing.T, name string) bool {
	t.Helper()
	_, err := w.clientset(t).CoreV1().ConfigMaps("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// kfaws down after up: the plan first (a dry run and a refused confirmation change nothing), then the cluster's
// labelled objects and everything kfaws created in AWS go, the instance with a final snapshot; the bucket with the
// user's artifacts, the subnet group the user made, and the unlabelled object stay. Run again, it has nothing to
// do; up then brings the installation back, restoring its secret. With the state file lost and --delete-data, the
// tags alone find what kfaws created, and the bucket goes with its objects.
func TestDownAfterUp(t *testing.T) {
	w := newDownWorld(t, true)
	ctx := context.Background()

	out, errOut, code := w.down(t, "--kubeconfig", filepath.Join(t.TempDir(), "missing"), "--yes")
	if code != ExitUsage || !strings.Contains(errOut, "--skip-cluster") || !w.instanceExists(t) {
		t.Fatalf("down with an unusable kubeconfig: exit %d, want %d before any change\n%s%s", code, ExitUsage, out, errOut)
	}
	out, errOut, code = w.down(t, "--kubeconfig", w.kubeconfig, "--dry-run")
	for _, want := range []string{"DB instance", "delete", "keep", "kfaws down --delete-data", "final snapshot " + w.name + "-final-",
		"ConfigMap/default/kfaws-applied"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run's plan lacks %q:\n%s", want, out)
		}
	}
	if code != ExitOK || !strings.Contains(errOut, "Nothing was changed (--dry-run)") || strings.Contains(out, "someone-elses") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = w.down(t, "--kubeconfig", w.kubeconfig) // stdin is not a terminal
	if code != ExitUsage || !strings.Contains(errOut, "pass --yes") {
		t.Fatalf("down without --yes off a terminal: exit %d, want %d\n%s", code, ExitUsage, errOut)
	}
	if !w.instanceExists(t) || !w.configMapExists(t, "kfaws-applied") {
		t.Fatal("a dry run or an unconfirmed down deleted something")
	}

	_, errOut, code = w.down(t, "--kubeconfig", w.kubeconfig, "--yes")
	if code != ExitOK || !strings.Contains(errOut, "Done: deleted") || !strings.Contains(errOut, "final DB snapshot "+w.name+"-final-") {
		t.Fatalf("down: exit %d\n%s", code, errOut)
	}
	if w.instanceExists(t) {
		t.Error("the DB instance kfaws created is still there")
	}
	snaps, err := rds.NewFromConfig(w.cfg).DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: &w.name})
	if err != nil || len(snaps.DBSnapshots) != 1 || !strings.HasPrefix(aws.ToString(snaps.DBSnapshots[0].DBSnapshotIdentifier), w.name+"-final-") {
		t.Errorf("final snapshot: %v, %+v", err, snaps)
	}
	if _, err := rds.NewFromConfig(w.cfg).DescribeDBSubnetGroups(ctx, &rds.DescribeDBSubnetGroupsInput{DBSubnetGroupName: &w.userGroup}); err != nil {
		t.Errorf("the user's subnet group was deleted: %v", err)
	}
	roles, err := iam.NewFromConfig(w.cfg).ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Roles {
		if strings.HasPrefix(aws.ToString(r.RoleName), "kfaws-"+w.name) {
			t.Errorf("IAM role %s is still there", aws.ToString(r.RoleName))
		}
	}
	pols, err := iam.NewFromConfig(w.cfg).ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pols.Policies {
		if strings.Contains(aws.ToString(p.PolicyName), w.name) {
			t.Errorf("IAM policy %s is still there", aws.ToString(p.PolicyName))
		}
	}
	sec, err := secretsmanager.NewFromConfig(w.cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(w.name + "-rds")})
	if err != nil || sec.DeletedDate == nil {
		t.Errorf("the RDS secret is not scheduled for deletion: %v %+v", err, sec)
	}
	if !w.bucketExists(t) {
		t.Error("down without --delete-data deleted the bucket")
	}
	if w.configMapExists(t, "kfaws-applied") || !w.configMapExists(t, "someone-elses") {
		t.Error("down must delete the labelled object and only it")
	}

	_, errOut, code = w.down(t, "--kubeconfig", w.kubeconfig, "--yes")
	if code != ExitOK || !strings.Contains(errOut, "Nothing to delete") {
		t.Errorf("second down: exit %d\n%s", code, errOut)
	}

	// Within the secrets' recovery window, up brings the installation back: the scheduled secret is restored.
	if _, errOut, code := run(t, append([]string{"up"}, w.flags...)...); code != ExitOK || !w.instanceExists(t) {
		t.Fatalf("up after down: exit %d\n%s", code, errOut)
	}
	sec, err = secretsmanager.NewFromConfig(w.cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(w.name + "-rds")})
	if err != nil || sec.DeletedDate != nil {
		t.Errorf("up after down did not restore the RDS secret: %v %+v", err, sec)
	}

	if err := os.RemoveAll(".kfaws"); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = w.down(t, "--skip-cluster", "--yes", "--delete-data", "--skip-final-snapshot", "-o", "json")
	var doc struct {
		Resources []struct{ Key, Name, Action string }
		Summary   struct{ Delete, Keep int }
		Cluster   *struct{}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != ExitOK || doc.Cluster != nil {
		t.Fatalf("down --delete-data -o json without a state file: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	deleted := false
	for _, r := range doc.Resources {
		deleted = deleted || r.Name == w.name+"-artifacts" && r.Action == "delete"
	}
	if !deleted || w.bucketExists(t) || w.instanceExists(t) {
		t.Errorf("the bucket kfaws created (found by its tag, the state being gone) is still there:\n%s", out)
	}
}

// A teardown that fails midway exits 1, says how to resume, and the next run finishes it.
func TestDownResumesAfterAFailure(t *testing.T) {
	w := newDownWorld(t, false)
	if err := w.stack.InjectFault("iam:DeleteRole", proxy.Fault500, 100, 0); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := w.down(t, "--skip-cluster", "--yes", "--skip-final-snapshot", "--force-delete-secrets")
	w.stack.ClearFaults()
	if code != ExitFailure || !strings.Contains(errOut, "run kfaws down again to resume") {
		t.Fatalf("down with IAM failing: exit %d, want %d\n%s", code, ExitFailure, errOut)
	}
	if w.instanceExists(t) {
		t.Error("the instance, which waits on nothing that failed, was not deleted")
	}
	_, errOut, code = w.down(t, "--skip-cluster", "--yes", "--skip-final-snapshot", "--force-delete-secrets")
	if code != ExitOK || !strings.Contains(errOut, "Done: deleted") {
		t.Fatalf("resumed down: exit %d\n%s", code, errOut)
	}
	roles, err := iam.NewFromConfig(w.cfg).ListRoles(context.Background(), &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles.Roles {
		if strings.HasPrefix(aws.ToString(r.RoleName), "kfaws-"+w.name) {
			t.Errorf("IAM role %s is still there after the resumed down", aws.ToString(r.RoleName))
		}
	}
	_, err = secretsmanager.NewFromConfig(w.cfg).DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(w.name + "-rds")})
	if err == nil {
		t.Error("--force-delete-secrets left the RDS secret")
	}
}
