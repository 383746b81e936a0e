package proxy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// AddonInfo is one add-on the emulated EKS offers, in the JSON shape of
// DescribeAddonVersions' "addons" elements (types.AddonInfo).
type AddonInfo struct {
	AddonName        string         `json:"addonName"`
	Type             string         `json:"type,omitempty"`
	Owner            string         `json:"owner,omitempty"`
	Publisher        string         `json:"publisher,omitempty"`
	DefaultNamespace string         `json:"defaultNamespace,omitempty"`
	AddonVersions    []AddonVersion `json:"addonVersions"`
}

// AddonVersion is one version of an add-on (types.AddonVersionInfo).
type AddonVersion struct {
	AddonVersion           string               `json:"addonVersion"`
	Architecture           []string             `json:"architecture,omitempty"`
	ComputeTypes           []string             `json:"computeTypes,omitempty"`
	Compatibilities        []AddonCompatibility `json:"compatibilities"`
	RequiresConfiguration  bool                 `json:"requiresConfiguration"`
	RequiresIamPermissions bool                 `json:"requiresIamPermissions"`
}

// AddonCompatibility says a version runs on a Kubernetes version and whether
// it is that Kubernetes version's default (types.Compatibility).
type AddonCompatibility struct {
	ClusterVersion   string   `json:"clusterVersion"`
	PlatformVersions []string `json:"platformVersions,omitempty"`
	DefaultVersion   bool     `json:"defaultVersion"`
}

// BuiltinAddonCatalog is what the emulated EKS offers until a test replaces
// it. The version strings are real EKS builds, as pinned in public Terraform
// configurations for clusters of 1.28 to 1.35; which Kubernetes versions
// each build lists, and which build is the default, are made up in the
// pattern EKS uses (the default is not always the newest build). Kubernetes
// versions after 1.35 are deliberately absent: a newer cluster is offered
// nothing, as happens on EKS before an add-on catches up.
func BuiltinAddonCatalog() []AddonInfo {
	return []AddonInfo{
		{
			AddonName: "aws-secrets-store-csi-driver-provider", Type: "security",
			AddonVersions: []AddonVersion{
				builtinVersion("v3.1.3-eksbuild.1", 30, 35, 35, 35),
				builtinVersion("v2.2.2-eksbuild.1", 30, 35, 30, 34),
				builtinVersion("v2.1.1-eksbuild.1", 30, 33, 0, 0),
			},
		},
		{
			AddonName: "eks-pod-identity-agent", Type: "security",
			AddonVersions: []AddonVersion{
				builtinVersion("v1.4.0-eksbuild.2", 31, 35, 0, 0),
				builtinVersion("v1.3.10-eksbuild.3", 28, 35, 28, 35),
				builtinVersion("v1.3.7-eksbuild.2", 28, 34, 0, 0),
				builtinVersion("v1.3.4-eksbuild.1", 28, 33, 0, 0),
				builtinVersion("v1.0.0-eksbuild.1", 24, 28, 24, 27),
			},
		},
	}
}

// builtinVersion lists Kubernetes 1.from to 1.to, default from 1.defFrom to
// 1.defTo (0, 0: default nowhere).
func builtinVersion(version string, from, to, defFrom, defTo int) AddonVersion {
	v := AddonVersion{AddonVersion: version}
	for minor := to; minor >= from; minor-- {
		v.Compatibilities = append(v.Compatibilities, AddonCompatibility{
			ClusterVersion: "1." + strconv.Itoa(minor), DefaultVersion: minor >= defFrom && minor <= defTo && defFrom > 0,
		})
	}
	return v
}

// normalizeCatalog checks a catalogue and fills what EKS always reports and
// a test need not spell out: owner aws, publisher eks, namespace
// kube-system, both architectures, every platform version.
func normalizeCatalog(in []AddonInfo) ([]AddonInfo, error) {
	out := make([]AddonInfo, 0, len(in))
	seen := map[string]bool{}
	var errs []error
	for _, a := range in {
		if a.AddonName == "" || seen[a.AddonName] {
			errs = append(errs, fmt.Errorf("add-on %q: want a non-empty name used once", a.AddonName))
			continue
		}
		seen[a.AddonName] = true
		a.Owner = orDefault(a.Owner, "aws")
		a.Publisher = orDefault(a.Publisher, "eks")
		a.DefaultNamespace = orDefault(a.DefaultNamespace, "kube-system")
		a.AddonVersions = slices.Clone(a.AddonVersions)
		defaults := map[string]string{}
		for i, v := range a.AddonVersions {
			if v.AddonVersion == "" {
				errs = append(errs, fmt.Errorf("add-on %q: a version without addonVersion", a.AddonName))
			}
			if len(v.Architecture) == 0 {
				v.Architecture = []string{"amd64", "arm64"}
			}
			v.Compatibilities = slices.Clone(v.Compatibilities)
			for j, c := range v.Compatibilities {
				if c.DefaultVersion {
					if other, dup := defaults[c.ClusterVersion]; dup {
						errs = append(errs, fmt.Errorf("add-on %q: versions %q and %q are both the default for Kubernetes %s",
							a.AddonName, other, v.AddonVersion, c.ClusterVersion))
					}
					defaults[c.ClusterVersion] = v.AddonVersion
				}
				if len(c.PlatformVersions) == 0 {
					v.Compatibilities[j].PlatformVersions = []string{"*"}
				}
			}
			a.AddonVersions[i] = v
		}
		out = append(out, a)
	}
	return out, errors.Join(errs...)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// findAddon returns the catalogue entry of name.
func findAddon(catalog []AddonInfo, name string) (AddonInfo, bool) {
	for _, a := range catalog {
		if a.AddonName == name {
			return a, true
		}
	}
	return AddonInfo{}, false
}

// compatible reports whether version of a runs on Kubernetes k8s.
func (a AddonInfo) compatible(version, k8s string) (known, ok bool) {
	for _, v := range a.AddonVersions {
		if v.AddonVersion != version {
			continue
		}
		for _, c := range v.Compatibilities {
			if c.ClusterVersion == k8s {
				return true, true
			}
		}
		return true, false
	}
	return false, false
}

// defaultFor is the version EKS installs on Kubernetes k8s when none is asked
// for: the one marked default, else none.
func (a AddonInfo) defaultFor(k8s string) string {
	for _, v := range a.AddonVersions {
		for _, c := range v.Compatibilities {
			if c.ClusterVersion == k8s && c.DefaultVersion {
				return v.AddonVersion
			}
		}
	}
	return ""
}

// forKubernetes keeps the versions that run on k8s, each with only that
// compatibility, as DescribeAddonVersions answers when kubernetesVersion is
// given.
func (a AddonInfo) forKubernetes(k8s string) AddonInfo {
	var kept []AddonVersion
	for _, v := range a.AddonVersions {
		for _, c := range v.Compatibilities {
			if c.ClusterVersion == k8s {
				v.Compatibilities = []AddonCompatibility{c}
				kept = append(kept, v)
				break
			}
		}
	}
	a.AddonVersions = kept
	return a
}

// describeAddonVersions answers DescribeAddonVersions from the catalogue,
// filtered by addonName, kubernetesVersion, types, publishers and owners.
func (e *eksPlane) describeAddonVersions(req *eksRequest) (any, error) {
	q := req.query
	matches := func(filter []string, v string) bool { return len(filter) == 0 || slices.Contains(filter, v) }
	var offered []AddonInfo
	for _, a := range e.getCatalog() {
		if name := q.Get("addonName"); name != "" && name != a.AddonName {
			continue
		}
		if !matches(q["types"], a.Type) || !matches(q["publishers"], a.Publisher) || !matches(q["owners"], a.Owner) {
			continue
		}
		if k8s := q.Get("kubernetesVersion"); k8s != "" {
			if a = a.forKubernetes(k8s); len(a.AddonVersions) == 0 {
				continue // EKS leaves out an add-on with no version for that Kubernetes
			}
		}
		offered = append(offered, a)
	}
	got, next, err := page(offered, func(a AddonInfo) string { return a.AddonName }, q, "")
	if err != nil {
		return nil, err
	}
	out := map[string]any{"addons": append([]AddonInfo{}, got...)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}
