package migrate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/kubeflow"
)

// Writer is a Deployment stopped for the copy and the replicas it gets back.
type Writer struct {
	Name     string `json:"name"`
	Replicas int32  `json:"replicas"`
}

// RunningWriters lists the Deployments of kubeflow.Writers that run (more than zero replicas), in stopping order.
func RunningWriters(ctx context.Context, cs kubernetes.Interface) ([]Writer, error) {
	var out []Writer
	for _, name := range kubeflow.Writers {
		s, err := cs.AppsV1().Deployments(kubeflow.Namespace).GetScale(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("reading the replicas of Deployment %s/%s: %w", kubeflow.Namespace, name, err)
		}
		if s.Spec.Replicas > 0 {
			out = append(out, Writer{Name: name, Replicas: s.Spec.Replicas})
		}
	}
	return out, nil
}

// Stop scales the writers to zero and waits, up to timeout, until none of their pods is left. Scaling a
// Deployment kfaws finds already at zero is a no-op, so a resumed migration can call it again.
func Stop(ctx context.Context, cs kubernetes.Interface, ws []Writer, timeout time.Duration) error {
	for _, w := range ws {
		if err := scale(ctx, cs, w.Name, 0); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		left, err := podsLeft(ctx, cs, ws)
		if err != nil || len(left) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s these pods of the stopped writers still exist: %s; they may still write, so "+
				"nothing was copied (check them with kubectl -n %s get pods, then run kfaws migrate again)",
				timeout, strings.Join(left, ", "), kubeflow.Namespace)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// Start gives every writer its replicas back. It goes on past a failure, so one broken Deployment does not keep
// the others down, and returns every failure.
func Start(ctx context.Context, cs kubernetes.Interface, ws []Writer) error {
	var errs []error
	for i := len(ws) - 1; i >= 0; i-- {
		if err := scale(ctx, cs, ws[i].Name, ws[i].Replicas); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func scale(ctx context.Context, cs kubernetes.Interface, name string, replicas int32) error {
	deps := cs.AppsV1().Deployments(kubeflow.Namespace)
	s, err := deps.GetScale(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading the replicas of Deployment %s/%s: %w", kubeflow.Namespace, name, err)
	}
	if s.Spec.Replicas == replicas {
		return nil
	}
	s.Spec = autoscalingv1.ScaleSpec{Replicas: replicas}
	if _, err := deps.UpdateScale(ctx, name, s, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("scaling Deployment %s/%s to %d: %w", kubeflow.Namespace, name, replicas, err)
	}
	return nil
}

// podsLeft lists the pods still matching the writers' selectors.
func podsLeft(ctx context.Context, cs kubernetes.Interface, ws []Writer) ([]string, error) {
	var left []string
	for _, w := range ws {
		d, err := cs.AppsV1().Deployments(kubeflow.Namespace).Get(ctx, w.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading Deployment %s/%s: %w", kubeflow.Namespace, w.Name, err)
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return nil, fmt.Errorf("the selector of Deployment %s/%s: %w", kubeflow.Namespace, w.Name, err)
		}
		pods, err := cs.CoreV1().Pods(kubeflow.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			return nil, fmt.Errorf("listing the pods of Deployment %s/%s: %w", kubeflow.Namespace, w.Name, err)
		}
		for _, p := range pods.Items {
			left = append(left, p.Name)
		}
	}
	return left, nil
}
