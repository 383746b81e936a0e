package detect

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// kfpReleases maps the KFP version a release pins (pipeline-install-config appVersion) to the Kubeflow release.
// Patch releases of a Kubeflow release keep the KFP minor, so the match is on major.minor, except 2.0 where the
// alpha (v1.7) and the final (v1.8) differ.
var kfpReleases = []struct{ prefix, release string }{
	{"2.0.0-alpha.", "v1.7"},
	{"2.0.", "v1.8"},
	{"2.2.", "v1.9"},
	{"2.5.", "v1.10"},
	{"2.15.", "v1.11"},
	{"2.16.", "26.03"},
}

// ReleaseForKFP names the Kubeflow release that ships KFP version v.
func ReleaseForKFP(v string) (string, bool) {
	for _, r := range kfpReleases {
		if strings.HasPrefix(v, r.prefix) {
			return r.release, true
		}
	}
	return "", false
}

func knownKFP() string {
	s := make([]string, len(kfpReleases))
	for i, r := range kfpReleases {
		s[i] = r.prefix + "x (" + r.release + ")"
	}
	return strings.Join(s, ", ")
}

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
