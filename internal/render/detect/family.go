package detect

import (
	"io/fs"
	"strings"
)

// communityLayout are application folders that only kubeflow/community-distribution has: release-26.03.1 moved
// the dashboard, notebooks, workspaces and model registry (now hub) here
// (community-distribution@release-26.03.1:applications/). Folders of the older layout it dropped are in
// manifestsLayout.
var (
	communityLayout = []string{"applications/dashboard", "applications/hub", "applications/notebooks-v1",
		"applications/workspaces"}
	manifestsLayout = []string{"applications/centraldashboard", "applications/profiles"}
)

// Repository references a README or a git remote names the family by.
const (
	communityRepo = "kubeflow/community-distribution"
	manifestsRepo = "kubeflow/manifests"
)

// decideFamily tells kubeflow/manifests from kubeflow/community-distribution (the same repository, renamed in June
// 2026). Files decide first: a README that names the new repository (community-distribution@f09f3eeaa "Align
// renamed repository references"), or the application folders of 26.03.1, which predates that commit and still
// names kubeflow/manifests. Failing those, a git remote naming the repository counts; otherwise the tree is
// kubeflow/manifests, the name every older release carries.
func decideFamily(fsys fs.FS, origin string) Kind {
	if readme, err := fs.ReadFile(fsys, "README.md"); err == nil && strings.Contains(string(readme), communityRepo) {
		return KindCommunity
	}
	if hasCommunityLayout(fsys) {
		return KindCommunity
	}
	if strings.Contains(origin, communityRepo) {
		return KindCommunity
	}
	return KindUpstream
}

func hasCommunityLayout(fsys fs.FS) bool {
	for _, d := range manifestsLayout {
		if isDir(fsys, d) {
			return false
		}
	}
	for _, d := range communityLayout {
		if isDir(fsys, d) {
			return true
		}
	}
	return false
}
