package operation_test

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/render/rendertest"
)

// TestUpgradeSnapshotsFirstAndDowngradeIsRefused runs an upgrade between two synthetic releases on the local stack
// and a real apiserver: up installs v1.10 (KFP 2.5.0) and takes no snapshot (nothing of KFP ran); apply of v1.11
// (KFP 2.15.0, static S3 keys as kubeflow/pipelines#12508 requires) takes an RDS snapshot that is available
// before the first object changes; v1.10 again is refused as bad input by apply and by up --manifests (before
// AWS), changing nothing; v1.11 again takes no snapshot.
func TestUpgradeSnapshotsFirstAndDowngradeIsRefused(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	k := env.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kubetest.InstallPrerequisites(t, k)
	kubetest.ActAsControllers(ctx, t, k, "")
	cs := kubernetes.NewForConfigOrDie(k.Config)
	kubetest.EnsureNamespace(ctx, t, cs, kubeflow.Namespace)
	in := newInstall(t, func(c *config.Config) {
		c.CSIDriver = config.CSIManifests
		c.S3.Credentials = config.CredentialsStatic
		c.S3.AccessKeyID, c.S3.SecretAccessKey = "AKIAEXAMPLEKEY000016", "static-secret-for-the-upgrade-test"
	})
	kubetest.CreateProfile(ctx, t, cs, in.cfg.IAM.ProfileNamespace)
	mirror := rendertest.ArgoMirror(t)
	applyTree := func(tree string, progress io.Writer) (*operation.ApplyResult, error) {
		conf := in.on(k)
		a := &operation.Apply{Configuration: conf, Wait: true, Timeout: 2 * time.Minute, Progress: progress,
			Render: &operation.Render{Configuration: conf, Manifests: rendertest.Tree(t, tree),
				GitMirrors: map[string]string{rendertest.ArgoRepo: mirror}}}
		return a.Run(ctx)
	}

	rec := &recorder{}
	res, err := (&operation.Up{Configuration: in.on(k), Reporter: rec, PollInterval: 20 * time.Millisecond,
		Cluster: clusterUp(t, io.Discard)}).Run(ctx)
	if err != nil {
		t.Fatalf("up with v1.10: %v\nevents:\n%s", err, rec)
	}
	if res.Apply.UpgradeSnapshot != "" || len(snapshots(ctx, t, in)) != 0 {
		t.Errorf("a fresh install took snapshot %q; snapshots: %v", res.Apply.UpgradeSnapshot, snapshots(ctx, t, in))
	}
	if v := runningKFP(ctx, t, cs); v != "2.5.0" {
		t.Fatalf("after v1.10 the cluster runs KFP %q, want 2.5.0", v)
	}

	// The moment the snapshot is reported available, it is, and no object of the cluster has changed yet.
	var seen []string
	installed := labelledVersions(t, k, in.cfg.Name)
	hook := &hookWriter{on: func(line string) {
		if !strings.HasPrefix(line, "✓ DB snapshot ") {
			return
		}
		name := strings.Fields(line)[3]
		unchanged := fmt.Sprint(labelledVersions(t, k, in.cfg.Name)) == fmt.Sprint(installed)
		seen = append(seen, fmt.Sprintf("%s %s, cluster KFP %s, objects unchanged %v", name,
			snapshotStatus(ctx, t, in, name), runningKFP(ctx, t, cs), unchanged))
	}}
	start := time.Now().UTC().Truncate(time.Second)
	ares, err := applyTree("v1.11", hook)
	if err != nil {
		t.Fatalf("apply of v1.11: %v\n%s", err, hook)
	}
	name := ares.UpgradeSnapshot
	t.Logf("apply of v1.11:\n%s", hook)
	prefix := in.cfg.RDS.InstanceName + "-pre-kfp-2-5-0-to-2-15-0-"
	if !strings.HasPrefix(name, prefix) {
		t.Fatalf("snapshot %q, want a name starting %q\n%s", name, prefix, hook)
	}
	if at, err := time.Parse("20060102-150405", strings.TrimPrefix(name, prefix)); err != nil || at.Before(start) || at.After(time.Now()) {
		t.Errorf("snapshot %q: its time %v is not when the apply ran (%v)", name, at, err)
	}
	if got := in.configuration().State.Snapshot().Outputs.UpgradeSnapshot; got != name {
		t.Errorf("the state records upgrade snapshot %q, want %q", got, name)
	}
	if want := []string{name + " available, cluster KFP 2.5.0, objects unchanged true"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("when the snapshot was reported: %v, want %v\n%s", seen, want, hook)
	}
	for _, want := range []string{"migrates its database schema with no way back", "aws rds restore-db-instance-from-db-snapshot " +
		"--db-instance-identifier " + in.cfg.RDS.InstanceName + "-restored --db-snapshot-identifier " + name,
		"--db-subnet-group-name " + in.cfg.RDS.SubnetGroupName} {
		if !strings.Contains(hook.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, hook)
		}
	}
	if v := runningKFP(ctx, t, cs); v != "2.15.0" {
		t.Errorf("after v1.11 the cluster runs KFP %q, want 2.15.0", v)
	}

	// Back to v1.10: refused before any change, naming both versions and the snapshot to restore.
	before := labelledVersions(t, k, in.cfg.Name)
	_, err = applyTree("v1.10", io.Discard)
	checkDowngrade(t, "apply of v1.10", err, name)
	t.Logf("apply of v1.10: %v", err)
	res, err = (&operation.Up{Configuration: in.on(k), Reporter: &recorder{}, PollInterval: 20 * time.Millisecond,
		Cluster: clusterUp(t, io.Discard)}).Run(ctx)
	checkDowngrade(t, "up --manifests v1.10", err, name)
	if res != nil && res.Apply != nil {
		t.Error("up applied objects after refusing the downgrade")
	}
	after := labelledVersions(t, k, in.cfg.Name)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the refused downgrade changed the cluster:\nbefore %v\nafter  %v", before, after)
	}

	// The same version again: nothing to protect.
	progress := &lockedBuffer{}
	if res, err := applyTree("v1.11", progress); err != nil || res.UpgradeSnapshot != "" {
		t.Errorf("re-apply of v1.11: %v, snapshot %q", err, res.UpgradeSnapshot)
	}
	if got := snapshots(ctx, t, in); len(got) != 1 || strings.Contains(progress.String(), "DB snapshot") {
		t.Errorf("snapshots after the same version again: %v, want only %s\n%s", got, name, progress)
	}
}

func checkDowngrade(t *testing.T, what string, err error, snapshot string) {
	t.Helper()
	if err == nil || operation.Classify(err) != operation.BadInput {
		t.Fatalf("%s: %v, want it refused as bad input", what, err)
	}
	for _, want := range []string{"KFP 2.5.0", "KFP 2.15.0", "nothing was changed", "kubeflow/pipelines#3636",
		"--db-snapshot-identifier " + snapshot, "--allow-downgrade"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: the refusal lacks %q:\n%v", what, want, err)
		}
	}
}

func runningKFP(ctx context.Context, t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	cm, err := cs.CoreV1().ConfigMaps(kubeflow.Namespace).Get(ctx, kubeflow.InstallConfig, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading the running KFP version: %v", err)
	}
	return cm.Data["appVersion"]
}

// snapshots are the names of the manual snapshots of the installation's instance.
func snapshots(ctx context.Context, t *testing.T, in *install) []string {
	t.Helper()
	out, err := in.clients.RDS.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{
		DBInstanceIdentifier: &in.cfg.RDS.InstanceName, SnapshotType: aws.String("manual")})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range out.DBSnapshots {
		names = append(names, aws.ToString(s.DBSnapshotIdentifier))
	}
	sort.Strings(names)
	return names
}

func snapshotStatus(ctx context.Context, t *testing.T, in *install, name string) string {
	t.Helper()
	out, err := in.clients.RDS.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: &name})
	if err != nil || len(out.DBSnapshots) != 1 {
		return fmt.Sprintf("not found (%v)", err)
	}
	return aws.ToString(out.DBSnapshots[0].Status)
}

// hookWriter keeps the progress and calls on with each line, in the writer's goroutine: what on reads happens
// before the operation goes on.
type hookWriter struct {
	lockedBuffer
	mu sync.Mutex
	on func(line string)
}

func (h *hookWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		h.on(line)
	}
	return h.lockedBuffer.Write(p)
}
