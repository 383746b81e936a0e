package apply

import (
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Stage is one step of an install. Objects of a stage are applied together;
// the next stage starts only when the previous one has converged.
type Stage int

// The stages, in apply order. CRDs must be Established before anything that
// uses their kinds; namespaces before what lives in them; webhook
// configurations and APIServices last, so that they cannot intercept objects of
// the same install while their backing Services have no endpoints yet.
const (
	StageCRDs Stage = iota
	StageNamespaces
	StageObjects
	StageWebhooks
)

func (s Stage) String() string {
	switch s {
	case StageCRDs:
		return "custom resource definitions"
	case StageNamespaces:
		return "namespaces"
	case StageObjects:
		return "objects"
	default:
		return "webhooks and API services"
	}
}

// StageOf places an object in its stage.
func StageOf(u *unstructured.Unstructured) Stage {
	gvk := u.GroupVersionKind()
	switch {
	case gvk.Group == "apiextensions.k8s.io" && gvk.Kind == "CustomResourceDefinition":
		return StageCRDs
	case gvk.Group == "" && gvk.Kind == "Namespace":
		return StageNamespaces
	case gvk.Group == "admissionregistration.k8s.io",
		gvk.Group == "apiregistration.k8s.io" && gvk.Kind == "APIService":
		return StageWebhooks
	}
	return StageObjects
}

// kindRank orders kinds inside a stage for output and for removal: what
// others refer to comes first. Unknown kinds (custom resources) come last.
var kindRank = map[string]int{
	"Namespace": 0, "ResourceQuota": 1, "LimitRange": 2, "PriorityClass": 3, "NetworkPolicy": 4,
	"ServiceAccount": 5, "Secret": 6, "ConfigMap": 7, "StorageClass": 8, "PersistentVolume": 9,
	"PersistentVolumeClaim": 10, "CustomResourceDefinition": 11, "ClusterRole": 12, "ClusterRoleBinding": 13,
	"Role": 14, "RoleBinding": 15, "CSIDriver": 16, "Service": 17, "DaemonSet": 18, "Pod": 19,
	"ReplicaSet": 20, "Deployment": 21, "StatefulSet": 22, "Job": 23, "CronJob": 24,
	"PodDisruptionBudget": 25, "HorizontalPodAutoscaler": 26, "Ingress": 27,
}

func rankOf(u *unstructured.Unstructured) int {
	if r, ok := kindRank[u.GetKind()]; ok && !isCustom(u) {
		return r
	}
	return len(kindRank)
}

// isCustom reports whether an object's group is not a built-in one, which
// makes it an instance of some CRD (a guess that is right for every object an
// install of KFP and Katib carries).
func isCustom(u *unstructured.Unstructured) bool {
	g := u.GroupVersionKind().Group
	switch g {
	case "", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io", "policy", "storage.k8s.io",
		"scheduling.k8s.io", "autoscaling", "apiextensions.k8s.io", "admissionregistration.k8s.io",
		"apiregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io":
		return false
	}
	return true
}

// Staged splits objects into stages, each sorted by kind rank, kind,
// namespace and name, so output and apply order are stable.
func Staged(objs []*unstructured.Unstructured) [][]*unstructured.Unstructured {
	stages := make([][]*unstructured.Unstructured, StageWebhooks+1)
	for _, u := range objs {
		s := StageOf(u)
		stages[s] = append(stages[s], u)
	}
	for _, s := range stages {
		sortObjects(s)
	}
	return stages
}

func sortObjects(objs []*unstructured.Unstructured) {
	sort.SliceStable(objs, func(i, j int) bool {
		a, b := objs[i], objs[j]
		if ra, rb := rankOf(a), rankOf(b); ra != rb {
			return ra < rb
		}
		if a.GetKind() != b.GetKind() {
			return a.GetKind() < b.GetKind()
		}
		if a.GetNamespace() != b.GetNamespace() {
			return a.GetNamespace() < b.GetNamespace()
		}
		return a.GetName() < b.GetName()
	})
}
