package detect

import (
	"strings"
)

// Name is the repository family and, for a git checkout, its ref: "kubeflow/community-distribution
// release-26.03.1", or "kubeflow/manifests" for a tree that is not a checkout.
func (l *Layout) Name() string {
	if l.Ref == "" {
		return string(l.Kind)
	}
	return string(l.Kind) + " " + l.Ref
}

// Describe says what the tree ships without claiming a release its files do not prove: the KFP version with the
// release that ships it ("as shipped in 26.03.1") or whose wiring is used (a ref that is not that release, such as
// master, or a version no release ships), then Katib and the object store.
func (l *Layout) Describe() string {
	var kfp string
	switch {
	case l.Newer:
		kfp = "newer than kfaws knows; the wiring of " + l.Wiring
	case l.Release == "":
		kfp = "shipped by no release kfaws knows; the wiring of " + l.Wiring
	case l.Ref != "" && !refNames(l.Ref, l.Release):
		kfp = "the wiring of " + l.Release
	default:
		kfp = "as shipped in " + l.Release
	}
	return "KFP " + l.KFPVersion + " (" + kfp + "), Katib " + l.KatibVersion + ", object store " + string(l.ObjectStore)
}

// PodSecurity is the Pod Security level the tree's kubeflow namespace enforces ("" when it sets none).
func (l *Layout) PodSecurity() string { return l.NamespaceLabels[PodSecurityEnforce] }

// refNames reports whether a git ref names release: "v1.10.2" and "v1.10-branch" name v1.10, "release-26.03.1"
// names 26.03.1 (not 26.03), "v1.7.0-aws-b1.0.3" names v1.7; "master" names none.
func refNames(ref, release string) bool {
	r, rel := normRelease(ref), normRelease(release)
	if r == rel {
		return true
	}
	for _, s := range shipped {
		if normRelease(s.release) == r {
			return false // the ref is another release's own name
		}
	}
	return strings.HasPrefix(r, rel+".")
}

// normRelease strips what refs add around a release's version: refs/…/, release-, v, -branch, -aws….
func normRelease(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "refs/tags/"), "refs/heads/")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "release-"), "v")
	s = strings.TrimSuffix(s, "-branch")
	s, _, _ = strings.Cut(s, "-aws")
	return s
}
