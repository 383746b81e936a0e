package dbaccess

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"

	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/ownership"
)

// DefaultRelayImage is a small image with socat. Air-gapped clusters mirror it and pass --db-relay-image.
const DefaultRelayImage = "docker.io/alpine/socat:1.8.0.1"

// Labels on the relay pod: what kfaws puts on every object it applies, plus a component label.
const (
	LabelManagedBy    = ownership.LabelManagedBy
	LabelInstallation = ownership.LabelInstallation
	LabelComponent    = "kfaws.dev/component"
	RelayComponent    = "db-relay"
	relayPort         = 3306
)

// Relay is a pod that forwards one TCP port to the database endpoint, reached through a port-forward.
type Relay struct {
	// Namespace is where the pod runs; its pods must be allowed to reach RDS (the kubeflow namespace is).
	Namespace string
	// Image runs `socat`; default DefaultRelayImage.
	Image string
	// Installation labels the pod as this installation's.
	Installation string
	// Target is the endpoint host:port; Open sets it.
	Target string
	// StartTimeout bounds waiting for the pod to run; default 2m.
	StartTimeout time.Duration
	// Lifetime is the pod's activeDeadlineSeconds, so a relay outlives a killed kfaws by at most this; default 10m.
	Lifetime time.Duration
}

func (r Relay) withDefaults() Relay {
	if r.Namespace == "" {
		r.Namespace = kubeflow.Namespace
	}
	if r.Image == "" {
		r.Image = DefaultRelayImage
	}
	if r.StartTimeout == 0 {
		r.StartTimeout = 2 * time.Minute
	}
	if r.Lifetime == 0 {
		r.Lifetime = 10 * time.Minute
	}
	return r
}

// Pod builds the relay pod: one unprivileged socat container, no service account token, no Istio sidecar (it
// would intercept the MySQL stream), and a deadline after which the kubelet stops it whatever happens to kfaws.
func (r Relay) Pod() *corev1.Pod {
	r = r.withDefaults()
	deadline := int64(r.Lifetime.Seconds())
	no, yes := false, true
	uid := int64(65534)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "kfaws-db-relay-",
			Namespace:    r.Namespace,
			Labels: map[string]string{LabelManagedBy: ownership.ManagedByValue, LabelInstallation: r.Installation,
				LabelComponent: RelayComponent, "sidecar.istio.io/inject": "false"},
			Annotations: map[string]string{"sidecar.istio.io/inject": "false"},
		},
		Spec: corev1.PodSpec{
			RestartPolicy:                corev1.RestartPolicyNever,
			ActiveDeadlineSeconds:        &deadline,
			AutomountServiceAccountToken: &no,
			SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Containers: []corev1.Container{{
				Name:  "relay",
				Image: r.Image,
				Args:  []string{"TCP-LISTEN:" + strconv.Itoa(relayPort) + ",fork,reuseaddr", "TCP:" + r.Target},
				Ports: []corev1.ContainerPort{{Name: "mysql", ContainerPort: relayPort}},
				SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes,
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			}},
		},
	}
}

// Create creates the relay pod and returns it (with its generated name).
func (r Relay) Create(ctx context.Context, c *Cluster) (*corev1.Pod, error) {
	p := r.Pod()
	out, err := c.Clientset.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{FieldManager: "kfaws"})
	if err != nil {
		return nil, fmt.Errorf("creating the database relay pod in namespace %q: %w", p.Namespace, err)
	}
	return out, nil
}

// Delete removes the relay pod at once; already gone is success.
func (r Relay) Delete(ctx context.Context, c *Cluster, name string) error {
	ns := r.withDefaults().Namespace
	zero := int64(0)
	err := c.Clientset.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the database relay pod %q in namespace %q: %w", name, ns, err)
	}
	return nil
}

// WaitRunning waits until the pod runs, up to StartTimeout.
func (r Relay) WaitRunning(ctx context.Context, c *Cluster, name string) error {
	r = r.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, r.StartTimeout)
	defer cancel()
	last := "Pending"
	notRunning := func() error {
		return fmt.Errorf("the database relay pod %q in namespace %q was not running after %s (phase %s; "+
			"can the cluster pull %q? mirror it and pass --db-relay-image)", name, r.Namespace, r.StartTimeout, last, r.Image)
	}
	w, err := c.Clientset.CoreV1().Pods(r.Namespace).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	if err != nil {
		if ctx.Err() != nil {
			return notRunning()
		}
		return fmt.Errorf("watching the database relay pod %q: %w", name, err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return notRunning()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return fmt.Errorf("watch of the database relay pod %q ended", name)
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod {
				continue
			}
			last = string(p.Status.Phase)
			switch p.Status.Phase {
			case corev1.PodRunning:
				return nil
			case corev1.PodFailed, corev1.PodSucceeded:
				return fmt.Errorf("the database relay pod %q ended (phase %s)", name, p.Status.Phase)
			}
		}
	}
}

// Start creates the pod, waits for it and forwards a local port to it. The cleanup it returns stops the
// forward and deletes the pod; on error nothing is left behind.
func (r Relay) Start(ctx context.Context, c *Cluster) (string, func(), error) {
	r = r.withDefaults()
	p, err := r.Create(ctx, c)
	if err != nil {
		return "", nil, err
	}
	remove := func() {
		// A fresh context: cleanup must run even when the caller's was cancelled.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = r.Delete(dctx, c, p.Name)
	}
	if err := r.WaitRunning(ctx, c, p.Name); err != nil {
		remove()
		return "", nil, err
	}
	local, stop, err := Forward(c, r.Namespace, p.Name, relayPort)
	if err != nil {
		remove()
		return "", nil, err
	}
	return local, func() { stop(); remove() }, nil
}

// Forward opens a port-forward from a free port on 127.0.0.1 to port of the pod, as kubectl port-forward does,
// and returns the local address and a function that stops it.
func Forward(c *Cluster, ns, pod string, port int) (string, func(), error) {
	transport, upgrader, err := spdy.RoundTripperFor(c.Config)
	if err != nil {
		return "", nil, fmt.Errorf("setting up the port-forward: %w", err)
	}
	u, err := url.Parse(strings.TrimSuffix(c.Config.Host, "/") + c.Config.APIPath)
	if err != nil {
		return "", nil, fmt.Errorf("parsing the API server address %q: %w", c.Config.Host, err)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + fmt.Sprintf("/api/v1/namespaces/%s/pods/%s/portforward", ns, pod)
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)
	stop, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)},
		stop, ready, io.Discard, io.Discard)
	if err != nil {
		return "", nil, fmt.Errorf("port-forwarding to pod %q: %w", pod, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-errc:
		return "", nil, fmt.Errorf("port-forwarding to pod %q: %w", pod, err)
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		close(stop)
		return "", nil, fmt.Errorf("port-forwarding to pod %q: no local port", pod)
	}
	local := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(ports[0].Local)))
	return local, func() { close(stop) }, nil
}
