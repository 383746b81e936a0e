package csidriver

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kfaws/kfaws/internal/apply"
)

//go:embed crds/*.yaml
var crdFS embed.FS

// Names of the objects, as the upstream manifests name them, so an install
// kfaws makes looks like the one the reference guide's manifests make.
const (
	driverSA       = "secrets-store-csi-driver"
	driverDS       = "csi-secrets-store"
	providerSA     = "csi-secrets-store-provider-aws"
	providerDS     = "csi-secrets-store-provider-aws"
	providerRole   = "csi-secrets-store-provider-aws-cluster-role"
	providerRB     = "csi-secrets-store-provider-aws-cluster-rolebinding"
	providersDir   = "/var/run/secrets-store-csi-providers"
	legacyProvDir  = "/etc/kubernetes/secrets-store-csi-providers"
	kubeletPodsDir = "/var/lib/kubelet/pods"
)

// Objects returns everything the manifests path installs: the driver's CRDs,
// RBAC (with secret syncing), CSIDriver and DaemonSet, and the AWS provider's
// RBAC and DaemonSet. mirror replaces the image registries (empty keeps them).
func Objects(mirror string) ([]*unstructured.Unstructured, error) {
	out, err := crds()
	if err != nil {
		return nil, err
	}
	typed := []runtime.Object{
		serviceAccount(driverSA),
		serviceAccount(providerSA),
		csiDriver(),
		driverDaemonSet(mirror),
		providerDaemonSet(mirror),
		&rbacv1.ClusterRole{TypeMeta: typeMeta("rbac.authorization.k8s.io/v1", "ClusterRole"),
			ObjectMeta: metav1.ObjectMeta{Name: providerRole}, Rules: providerRules()},
		clusterRoleBinding(providerRB, providerRole, providerSA),
	}
	for _, r := range driverRoles() {
		typed = append(typed, r, clusterRoleBinding(r.Name+"binding", r.Name, driverSA))
	}
	for _, o := range typed {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return nil, fmt.Errorf("converting %T: %w", o, err)
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	for _, u := range out {
		l := u.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		l["kfaws.dev/component"] = "secrets-store-csi-driver"
		u.SetLabels(l)
	}
	return out, nil
}

func crds() ([]*unstructured.Unstructured, error) {
	files, err := fs.Glob(crdFS, "crds/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		data, err := crdFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		objs, err := apply.Decode(bytes.NewReader(data), f)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

func serviceAccount(name string) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"),
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace}}
}

func clusterRoleBinding(name, role, sa string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: Namespace}},
	}
}

func rule(group string, resources []string, verbs ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{APIGroups: []string{group}, Resources: resources, Verbs: verbs}
}

// driverRoles are the driver's cluster roles: reading classes and pods and
// recording pod statuses; and creating and updating synced Secrets (secret
// syncing, which KFP's mysql-secret and mlpipeline-minio-artifact rely on).
// v1.6.0 dropped the rotation and token request roles (retiredObjects).
func driverRoles() []*rbacv1.ClusterRole {
	const group = "secrets-store.csi.x-k8s.io"
	all := []string{"create", "delete", "get", "list", "patch", "update", "watch"}
	driverRead := rule("storage.k8s.io", []string{"csidrivers"}, "get", "list", "watch")
	driverRead.ResourceNames = []string{DriverName}
	role := func(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{TypeMeta: typeMeta("rbac.authorization.k8s.io/v1", "ClusterRole"),
			ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
	}
	return []*rbacv1.ClusterRole{
		role("secretproviderclasses-role",
			rule("", []string{"events"}, "create", "patch"),
			rule("", []string{"pods"}, "get", "list", "watch"),
			rule(group, []string{"secretproviderclasses"}, "get", "list", "watch"),
			rule(group, []string{"secretproviderclasspodstatuses"}, all...),
			rule(group, []string{"secretproviderclasspodstatuses/status"}, "get", "patch", "update"),
			driverRead),
		role("secretprovidersyncing-role", rule("", []string{"secrets"}, all...)),
	}
}

// providerRules: from 3.0 the provider no longer creates tokens itself
// (provider-aws@3.1.1:deployment/aws-provider-installer.yaml).
func providerRules() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		rule("", []string{"serviceaccounts"}, "get"),
		rule("", []string{"pods"}, "get"),
		rule("", []string{"nodes"}, "get"),
	}
}

// csiDriver has the kubelet hand every mount a token for each audience the
// AWS provider may need, as provider 3.x requires of a driver installed
// without its Helm chart (provider-aws@3.1.1:README.md). requiresRepublish
// stays off like rotation (the driver chart ties it to enableSecretRotation).
func csiDriver() *storagev1.CSIDriver {
	return &storagev1.CSIDriver{
		TypeMeta:   typeMeta("storage.k8s.io/v1", "CSIDriver"),
		ObjectMeta: metav1.ObjectMeta{Name: DriverName},
		Spec: storagev1.CSIDriverSpec{
			PodInfoOnMount:       ptr.To(true),
			AttachRequired:       ptr.To(false),
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecycleEphemeral},
			TokenRequests:        []storagev1.TokenRequest{{Audience: AudienceIRSA}, {Audience: AudiencePodIdentity}},
		},
	}
}

func resources(cpuReq, memReq, cpuLim, memLim string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuReq), corev1.ResourceMemory: resource.MustParse(memReq)},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuLim), corev1.ResourceMemory: resource.MustParse(memLim)},
	}
}

func hostPath(name, path string, t corev1.HostPathType) corev1.Volume {
	hp := &corev1.HostPathVolumeSource{Path: path}
	if t != "" {
		hp.Type = ptr.To(t)
	}
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: hp}}
}

func daemonSet(name, sa string, spec corev1.PodSpec) *appsv1.DaemonSet {
	labels := map[string]string{"app": name}
	spec.ServiceAccountName = sa
	spec.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	return &appsv1.DaemonSet{
		TypeMeta:   typeMeta("apps/v1", "DaemonSet"),
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector:       &metav1.LabelSelector{MatchLabels: labels},
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType},
			Template:       corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
}
