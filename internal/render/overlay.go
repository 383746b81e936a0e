package render

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Namespace is where KFP and Katib run on every release.
const Namespace = "kubeflow"

// ManagedLabel marks every object kfaws adds, so apply and teardown can tell them from upstream objects.
const ManagedLabel = "app.kubernetes.io/managed-by"

// ObjectRef names one Kubernetes object.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

func (r ObjectRef) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// obj is a Kubernetes object or patch as generic YAML.
type obj = map[string]any

// overlay accumulates the files of the generated kustomization. Every file is marshalled from data, never built
// from strings, so no value can change the YAML structure.
type overlay struct {
	files      map[string][]byte
	resources  []string
	patches    []obj
	generators []obj
	removed    []ObjectRef
	notes      []string
}

func newOverlay() *overlay { return &overlay{files: map[string][]byte{}} }

// add writes file p (relative to the overlay) holding docs.
func (o *overlay) add(p string, docs ...obj) {
	var b strings.Builder
	for i, d := range docs {
		if i > 0 {
			b.WriteString("---\n")
		}
		data, err := yaml.Marshal(d)
		if err != nil {
			panic(fmt.Sprintf("marshalling %s: %v", p, err)) // only plain maps, strings and numbers reach here
		}
		b.Write(data)
	}
	o.files[p] = []byte(b.String())
}

// resource adds p as a resource file of the overlay.
func (o *overlay) resource(p string, docs ...obj) {
	o.add(p, docs...)
	o.resources = append(o.resources, p)
}

// patch adds a strategic-merge patch file.
func (o *overlay) patch(p string, doc obj) {
	o.add(p, doc)
	o.patches = append(o.patches, obj{"path": p})
}

// remove adds a delete patch for ref when the upstream build has it, and records it as removed.
func (o *overlay) remove(inv inventory, kind, name string) {
	ref := ObjectRef{Kind: kind, Name: name, Namespace: Namespace}
	apiVersion, ok := inv[ref]
	if !ok {
		return
	}
	file := "remove/" + strings.ToLower(kind) + "-" + name + ".yaml"
	o.patch(file, obj{
		"$patch":     "delete",
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata":   obj{"name": name, "namespace": Namespace},
	})
	o.removed = append(o.removed, ref)
}

// kustomization returns kustomization.yaml for the overlay, with bases first (relative to dir).
func (o *overlay) kustomization(bases []string) obj {
	k := obj{
		"apiVersion": "kustomize.config.k8s.io/v1beta1",
		"kind":       "Kustomization",
		"resources":  append(append([]string{}, bases...), o.resources...),
	}
	if len(o.patches) > 0 {
		k["patches"] = o.patches
	}
	if len(o.generators) > 0 {
		k["configMapGenerator"] = o.generators
	}
	return k
}

// write puts the overlay's files under dir, creating it, and returns the names written in sorted order.
func (o *overlay) write(dir string) ([]string, error) {
	names := make([]string, 0, len(o.files))
	for name := range o.files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("writing overlay: %w", err)
		}
		if err := os.WriteFile(p, o.files[name], 0o644); err != nil {
			return nil, fmt.Errorf("writing overlay: %w", err)
		}
	}
	return names, nil
}

// relBase is the path of an upstream entry point as the overlay in outDir must reference it.
func relBase(outDir, root, entry string) (string, error) {
	absOut, err := filepath.Abs(outDir)
	if err != nil {
		return "", err
	}
	absEntry, err := filepath.Abs(filepath.Join(root, filepath.FromSlash(entry)))
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absOut, absEntry)
	if err != nil {
		return "", fmt.Errorf("overlay directory %q cannot reference %q: %w", outDir, absEntry, err)
	}
	return path.Clean(filepath.ToSlash(rel)), nil
}

// env builds one container env entry. Exactly one of value and valueFrom is set; the other is null so a strategic
// merge replaces whichever form upstream used.
func envValue(name, value string) obj {
	return obj{"name": name, "value": value, "valueFrom": nil}
}

func envConfigMap(name, cm, key string) obj {
	return obj{"name": name, "value": nil, "valueFrom": obj{"secretKeyRef": nil, "fieldRef": nil,
		"configMapKeyRef": obj{"name": cm, "key": key}}}
}

func envSecret(name, secret, key string) obj {
	return obj{"name": name, "value": nil, "valueFrom": obj{"configMapKeyRef": nil, "fieldRef": nil,
		"secretKeyRef": obj{"name": secret, "key": key}}}
}

func envDelete(name string) obj {
	return obj{"name": name, "$patch": "delete"}
}

// containerEnvPatch is a strategic-merge patch setting env entries on one container of a Deployment.
func containerEnvPatch(deployment, container string, env []obj) obj {
	return obj{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   obj{"name": deployment, "namespace": Namespace},
		"spec": obj{"template": obj{"spec": obj{"containers": []obj{
			{"name": container, "env": env},
		}}}},
	}
}

// labels are the labels of an object kfaws adds.
func labels(component string) obj {
	return obj{ManagedLabel: "kfaws", "app.kubernetes.io/component": component}
}
