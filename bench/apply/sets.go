package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/render"
)

// objectSet returns the objects to apply and a description of where they
// came from.
func objectSet(ctx context.Context, o options) ([]*unstructured.Unstructured, string, error) {
	if o.manifests == "" {
		objs := generated(o.namespaces, o.crds)
		return objs, fmt.Sprintf("generated KFP+Katib-shaped set (%d namespaces, %d CRDs)", o.namespaces, o.crds), nil
	}
	r := &render.Render{Manifests: o.manifests, Values: render.Values{
		Option: config.OptionRDSS3, Credentials: config.CredentialsIRSA, Region: "us-west-2",
		DBHost: "kubeflow-db.abcdefghij.us-west-2.rds.amazonaws.com", DBPort: 3306,
		RDSSecretName: "rds-secret", SecretsRoleARN: "arn:aws:iam::123456789012:role/bench-secrets-reader",
		Bucket: "bench-artifacts", S3SecretName: "s3-secret",
		BackendRoleARN:   "arn:aws:iam::123456789012:role/bench-kfp-backend",
		ProfileRoleARN:   "arn:aws:iam::123456789012:role/bench-kfp-profile",
		ProfileNamespace: "kubeflow-user-example-com",
	}}
	res, err := r.Run(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("rendering %q: %w", o.manifests, err)
	}
	data, err := res.YAML()
	if err != nil {
		return nil, "", err
	}
	objs, err := apply.Decode(bytes.NewReader(data), "rendered manifests")
	if err != nil {
		return nil, "", err
	}
	return objs, fmt.Sprintf("KFP %s + Katib %s rendered by internal/render from %s (rds-s3, irsa)",
		res.Layout.KFPVersion, res.Layout.KatibVersion, o.manifests), nil
}

func writeYAML(w io.Writer, objs []*unstructured.Unstructured) error {
	for _, u := range objs {
		data, err := yaml.Marshal(u.Object)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "---\n%s", data); err != nil {
			return err
		}
	}
	return nil
}

// repoFile finds a file of this repository from the working directory up.
func repoFile(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found above the working directory; run from the repository", rel)
		}
		dir = parent
	}
}

func obj(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	m := map[string]any{"apiVersion": apiVersion, "kind": kind}
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	m["metadata"] = md
	for k, v := range fields {
		m[k] = v
	}
	return &unstructured.Unstructured{Object: m}
}

// generated builds a set shaped like KFP+Katib (CRDs with an instance each,
// RBAC, config, Services, Deployments, Istio and cert-manager objects,
// webhooks) at a chosen size.
func generated(namespaces, crds int) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for i := range crds {
		group := fmt.Sprintf("g%d.bench.kubeflow.example", i)
		out = append(out, obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "things."+group, map[string]any{
			"spec": map[string]any{"group": group, "scope": "Namespaced",
				"names": map[string]any{"kind": "Thing", "listKind": "ThingList", "plural": "things", "singular": "thing"},
				"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
					"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}},
		}))
		out = append(out, obj(group+"/v1", "Thing", "bench-0", "default", map[string]any{"spec": map[string]any{"n": int64(i)}}))
	}
	for i := range 30 {
		name := fmt.Sprintf("bench-role-%d", i)
		out = append(out, obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", name, map[string]any{
			"rules": []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"configmaps"}, "verbs": []any{"get", "list"}}}}))
		out = append(out, obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", name, map[string]any{
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "sa-0", "namespace": "bench-0"}}}))
	}
	for n := range namespaces {
		out = append(out, namespaced(fmt.Sprintf("bench-%d", n))...)
	}
	for i := range 2 {
		for _, kind := range []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
			out = append(out, obj("admissionregistration.k8s.io/v1", kind, "", fmt.Sprintf("bench-%d", i), map[string]any{
				"webhooks": []any{map[string]any{"name": fmt.Sprintf("w%d.bench.kubeflow.example", i),
					"admissionReviewVersions": []any{"v1"}, "sideEffects": "None", "failurePolicy": "Fail",
					"clientConfig": map[string]any{"service": map[string]any{"name": "svc-0", "namespace": "bench-0", "path": "/validate"}},
					"rules": []any{map[string]any{"apiGroups": []any{"g0.bench.kubeflow.example"}, "apiVersions": []any{"v1"},
						"operations": []any{"CREATE"}, "resources": []any{"experiments"}}}}},
			}))
		}
	}
	return out
}

// namespaced is one namespace's 44 objects plus the namespace.
func namespaced(ns string) []*unstructured.Unstructured {
	out := []*unstructured.Unstructured{obj("v1", "Namespace", "", ns, nil)}
	add := func(count int, f func(i int) *unstructured.Unstructured) {
		for i := range count {
			out = append(out, f(i))
		}
	}
	add(5, func(i int) *unstructured.Unstructured {
		return obj("v1", "ServiceAccount", ns, fmt.Sprintf("sa-%d", i), nil)
	})
	add(8, func(i int) *unstructured.Unstructured {
		return obj("v1", "ConfigMap", ns, fmt.Sprintf("cm-%d", i), map[string]any{"data": map[string]any{"key": fmt.Sprint(i)}})
	})
	add(2, func(i int) *unstructured.Unstructured {
		return obj("v1", "Secret", ns, fmt.Sprintf("secret-%d", i), map[string]any{"stringData": map[string]any{"user": "u"}})
	})
	add(4, func(i int) *unstructured.Unstructured {
		return obj("rbac.authorization.k8s.io/v1", "Role", ns, fmt.Sprintf("role-%d", i), map[string]any{
			"rules": []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "verbs": []any{"get"}}}})
	})
	add(4, func(i int) *unstructured.Unstructured {
		return obj("rbac.authorization.k8s.io/v1", "RoleBinding", ns, fmt.Sprintf("role-%d", i), map[string]any{
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": fmt.Sprintf("role-%d", i)},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "sa-0", "namespace": ns}}})
	})
	add(8, func(i int) *unstructured.Unstructured {
		return obj("v1", "Service", ns, fmt.Sprintf("svc-%d", i), map[string]any{"spec": map[string]any{
			"selector": map[string]any{"app": fmt.Sprintf("app-%d", i)},
			"ports":    []any{map[string]any{"name": "http", "port": int64(80), "targetPort": int64(8080)}}}})
	})
	add(8, func(i int) *unstructured.Unstructured {
		labels := map[string]any{"app": fmt.Sprintf("app-%d", i)}
		return obj("apps/v1", "Deployment", ns, fmt.Sprintf("app-%d", i), map[string]any{"spec": map[string]any{
			"replicas": int64(1), "selector": map[string]any{"matchLabels": labels},
			"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": map[string]any{
				"serviceAccountName": "sa-0",
				"containers": []any{map[string]any{"name": "main", "image": "ghcr.io/kubeflow/bench:1.0",
					"envFrom": []any{map[string]any{"configMapRef": map[string]any{"name": "cm-0"}}}}}}}}})
	})
	add(2, func(i int) *unstructured.Unstructured {
		return obj("security.istio.io/v1beta1", "AuthorizationPolicy", ns, fmt.Sprintf("ap-%d", i), map[string]any{
			"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": fmt.Sprintf("app-%d", i)}}}})
	})
	add(2, func(i int) *unstructured.Unstructured {
		return obj("networking.istio.io/v1alpha3", "VirtualService", ns, fmt.Sprintf("vs-%d", i), map[string]any{
			"spec": map[string]any{"hosts": []any{"*"}, "http": []any{map[string]any{"route": []any{map[string]any{
				"destination": map[string]any{"host": fmt.Sprintf("svc-%d.%s.svc.cluster.local", i, ns)}}}}}}})
	})
	add(1, func(i int) *unstructured.Unstructured {
		return obj("cert-manager.io/v1", "Certificate", ns, fmt.Sprintf("cert-%d", i), map[string]any{
			"spec": map[string]any{"secretName": "cert", "issuerRef": map[string]any{"kind": "Issuer", "name": "selfsigned"}}})
	})
	return out
}
