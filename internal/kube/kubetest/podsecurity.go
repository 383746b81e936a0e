package kubetest

import (
	"context"
	"fmt"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// EnforceLabel is the namespace label whose value is the Pod Security level the API server enforces there.
const EnforceLabel = psapi.EnforceLevelLabel

// templatePaths is where each workload kind keeps the pod template the API server's PodSecurity admission checks.
var templatePaths = map[string][]string{
	"Pod":         nil,
	"Deployment":  {"spec", "template"},
	"StatefulSet": {"spec", "template"},
	"DaemonSet":   {"spec", "template"},
	"ReplicaSet":  {"spec", "template"},
	"Job":         {"spec", "template"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template"},
}

// PodTemplate returns the pod metadata and spec of a workload object, and false for kinds that hold none.
func PodTemplate(u *unstructured.Unstructured) (*corev1.Pod, bool, error) {
	path, ok := templatePaths[u.GetKind()]
	if !ok {
		return nil, false, nil
	}
	tmpl := u.Object
	if path != nil {
		m, found, err := unstructured.NestedMap(u.Object, path...)
		if err != nil {
			return nil, false, fmt.Errorf("%s %q: pod template at %v: %w", u.GetKind(), u.GetName(), path, err)
		}
		if !found {
			return nil, false, fmt.Errorf("%s %q has no pod template at %v", u.GetKind(), u.GetName(), path)
		}
		tmpl = m
	}
	var p corev1.Pod
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(tmpl, &p); err != nil {
		return nil, false, fmt.Errorf("%s %q: pod template: %w", u.GetKind(), u.GetName(), err)
	}
	return &p, true, nil
}

// PodSecurityViolations evaluates a workload's pod template with the Pod Security admission policy code the API
// server runs, at level ("privileged", "baseline" or "restricted"; "" means privileged) and the latest policy
// version, and returns one line per failed check. Kinds without a pod template have none.
func PodSecurityViolations(u *unstructured.Unstructured, level string) ([]string, error) {
	if level == "" {
		level = string(psapi.LevelPrivileged)
	}
	lv, err := psapi.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	p, ok, err := PodTemplate(u)
	if err != nil || !ok {
		return nil, err
	}
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range eval.EvaluatePod(psapi.LevelVersion{Level: lv, Version: psapi.LatestVersion()}, &p.ObjectMeta, &p.Spec) {
		if !r.Allowed {
			out = append(out, fmt.Sprintf("%s: %s", r.ForbiddenReason, r.ForbiddenDetail))
		}
	}
	sort.Strings(out)
	return out, nil
}

// SetPodSecurity creates namespace name if needed and sets the Pod Security level the API server enforces there
// ("" removes the label, as releases up to v1.9 have it).
func SetPodSecurity(ctx context.Context, tb testing.TB, cs kubernetes.Interface, name, level string) {
	tb.Helper()
	EnsureNamespace(ctx, tb, cs, name)
	ns, err := cs.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	delete(ns.Labels, EnforceLabel)
	if level != "" {
		ns.Labels[EnforceLabel] = level
	}
	if _, err := cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		tb.Fatalf("labelling namespace %q with Pod Security %q: %v", name, level, err)
	}
}
