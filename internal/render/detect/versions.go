package detect

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// parseInstallConfig returns the sorted data keys and data.appVersion of a pipeline-install-config ConfigMap.
func parseInstallConfig(data []byte) ([]string, string, error) {
	var cm struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Data map[string]any `json:"data"`
	}
	if err := yaml.Unmarshal(data, &cm); err != nil {
		return nil, "", fmt.Errorf("not a readable ConfigMap: %w", err)
	}
	if cm.Kind != "ConfigMap" || cm.Metadata.Name != "pipeline-install-config" {
		return nil, "", fmt.Errorf("want ConfigMap \"pipeline-install-config\", found %s %q", cm.Kind, cm.Metadata.Name)
	}
	v, _ := cm.Data["appVersion"].(string)
	if v == "" {
		return nil, "", errors.New("data.appVersion is missing or not a string")
	}
	keys := make([]string, 0, len(cm.Data))
	for k := range cm.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, v, nil
}

// kustomization is the part of a kustomization file detection and the remote-base scan read.
type kustomization struct {
	Resources  []string `json:"resources"`
	Bases      []string `json:"bases"`
	Components []string `json:"components"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

func parseKustomization(data []byte) (*kustomization, error) {
	k := &kustomization{}
	if err := yaml.Unmarshal(data, k); err != nil {
		return nil, fmt.Errorf("not a readable kustomization: %w", err)
	}
	return k, nil
}

// refs lists everything a kustomization loads from elsewhere: resources, bases and components.
func (k *kustomization) refs() []string {
	out := make([]string, 0, len(k.Resources)+len(k.Bases)+len(k.Components))
	out = append(out, k.Resources...)
	out = append(out, k.Bases...)
	return append(out, k.Components...)
}

// parseKatibTag returns the tag katib-with-kubeflow pins for the Katib db-manager (or, failing that, any Katib
// image).
func parseKatibTag(data []byte) (string, error) {
	k, err := parseKustomization(data)
	if err != nil {
		return "", err
	}
	var any string
	for _, img := range k.Images {
		if img.NewTag == "" || !strings.Contains(img.Name, "katib") {
			continue
		}
		if strings.HasSuffix(img.Name, "katib-db-manager") {
			return img.NewTag, nil
		}
		any = img.NewTag
	}
	if any == "" {
		return "", errors.New("no images entry with a newTag for a Katib image")
	}
	return any, nil
}
