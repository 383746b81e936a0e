package migrate

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// ForwardService opens a port-forward from 127.0.0.1 to a running, ready pod behind the Service's port, as
// `kubectl port-forward svc/NAME PORT` does, and returns the local address and how to stop it.
func ForwardService(ctx context.Context, c *dbaccess.Cluster, service string, port int32) (string, func(), error) {
	ns := kubeflow.Namespace
	svc, err := c.Clientset.CoreV1().Services(ns).Get(ctx, service, metav1.GetOptions{})
	if err != nil {
		return "", nil, fmt.Errorf("reading Service %s/%s: %w", ns, service, err)
	}
	target, err := targetPort(svc, port)
	if err != nil {
		return "", nil, err
	}
	pods, err := c.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(svc.Spec.Selector).String()})
	if err != nil {
		return "", nil, fmt.Errorf("listing the pods of Service %s/%s: %w", ns, service, err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if !ready(p) {
			continue
		}
		n, err := containerPort(p, target)
		if err != nil {
			return "", nil, err
		}
		return dbaccess.Forward(c, ns, p.Name, n)
	}
	return "", nil, fmt.Errorf("service %s/%s has no running, ready pod to read from: start it (kubectl -n %s get pods -l %s), "+
		"or give its address", ns, service, ns, labels.SelectorFromSet(svc.Spec.Selector))
}

func targetPort(svc *corev1.Service, port int32) (intstr.IntOrString, error) {
	for _, p := range svc.Spec.Ports {
		if p.Port == port {
			if p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == 0 {
				return intstr.FromInt32(p.Port), nil
			}
			return p.TargetPort, nil
		}
	}
	if len(svc.Spec.Ports) == 1 {
		return svc.Spec.Ports[0].TargetPort, nil
	}
	return intstr.IntOrString{}, fmt.Errorf("service %s/%s has no port %d", svc.Namespace, svc.Name, port)
}

// containerPort resolves a named target port against the pod's containers.
func containerPort(p *corev1.Pod, target intstr.IntOrString) (int, error) {
	if target.Type == intstr.Int {
		return int(target.IntVal), nil
	}
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == target.StrVal {
				return int(cp.ContainerPort), nil
			}
		}
	}
	return 0, fmt.Errorf("pod %s/%s has no container port named %q", p.Namespace, p.Name, target.StrVal)
}

func ready(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
