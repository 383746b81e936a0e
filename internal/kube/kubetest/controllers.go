package kubetest

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/kube"
)

// ActAsControllers stands in, until ctx ends, for the kube-controller-manager and kubelets this test apiserver
// lacks, on the objects selector matches ("" for all):
//   - Deployments, StatefulSets and DaemonSets are reported ready with all their replicas (DaemonSets on one node),
//     as their controllers would once the kubelets run the pods, so readiness waits can finish;
//   - terminating namespaces are finalized, the namespace controller's last step (callers delete the contents);
//   - deleted PersistentVolumeClaims are let go of, as the pvc-protection controller does when no pod uses them.
func ActAsControllers(ctx context.Context, tb testing.TB, c *kube.Client, selector string) {
	tb.Helper()
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		tb.Fatal(err)
	}
	go func() {
		opts := metav1.ListOptions{LabelSelector: selector}
		for ctx.Err() == nil {
			markDeployments(ctx, cs, opts)
			markStatefulSets(ctx, cs, opts)
			markDaemonSets(ctx, cs, opts)
			finalizeNamespaces(ctx, cs, opts)
			releasePVCs(ctx, cs, opts)
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
}

// Errors in these steps are ignored: the loop tries again, and a test that waits on the result reports it.

func markDeployments(ctx context.Context, cs kubernetes.Interface, opts metav1.ListOptions) {
	list, err := cs.AppsV1().Deployments("").List(ctx, opts)
	if err != nil {
		return
	}
	for i := range list.Items {
		d := &list.Items[i]
		if d.Status.ObservedGeneration == d.Generation && d.Status.AvailableReplicas > 0 {
			continue
		}
		n := replicas(d.Spec.Replicas)
		d.Status.ObservedGeneration = d.Generation
		d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = n, n, n, n
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}}
		_, _ = cs.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	}
}

func markStatefulSets(ctx context.Context, cs kubernetes.Interface, opts metav1.ListOptions) {
	list, err := cs.AppsV1().StatefulSets("").List(ctx, opts)
	if err != nil {
		return
	}
	for i := range list.Items {
		s := &list.Items[i]
		if s.Status.ObservedGeneration == s.Generation && s.Status.ReadyReplicas > 0 {
			continue
		}
		n := replicas(s.Spec.Replicas)
		s.Status.ObservedGeneration = s.Generation
		s.Status.Replicas, s.Status.ReadyReplicas, s.Status.UpdatedReplicas, s.Status.AvailableReplicas = n, n, n, n
		_, _ = cs.AppsV1().StatefulSets(s.Namespace).UpdateStatus(ctx, s, metav1.UpdateOptions{})
	}
}

func markDaemonSets(ctx context.Context, cs kubernetes.Interface, opts metav1.ListOptions) {
	list, err := cs.AppsV1().DaemonSets("").List(ctx, opts)
	if err != nil {
		return
	}
	for i := range list.Items {
		ds := &list.Items[i]
		if ds.Status.ObservedGeneration == ds.Generation && ds.Status.NumberAvailable == 1 {
			continue
		}
		ds.Status.ObservedGeneration = ds.Generation
		ds.Status.DesiredNumberScheduled, ds.Status.CurrentNumberScheduled = 1, 1
		ds.Status.UpdatedNumberScheduled, ds.Status.NumberReady, ds.Status.NumberAvailable = 1, 1, 1
		_, _ = cs.AppsV1().DaemonSets(ds.Namespace).UpdateStatus(ctx, ds, metav1.UpdateOptions{})
	}
}

func finalizeNamespaces(ctx context.Context, cs kubernetes.Interface, opts metav1.ListOptions) {
	list, err := cs.CoreV1().Namespaces().List(ctx, opts)
	if err != nil {
		return
	}
	for i := range list.Items {
		ns := &list.Items[i]
		if ns.DeletionTimestamp != nil && len(ns.Spec.Finalizers) > 0 {
			ns.Spec.Finalizers = nil
			_, _ = cs.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
		}
	}
}

func releasePVCs(ctx context.Context, cs kubernetes.Interface, opts metav1.ListOptions) {
	list, err := cs.CoreV1().PersistentVolumeClaims("").List(ctx, opts)
	if err != nil {
		return
	}
	for i := range list.Items {
		p := &list.Items[i]
		if p.DeletionTimestamp != nil && len(p.Finalizers) > 0 {
			p.Finalizers = nil
			_, _ = cs.CoreV1().PersistentVolumeClaims(p.Namespace).Update(ctx, p, metav1.UpdateOptions{})
		}
	}
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
