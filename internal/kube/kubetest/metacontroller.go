package kubetest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/kube"
)

// HookDeployment names a metacontroller hook server: a Deployment whose container runs `python FILE` with the
// hook code and data mounted from ConfigMaps.
type HookDeployment struct {
	Namespace, Name string
}

// ActAsMetacontroller does, once, what metacontroller does for parent: it sends the hook the sync request body
// request (captured from metacontroller, with the live parent object put in place of the captured one), runs the
// hook the way the Deployment runs it (its code and mounted ConfigMaps as the cluster holds them, its environment
// with ConfigMap and Secret references resolved), and applies every object the hook answers with. It returns them.
func ActAsMetacontroller(ctx context.Context, tb testing.TB, c *kube.Client, hook HookDeployment, request []byte, parent *unstructured.Unstructured) []*unstructured.Unstructured {
	tb.Helper()
	cs := kubernetes.NewForConfigOrDie(c.Config)
	d, err := cs.AppsV1().Deployments(hook.Namespace).Get(ctx, hook.Name, metav1.GetOptions{})
	if err != nil {
		tb.Fatalf("reading the hook Deployment: %v", err)
	}
	spec := d.Spec.Template.Spec
	if len(spec.Containers) == 0 {
		tb.Fatalf("Deployment %s has no container", hook.Name)
	}
	ctr := spec.Containers[0]
	root := tb.TempDir()
	mountConfigMaps(ctx, tb, cs, hook.Namespace, spec, ctr, root)
	args := append(append([]string{}, ctr.Command...), ctr.Args...)
	script := ""
	for _, a := range args {
		if strings.HasSuffix(a, ".py") {
			script = filepath.Join(root, a)
		}
	}
	if script == "" {
		tb.Fatalf("Deployment %s does not run a python file: %v", hook.Name, args)
	}
	body := withParent(tb, request, parent)
	cmd := exec.CommandContext(ctx, "python3", script, "--once")
	cmd.Env = append(os.Environ(), resolveEnv(ctx, tb, cs, hook.Namespace, ctr, root)...)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("running the hook: %v\n%s", err, stderr.String())
	}
	var answer struct {
		Attachments []map[string]any `json:"attachments"`
		Children    []map[string]any `json:"children"`
	}
	if err := json.Unmarshal(out, &answer); err != nil {
		tb.Fatalf("hook answer is not JSON: %v\n%s", err, out)
	}
	var applied []*unstructured.Unstructured
	for _, o := range append(answer.Attachments, answer.Children...) {
		u := &unstructured.Unstructured{Object: o}
		applyAs(ctx, tb, c, u, "metacontroller")
		applied = append(applied, u)
	}
	return applied
}

// mountConfigMaps writes the ConfigMap volumes the container mounts under root, at their mount paths.
func mountConfigMaps(ctx context.Context, tb testing.TB, cs kubernetes.Interface, ns string, spec corev1.PodSpec, ctr corev1.Container, root string) {
	tb.Helper()
	volumes := map[string]string{}
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil {
			volumes[v.Name] = v.ConfigMap.Name
		}
	}
	for _, m := range ctr.VolumeMounts {
		name, ok := volumes[m.Name]
		if !ok {
			continue
		}
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			tb.Fatalf("reading mounted ConfigMap %q: %v", name, err)
		}
		dir := filepath.Join(root, m.MountPath)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		for file, data := range cm.Data {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(data), 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// resolveEnv evaluates the container's environment as the kubelet would; paths that point into mounted volumes
// are moved under root.
func resolveEnv(ctx context.Context, tb testing.TB, cs kubernetes.Interface, ns string, ctr corev1.Container, root string) []string {
	tb.Helper()
	var env []string
	for _, e := range ctr.Env {
		v := e.Value
		switch {
		case e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				tb.Fatalf("env %s: %v", e.Name, err)
			}
			v = cm.Data[ref.Key]
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, err := cs.CoreV1().Secrets(ns).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				tb.Fatalf("env %s: %v", e.Name, err)
			}
			v = string(s.Data[ref.Key])
		}
		for _, m := range ctr.VolumeMounts {
			if strings.HasPrefix(v, m.MountPath+"/") {
				v = filepath.Join(root, v)
			}
		}
		env = append(env, e.Name+"="+v)
	}
	return env
}

// withParent puts the live parent object into a captured request, in whichever key the controller type uses.
func withParent(tb testing.TB, request []byte, parent *unstructured.Unstructured) []byte {
	tb.Helper()
	var r map[string]any
	if err := json.Unmarshal(request, &r); err != nil {
		tb.Fatalf("request fixture: %v", err)
	}
	key := "object"
	if _, ok := r["parent"]; ok {
		key = "parent"
	}
	r[key] = parent.Object
	out, err := json.Marshal(r)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// applyAs server-side applies u with the given field manager, as a controller would create its objects.
func applyAs(ctx context.Context, tb testing.TB, c *kube.Client, u *unstructured.Unstructured, manager string) {
	tb.Helper()
	gvk := u.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		tb.Fatalf("%s %q: %v", gvk.Kind, u.GetName(), err)
	}
	ri := c.Dynamic.Resource(m.Resource).Namespace(u.GetNamespace())
	if _, err := ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: manager, Force: true}); err != nil {
		tb.Fatalf("applying %s %q as %s: %v", gvk.Kind, u.GetName(), manager, err)
	}
}
