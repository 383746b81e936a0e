package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

type kfawsRun struct {
	apply, reapply, remove time.Duration
	retries                int
	objects, unchanged     int
}

func measureKfaws(ctx context.Context, c *kube.Client, objs []*unstructured.Unstructured, timeout time.Duration) (kfawsRun, error) {
	var r kfawsRun
	a := &apply.Applier{Client: c, Installation: "bench", Timeout: timeout}
	start := time.Now()
	if err := apply.Preflight(ctx, c, objs); err != nil {
		return r, err
	}
	res, err := a.Apply(ctx, objs)
	if err != nil {
		return r, fmt.Errorf("kfaws apply: %w", err)
	}
	r.apply, r.retries, r.objects = time.Since(start), res.Retries, len(objs)

	start = time.Now()
	res, err = a.Apply(ctx, objs)
	if err != nil {
		return r, fmt.Errorf("kfaws re-apply: %w", err)
	}
	r.reapply, r.unchanged = time.Since(start), res.Count(apply.Unchanged)

	// No kube-controller-manager here: the bench finalizes emptied namespaces
	// as the namespace controller would.
	nsCtx, stop := context.WithCancel(ctx)
	defer stop()
	go finalizeNamespaces(nsCtx, c)
	start = time.Now()
	if _, err := (&apply.Remover{Client: c, Installation: "bench", Timeout: timeout}).Remove(ctx); err != nil {
		return r, fmt.Errorf("kfaws removal: %w", err)
	}
	r.remove = time.Since(start)
	return r, nil
}

func finalizeNamespaces(ctx context.Context, c *kube.Client) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return
	}
	for ctx.Err() == nil {
		list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if err == nil {
			for i := range list.Items {
				ns := &list.Items[i]
				if ns.DeletionTimestamp != nil && len(ns.Spec.Finalizers) > 0 {
					ns.Spec.Finalizers = nil
					_, _ = cs.CoreV1().Namespaces().Finalize(ctx, ns, metav1.UpdateOptions{})
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type kubectlRun struct {
	total, kubectl time.Duration
	attempts       int
	firstError     string // the last line kubectl printed on its first failure
}

// measureKubectl runs the guide's loop: apply everything, and on failure sleep
// and apply everything again.
func measureKubectl(ctx context.Context, o options, kubeconfig string, doc []byte) (kubectlRun, error) {
	var r kubectlRun
	file := filepath.Join(filepath.Dir(kubeconfig), "all.yaml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		return r, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	start := time.Now()
	for {
		r.attempts++
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, o.kubectl, "--kubeconfig", kubeconfig, "apply", "-f", file)
		cmd.Stderr = &stderr
		t := time.Now()
		err := cmd.Run()
		r.kubectl += time.Since(t)
		if err == nil {
			r.total = time.Since(start)
			return r, nil
		}
		if r.firstError == "" {
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			r.firstError = lines[len(lines)-1]
		}
		if ctx.Err() != nil {
			return r, fmt.Errorf("kubectl loop did not converge in %v: %s", o.timeout, stderr.String())
		}
		select {
		case <-ctx.Done():
		case <-time.After(o.sleep):
		}
	}
}

// prerequisites installs what a real cluster has before KFP and Katib: the
// cert-manager, Istio and Secrets Store CSI CRDs, and the namespaces the
// objects use without creating (Kubeflow's common components make them).
func prerequisites(ctx context.Context, c *kube.Client, objs []*unstructured.Unstructured) error {
	var crds []*unstructured.Unstructured
	for _, f := range []string{"internal/kube/kubetest/testdata/cert-manager-crds.yaml", "internal/kube/kubetest/testdata/istio-crds.yaml"} {
		p, err := repoFile(f)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		objs, err := apply.Decode(bytes.NewReader(data), p)
		if err != nil {
			return err
		}
		crds = append(crds, objs...)
	}
	csi, err := csidriver.Objects("")
	if err != nil {
		return err
	}
	for _, u := range csi {
		if apply.StageOf(u) == apply.StageCRDs {
			crds = append(crds, u)
		}
	}
	for _, u := range crds {
		if _, err := c.Dynamic.Resource(crdGVR).Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "cluster-setup"}); err != nil {
			return fmt.Errorf("CRD %q: %w", u.GetName(), err)
		}
	}
	if err := namespacesFor(ctx, c, objs); err != nil {
		return err
	}
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, u := range crds {
			got, err := c.Dynamic.Resource(crdGVR).Get(ctx, u.GetName(), metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			ok := false
			for _, cond := range conds {
				m, _ := cond.(map[string]any)
				ok = ok || (m["type"] == "Established" && m["status"] == "True")
			}
			if !ok {
				return false, nil
			}
		}
		return true, nil
	})
}

func namespacesFor(ctx context.Context, c *kube.Client, objs []*unstructured.Unstructured) error {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	defined := map[string]bool{}
	for _, u := range objs {
		if u.GetKind() == "Namespace" {
			defined[u.GetName()] = true
		}
	}
	for _, u := range objs {
		ns := u.GetNamespace()
		if ns == "" || defined[ns] {
			continue
		}
		defined[ns] = true
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("namespace %q: %w", ns, err)
		}
	}
	return nil
}
