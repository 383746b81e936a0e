package dbaccess_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
)

var env kubetest.Env

func TestMain(m *testing.M) { kubetest.Main(m, &env) }

func TestRelayPod(t *testing.T) {
	p := dbaccess.Relay{Installation: "demo", Target: "db.example.rds.amazonaws.com:3306", Image: "mirror.example/socat:1"}.Pod()
	if p.Namespace != "kubeflow" || p.GenerateName == "" {
		t.Errorf("namespace/name: %q %q", p.Namespace, p.GenerateName)
	}
	for k, v := range map[string]string{dbaccess.LabelManagedBy: "kfaws", dbaccess.LabelInstallation: "demo",
		dbaccess.LabelComponent: dbaccess.RelayComponent} {
		if p.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, p.Labels[k], v)
		}
	}
	c := p.Spec.Containers[0]
	if c.Image != "mirror.example/socat:1" || strings.Join(c.Args, " ") != "TCP-LISTEN:3306,fork,reuseaddr TCP:db.example.rds.amazonaws.com:3306" {
		t.Errorf("container: %s %v", c.Image, c.Args)
	}
	if p.Spec.ActiveDeadlineSeconds == nil || *p.Spec.ActiveDeadlineSeconds <= 0 || p.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Error("the relay must end by itself (activeDeadlineSeconds, restartPolicy Never)")
	}
	if p.Spec.AutomountServiceAccountToken == nil || *p.Spec.AutomountServiceAccountToken ||
		c.SecurityContext == nil || *c.SecurityContext.AllowPrivilegeEscalation || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("the relay must run without a token, privilege escalation or a writable root")
	}
}

func cluster(t *testing.T) *dbaccess.Cluster {
	cfg := env.Config(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	// From v1.11 the kubeflow namespace enforces Pod Security restricted: the relay pod must be admitted there.
	kubetest.SetPodSecurity(context.Background(), t, cs, "kubeflow", "restricted")
	return &dbaccess.Cluster{Config: cfg, Clientset: cs}
}

func relayPods(t *testing.T, c *dbaccess.Cluster) []corev1.Pod {
	t.Helper()
	l, err := c.Clientset.CoreV1().Pods("kubeflow").List(context.Background(), metav1.ListOptions{
		LabelSelector: dbaccess.LabelComponent + "=" + dbaccess.RelayComponent})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// The apiserver has no kubelet, so the pod never runs: this proves creation, labels and removal, not the
// port-forward (which needs a kubelet to stream to).
func TestRelayLifecycle(t *testing.T) {
	ctx := context.Background()
	c := cluster(t)
	r := dbaccess.Relay{Installation: "demo", Target: "db.example:3306", StartTimeout: 2 * time.Second}

	p, err := r.Create(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Delete(context.Background(), c, p.Name) })
	got := relayPods(t, c)
	if len(got) != 1 || got[0].Name != p.Name || got[0].Labels[dbaccess.LabelManagedBy] != "kfaws" {
		t.Fatalf("created pods: %+v", got)
	}
	err = r.WaitRunning(ctx, c, p.Name)
	if err == nil || !strings.Contains(err.Error(), "not running after 2s") || !strings.Contains(err.Error(), "--db-relay-image") {
		t.Fatalf("WaitRunning: %v", err)
	}
	if err := r.Delete(ctx, c, p.Name); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, c, p.Name); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
	if got := relayPods(t, c); len(got) != 0 {
		t.Fatalf("pods left: %d", len(got))
	}
}

// Open falls back to the relay when the endpoint does not answer, and removes the relay when it cannot start.
func TestOpenRelayFailsCleanly(t *testing.T) {
	ctx := context.Background()
	c := cluster(t)
	_, err := dbaccess.Open(ctx, dbaccess.Target{Host: "127.0.0.1", Port: 1, User: "u"},
		dbaccess.Options{Cluster: c, Relay: dbaccess.Relay{Installation: "demo", StartTimeout: time.Second}})
	var ue *dbaccess.UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "relay: the database relay pod") {
		t.Fatalf("got %v, want an UnreachableError naming the relay", err)
	}
	if got := relayPods(t, c); len(got) != 0 {
		t.Fatalf("relay pods left behind: %d", len(got))
	}
}

func TestOpenRelayDisabled(t *testing.T) {
	c := cluster(t)
	_, err := dbaccess.Open(context.Background(), dbaccess.Target{Host: "127.0.0.1", Port: 1, User: "u"},
		dbaccess.Options{Cluster: c, NoRelay: true})
	if err == nil || !strings.Contains(err.Error(), "relay: disabled") || len(relayPods(t, c)) != 0 {
		t.Fatalf("got %v", err)
	}
}

func TestOpenNoPath(t *testing.T) {
	_, err := dbaccess.Open(context.Background(), dbaccess.Target{Host: "127.0.0.1", Port: 1, User: "u"}, dbaccess.Options{})
	var ue *dbaccess.UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "no cluster access") {
		t.Fatalf("got %v", err)
	}
}
