// Package detect recognises a Kubeflow manifests checkout by reading its files: which repository it comes from
// (the awslabs fork, kubeflow/manifests or kubeflow/community-distribution) and at which git ref, which KFP and
// Katib versions it ships and what that KFP can do, which in-cluster object store it deploys, the labels of its
// kubeflow namespace, and where the KFP and Katib entry points of the full platform are.
//
// It never guesses from directory names alone: versions come from the files the releases pin them in, so a tree
// that moved or was edited is refused with the list of files that were looked for. What the wiring may rely on is
// decided by the KFP version's semantic-version range (Capabilities), not by a release name.
package detect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Kind is the family of a manifests tree: the repository it comes from.
type Kind string

// The families kfaws reads. kubeflow/manifests was renamed kubeflow/community-distribution in June 2026.
const (
	KindAWSLabs   Kind = "awslabs/kubeflow-manifests"
	KindUpstream  Kind = "kubeflow/manifests"
	KindCommunity Kind = "kubeflow/community-distribution"
)

// ObjectStore is the in-cluster object store a release deploys.
type ObjectStore string

// The object stores shipped by the releases.
const (
	MinIO     ObjectStore = "minio"
	SeaweedFS ObjectStore = "seaweedfs"
)

// Layout is what Detect found. Paths are slash-separated and relative to Root.
type Layout struct {
	Root string
	Kind Kind
	// Ref is the git tag or branch of the checkout at Root ("" when Root is not the top of a git checkout).
	Ref string
	// Release is the release that ships exactly KFPVersion (v1.7, v1.8, v1.9.0, v1.9.1, v1.10, v1.11, 26.03,
	// 26.03.1), "" when none does. It says which KFP the tree has, not which release the tree is.
	Release string
	// Wiring is the release whose wiring kfaws applies: Release, the nearest older one for a version no release
	// ships, or the newest for a newer KFP (Newer).
	Wiring string
	Newer  bool
	// Prefix holds the applications: "upstream/apps" (awslabs), "apps" (v1.8, v1.9), "applications" (v1.10+).
	Prefix string
	// PipelineEntry and KatibEntry are the kustomization directories the full platform installs.
	PipelineEntry string
	KatibEntry    string
	KFPVersion    string
	KatibVersion  string
	ObjectStore   ObjectStore
	Caps          Capabilities
	// InstallConfigKeys are the data keys of the release's pipeline-install-config ConfigMap.
	InstallConfigKeys []string
	// NamespaceLabels are the labels of the kubeflow Namespace the tree creates (nil when it creates none);
	// PodSecurityEnforce among them is the Pod Security level the release enforces there.
	NamespaceLabels map[string]string
	// Warnings say what detection assumed (a KFP version no release ships).
	Warnings []string
}

// Files read by Detect, relative to the application prefix.
const (
	installConfigFile = "pipeline/upstream/base/installs/generic/pipeline-install-config.yaml"
	katibEntryDir     = "katib/upstream/installs/katib-with-kubeflow"
	multiUserEnvDir   = "pipeline/upstream/env/platform-agnostic-multi-user"
	certManagerEnvDir = "pipeline/upstream/env/cert-manager/platform-agnostic-multi-user"
	platformOverlay   = "pipeline/overlays"
	// awslabsPipeline is the awslabs fork's KFP entry point: the upstream multi-user env plus its own API server
	// image, relative to the tree root.
	awslabsPipeline = "awsconfigs/apps/pipeline/base"
)

// NotManifestsError says a directory is not a manifests tree kfaws knows, listing what was looked for.
type NotManifestsError struct {
	Dir    string
	Looked []string
	Reason string
}

func (e *NotManifestsError) Error() string {
	return fmt.Sprintf("%q is not a Kubeflow manifests tree kfaws recognises: %s (looked for %s); pass --manifests "+
		"the root of a kubeflow/community-distribution or kubeflow/manifests checkout (v1.8 or later) or of an "+
		"awslabs/kubeflow-manifests v1.7 checkout with kubeflow/manifests cloned into upstream/", e.Dir, e.Reason,
		strings.Join(e.Looked, ", "))
}

// Detect is DetectContext without a deadline of the caller's.
func Detect(dir string) (*Layout, error) {
	return DetectContext(context.Background(), dir)
}

// DetectContext reads the tree at dir and returns its layout. When dir is the top of a git checkout, its tag or
// branch and origin are read too (each git command bounded; without git the layout has no Ref).
func DetectContext(ctx context.Context, dir string) (*Layout, error) {
	return detect(os.DirFS(dir), dir, readGit(ctx, dir))
}

// DetectFS is Detect on any file system, without git; dir is only used in messages and as Layout.Root.
func DetectFS(fsys fs.FS, dir string) (*Layout, error) {
	return detect(fsys, dir, gitCheckout{})
}

func detect(fsys fs.FS, dir string, git gitCheckout) (*Layout, error) {
	if st, err := fs.Stat(fsys, "."); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("manifests directory %q: not a readable directory", dir)
	}
	l := &Layout{Root: dir, Ref: git.Ref}
	if err := findPrefix(fsys, dir, l); err != nil {
		return nil, err
	}
	if l.Kind != KindAWSLabs {
		l.Kind = decideFamily(fsys, git.Origin)
	}
	if err := readVersions(fsys, dir, l); err != nil {
		return nil, err
	}
	if err := findEntries(fsys, dir, l); err != nil {
		return nil, err
	}
	if l.Newer {
		v, rel := NewestKFP()
		l.Warnings = append(l.Warnings, fmt.Sprintf("KFP %s is newer than the newest KFP kfaws knows (%s, as shipped "+
			"in %s): going on with the wiring of %s, which assumes %s; check the build before applying it",
			l.KFPVersion, v, rel, l.Wiring, l.Caps.assumptions()))
	} else if l.Release == "" {
		l.Warnings = append(l.Warnings, fmt.Sprintf("KFP %s is not the version of any release kfaws knows (%s): "+
			"going on with the wiring of %s, which assumes %s", l.KFPVersion, knownKFP(), l.Wiring,
			l.Caps.assumptions()))
	}
	l.NamespaceLabels = namespaceLabels(fsys, path.Dir(l.Prefix))
	return l, nil
}

// findPrefix decides the family and application prefix from which pipeline-install-config exists.
func findPrefix(fsys fs.FS, dir string, l *Layout) error {
	candidates := []struct {
		prefix string
		kind   Kind
	}{
		{"upstream/apps", KindAWSLabs},
		{"applications", KindUpstream},
		{"apps", KindUpstream},
	}
	var looked []string
	for _, c := range candidates {
		p := path.Join(c.prefix, installConfigFile)
		looked = append(looked, p)
		if isFile(fsys, p) {
			l.Prefix, l.Kind = c.prefix, c.kind
			if c.kind == KindAWSLabs && !isDir(fsys, "awsconfigs") {
				l.Kind = KindUpstream // a plain manifests clone that happens to sit in a directory named upstream
			}
			return nil
		}
	}
	reason := "no pipeline-install-config.yaml found"
	if isDir(fsys, "awsconfigs") {
		reason = "this is an awslabs/kubeflow-manifests checkout without its upstream/ clone of kubeflow/manifests " +
			"(git clone --branch v1.7.0 https://github.com/kubeflow/manifests.git upstream)"
	}
	return &NotManifestsError{Dir: dir, Looked: looked, Reason: reason}
}

func readVersions(fsys fs.FS, dir string, l *Layout) error {
	cfgPath := path.Join(l.Prefix, installConfigFile)
	data, err := fs.ReadFile(fsys, cfgPath)
	if err != nil {
		return fmt.Errorf("reading %q: %w", filepath.Join(dir, cfgPath), err)
	}
	keys, version, err := parseInstallConfig(data)
	if err != nil {
		return fmt.Errorf("%q: %w", filepath.Join(dir, cfgPath), err)
	}
	l.KFPVersion, l.InstallConfigKeys = version, keys
	rel, v, err := classifyKFP(version)
	if err != nil {
		return &NotManifestsError{Dir: dir, Looked: []string{cfgPath + " data.appVersion"}, Reason: err.Error()}
	}
	l.Release, l.Wiring, l.Newer = rel.release, rel.wiring, rel.newer
	l.Caps = kfpCapabilities(v)
	katibFile := path.Join(l.Prefix, katibEntryDir, "kustomization.yaml")
	kdata, err := fs.ReadFile(fsys, katibFile)
	if err != nil {
		return &NotManifestsError{Dir: dir, Looked: []string{katibFile}, Reason: "Katib's katib-with-kubeflow install is missing"}
	}
	tag, err := parseKatibTag(kdata)
	if err != nil {
		return fmt.Errorf("%q: %w", filepath.Join(dir, katibFile), err)
	}
	l.KatibVersion = tag
	return nil
}

func findEntries(fsys fs.FS, dir string, l *Layout) error {
	l.KatibEntry = path.Join(l.Prefix, katibEntryDir)
	l.PipelineEntry = path.Join(l.Prefix, certManagerEnvDir)
	// From release 26.03 the platform installs pipeline/overlays, which wraps the cert-manager env.
	if overlay := path.Join(l.Prefix, platformOverlay); isFile(fsys, path.Join(overlay, "kustomization.yaml")) {
		l.PipelineEntry = overlay
	}
	if l.Kind == KindAWSLabs && isFile(fsys, path.Join(awslabsPipeline, "kustomization.yaml")) {
		l.PipelineEntry = awslabsPipeline
	}
	if !isFile(fsys, path.Join(l.PipelineEntry, "kustomization.yaml")) {
		return &NotManifestsError{Dir: dir, Looked: []string{path.Join(l.PipelineEntry, "kustomization.yaml")},
			Reason: "the KFP multi-user entry point is missing"}
	}
	envFile := path.Join(l.Prefix, multiUserEnvDir, "kustomization.yaml")
	data, err := fs.ReadFile(fsys, envFile)
	if err != nil {
		return &NotManifestsError{Dir: dir, Looked: []string{envFile}, Reason: "the KFP multi-user env is missing"}
	}
	store, err := objectStoreOf(data)
	if err != nil {
		return fmt.Errorf("%q: %w", filepath.Join(dir, envFile), err)
	}
	l.ObjectStore = store
	return nil
}

// objectStoreOf reads which third-party object store a multi-user env includes.
func objectStoreOf(kustomization []byte) (ObjectStore, error) {
	k, err := parseKustomization(kustomization)
	if err != nil {
		return "", err
	}
	var found []ObjectStore
	for _, r := range k.refs() {
		switch {
		case strings.Contains(r, "third-party/seaweedfs"):
			found = append(found, SeaweedFS)
		case strings.Contains(r, "third-party/minio"):
			found = append(found, MinIO)
		}
	}
	if len(found) == 0 {
		return "", errors.New("includes neither third-party/minio nor third-party/seaweedfs")
	}
	for _, s := range found[1:] {
		if s != found[0] {
			return "", errors.New("includes both third-party/minio and third-party/seaweedfs")
		}
	}
	return found[0], nil
}

// HasKey reports whether the release's pipeline-install-config has key.
func (l *Layout) HasKey(key string) bool {
	for _, k := range l.InstallConfigKeys {
		if k == key {
			return true
		}
	}
	return false
}

func isFile(fsys fs.FS, p string) bool {
	st, err := fs.Stat(fsys, p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(fsys fs.FS, p string) bool {
	st, err := fs.Stat(fsys, p)
	return err == nil && st.IsDir()
}
