package csidriver

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kfaws/kfaws/internal/apply"
)

// v154Objects are the objects kfaws applied with driver v1.5.4 and provider
// 2.1.0: no token requests, the older images, the provider minting tokens,
// and the driver's rotation and token request roles.
func v154Objects(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	objs, err := Objects("")
	if err != nil {
		t.Fatal(err)
	}
	old := map[string]string{
		driverImage.Ref(""):    "registry.k8s.io/csi-secrets-store/driver:v1.5.4",
		registrarImage.Ref(""): "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.13.0",
		livenessImage.Ref(""):  "registry.k8s.io/sig-storage/livenessprobe:v2.15.0",
		providerImage.Ref(""):  "public.ecr.aws/aws-secrets-manager/secrets-store-csi-driver-provider-aws:2.1.0",
	}
	for _, u := range objs {
		switch {
		case u.GetKind() == "CSIDriver":
			unstructured.RemoveNestedField(u.Object, "spec", "tokenRequests")
		case u.GetKind() == "DaemonSet":
			cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
			for _, c := range cs {
				m := c.(map[string]any)
				m["image"] = old[m["image"].(string)]
			}
			_ = unstructured.SetNestedSlice(u.Object, cs, "spec", "template", "spec", "containers")
			if u.GetName() == providerDS {
				unstructured.RemoveNestedField(u.Object, "spec", "template", "spec", "tolerations")
			}
		case u.GetKind() == "ClusterRole" && u.GetName() == providerRole:
			rules, _, _ := unstructured.NestedSlice(u.Object, "rules")
			token := map[string]any{"apiGroups": []any{""}, "resources": []any{"serviceaccounts/token"}, "verbs": []any{"create"}}
			_ = unstructured.SetNestedSlice(u.Object, append([]any{token}, rules...), "rules")
		}
	}
	for _, r := range []struct{ name, resource, verbs string }{
		{"secretproviderrotation-role", "secrets", "get,list,watch"},
		{"secretprovidertokenrequest-role", "serviceaccounts/token", "create"},
	} {
		role := &rbacv1.ClusterRole{TypeMeta: typeMeta("rbac.authorization.k8s.io/v1", "ClusterRole"),
			ObjectMeta: metav1.ObjectMeta{Name: r.name},
			Rules:      []rbacv1.PolicyRule{rule("", []string{r.resource}, strings.Split(r.verbs, ",")...)}}
		for _, o := range []runtime.Object{role, clusterRoleBinding(r.name+"binding", r.name, driverSA)} {
			m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
	return objs
}

func TestUpgradeFromDriver154AndProvider210(t *testing.T) {
	c := env.Client(t)
	ctx := context.Background()
	const installation = "csi-upgrade"
	old := &apply.Applier{Client: c, Installation: installation}
	if _, err := old.Apply(ctx, v154Objects(t)); err != nil {
		t.Fatalf("applying the v1.5.4 objects: %v", err)
	}
	defer func() { _, _ = (&apply.Remover{Client: c, Installation: installation}).Remove(ctx) }()
	before, err := c.Dynamic.Resource(csiDriverGVR).Get(ctx, DriverName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Someone else's object under a retired name is not kfaws's to delete.
	foreign := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": "secretprovidertokenrequest-rolebinding"},
	}}
	if err := c.Dynamic.Resource(clusterRoleBindingsGVR).Delete(ctx, foreign.GetName(), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	foreign.Object["roleRef"] = map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "someone-elses"}
	if _, err := c.Dynamic.Resource(clusterRoleBindingsGVR).Create(ctx, foreign, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = c.Dynamic.Resource(clusterRoleBindingsGVR).Delete(ctx, foreign.GetName(), metav1.DeleteOptions{})
	}()

	progress := &strings.Builder{}
	in := &Installer{Client: c, Installation: installation, Method: Manifests, Progress: progress}
	res, err := in.Run(ctx)
	if err != nil {
		t.Fatalf("upgrade: %v\n%s", err, progress)
	}
	if res.Method != Manifests || res.Apply.Count(apply.Configured) == 0 {
		t.Errorf("upgrade: method %s, %+v", res.Method, res.Apply.Objects)
	}

	after, err := c.Dynamic.Resource(csiDriverGVR).Get(ctx, DriverName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.GetUID() != before.GetUID() {
		t.Errorf("the CSIDriver was recreated (uid %s → %s); pods' mounts refer to it", before.GetUID(), after.GetUID())
	}
	if got := audiences(after); strings.Join(got, ",") != AudienceIRSA+","+AudiencePodIdentity {
		t.Errorf("CSIDriver tokenRequests audiences = %v", got)
	}
	for ds, want := range map[string][]string{
		driverDS:   {registrarImage.Ref(""), driverImage.Ref(""), livenessImage.Ref("")},
		providerDS: {providerImage.Ref("")},
	} {
		u, err := c.Dynamic.Resource(schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}).
			Namespace(Namespace).Get(ctx, ds, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := containerImages(u); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("DaemonSet %s images = %v, want %v", ds, got, want)
		}
	}
	role, err := c.Dynamic.Resource(clusterRolesGVR).Get(ctx, providerRole, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rules, _, _ := unstructured.NestedSlice(role.Object, "rules"); len(rules) != len(providerRules()) {
		t.Errorf("provider ClusterRole keeps %d rules, want %d (no token minting): %v", len(rules), len(providerRules()), rules)
	}
	for _, r := range retiredObjects {
		_, err := c.Dynamic.Resource(r.gvr).Get(ctx, r.name, metav1.GetOptions{})
		if r.name == foreign.GetName() {
			if err != nil {
				t.Errorf("someone else's %s %q deleted: %v", r.gvr.Resource, r.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("retired %s %q still there after the upgrade", r.gvr.Resource, r.name)
		}
	}

	res, err = in.Run(ctx)
	if err != nil {
		t.Fatalf("re-run after upgrade: %v", err)
	}
	if got, objs := res.Apply.Count(apply.Unchanged), len(res.Apply.Objects); got != objs {
		t.Errorf("re-run after upgrade: %d of %d unchanged", got, objs)
	}
}

func audiences(csiDriver *unstructured.Unstructured) []string {
	trs, _, _ := unstructured.NestedSlice(csiDriver.Object, "spec", "tokenRequests")
	var out []string
	for _, tr := range trs {
		a, _ := tr.(map[string]any)["audience"].(string)
		out = append(out, a)
	}
	return out
}

func containerImages(ds *unstructured.Unstructured) []string {
	cs, _, _ := unstructured.NestedSlice(ds.Object, "spec", "template", "spec", "containers")
	var out []string
	for _, c := range cs {
		img, _ := c.(map[string]any)["image"].(string)
		out = append(out, img)
	}
	return out
}
