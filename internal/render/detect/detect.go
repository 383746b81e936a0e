// Package detect recognises a Kubeflow manifests checkout by reading its files: which layout it has (the awslabs
// fork or kubeflow/manifests with apps/ or applications/), which release, which KFP and Katib versions it ships,
// which in-cluster object store it deploys, and where the KFP and Katib entry points of the full platform are.
//
// It never guesses from directory names alone: versions come from the files the releases pin them in, so a tree
// that moved or was edited is refused with the list of files that were looked for.
package detect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Kind is the family of a manifests tree.
type Kind string

// The two families kfaws reads.
const (
	KindAWSLabs  Kind = "awslabs/kubeflow-manifests"
	KindUpstream Kind = "kubeflow/manifests"
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
	Root    string
	Kind    Kind
	Release string
	// Prefix holds the applications: "upstream/apps" (awslabs), "apps" (v1.8, v1.9), "applications" (v1.10+).
	Prefix string
	// PipelineEntry and KatibEntry are the kustomization directories the full platform installs.
	PipelineEntry string
	KatibEntry    string
	KFPVersion    string
	KatibVersion  string
	ObjectStore   ObjectStore
	// InstallConfigKeys are the data keys of the release's pipeline-install-config ConfigMap.
	InstallConfigKeys []string
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
		"the root of a kubeflow/manifests checkout (v1.8 or later) or of an awslabs/kubeflow-manifests v1.7 checkout "+
		"with kubeflow/manifests cloned into upstream/", e.Dir, e.Reason, strings.Join(e.Looked, ", "))
}

// Detect reads the tree at dir and returns its layout.
func Detect(dir string) (*Layout, error) {
	return DetectFS(os.DirFS(dir), dir)
}

// DetectFS is Detect on any file system; dir is only used in messages and as Layout.Root.
func DetectFS(fsys fs.FS, dir string) (*Layout, error) {
	if st, err := fs.Stat(fsys, "."); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("manifests directory %q: not a readable directory", dir)
	}
	l := &Layout{Root: dir}
	if err := findPrefix(fsys, dir, l); err != nil {
		return nil, err
	}
	if err := readVersions(fsys, dir, l); err != nil {
		return nil, err
	}
	if err := findEntries(fsys, dir, l); err != nil {
		return nil, err
	}
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
	rel, ok := ReleaseForKFP(version)
	if !ok {
		return &NotManifestsError{Dir: dir, Looked: []string{cfgPath + " data.appVersion"},
			Reason: fmt.Sprintf("KFP appVersion %q is not one kfaws knows (%s)", version, knownKFP())}
	}
	l.Release = rel
	if l.Kind == KindAWSLabs {
		l.Release += "-aws"
	}
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
