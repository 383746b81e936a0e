package detect

import (
	"bytes"
	"io/fs"
	"path"
	"strings"

	"sigs.k8s.io/yaml"
)

// namespaceBase is the kustomization that creates the kubeflow namespace, relative to the tree's common root
// (upstream/ in the awslabs fork). Its Namespace sits in namespace.yaml (manifests v1.7–v1.11) or
// kubeflow/namespace.yaml (26.03 on).
const namespaceBase = "common/kubeflow-namespace/base"

// PodSecurityEnforce is the label that sets the Pod Security level a namespace enforces.
const PodSecurityEnforce = "pod-security.kubernetes.io/enforce"

// namespaceLabels returns the labels of the kubeflow Namespace that the tree's kubeflow-namespace kustomization
// creates, following its local resources; nil when the tree has none.
func namespaceLabels(fsys fs.FS, commonRoot string) map[string]string {
	seen := map[string]bool{}
	var walk func(dir string) map[string]string
	walk = func(dir string) map[string]string {
		if seen[dir] {
			return nil
		}
		seen[dir] = true
		_, data := readKustomization(fsys, dir)
		k, err := parseKustomization(data)
		if data == nil || err != nil {
			return nil
		}
		for _, ref := range k.Resources {
			p := path.Join(dir, ref)
			if IsRemote(ref) || strings.HasPrefix(p, "../") {
				continue
			}
			if isDir(fsys, p) {
				if l := walk(p); l != nil {
					return l
				}
				continue
			}
			if l := kubeflowNamespaceIn(fsys, p); l != nil {
				return l
			}
		}
		return nil
	}
	return walk(path.Join(commonRoot, namespaceBase))
}

// kubeflowNamespaceIn reads the labels of Namespace "kubeflow" from a YAML file of one or more documents.
func kubeflowNamespaceIn(fsys fs.FS, file string) map[string]string {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil
	}
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		var ns struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name   string            `json:"name"`
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		if yaml.Unmarshal(doc, &ns) != nil || ns.Kind != "Namespace" || ns.Metadata.Name != "kubeflow" {
			continue
		}
		if ns.Metadata.Labels == nil {
			return map[string]string{}
		}
		return ns.Metadata.Labels
	}
	return nil
}
