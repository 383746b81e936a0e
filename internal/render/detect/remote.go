package detect

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Remote is a kustomize base loaded from the network, found in a kustomization file of the tree.
type Remote struct {
	// File is the kustomization that references it, relative to the tree root.
	File string
	// URL is the reference as written.
	URL string
}

// Repo is the git repository part of the reference (what a --git-mirror maps), e.g.
// "https://github.com/argoproj/argo-workflows".
func (r Remote) Repo() string {
	u := r.URL
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	scheme := ""
	if i := strings.Index(u, "://"); i >= 0 {
		scheme, u = u[:i+3], u[i+3:]
	}
	if i := strings.Index(u, "//"); i >= 0 { // kustomize's repo//path form
		return scheme + u[:i]
	}
	if i := strings.Index(u, ".git"); i >= 0 {
		return scheme + u[:i+4]
	}
	parts := strings.SplitN(u, "/", 4)
	if len(parts) >= 3 {
		return scheme + strings.Join(parts[:3], "/")
	}
	return scheme + u
}

// Ref is the git ref the reference pins, or "" for the default branch.
func (r Remote) Ref() string {
	i := strings.IndexByte(r.URL, '?')
	if i < 0 {
		return ""
	}
	for _, kv := range strings.Split(r.URL[i+1:], "&") {
		if v, ok := strings.CutPrefix(kv, "ref="); ok {
			return v
		}
		if v, ok := strings.CutPrefix(kv, "version="); ok {
			return v
		}
	}
	return ""
}

// IsRemote reports whether a kustomization reference points at the network rather than the local tree.
func IsRemote(ref string) bool {
	switch {
	case strings.Contains(ref, "://"), strings.HasPrefix(ref, "git@"), strings.HasPrefix(ref, "github.com/"),
		strings.HasPrefix(ref, "gitlab.com/"), strings.HasPrefix(ref, "bitbucket.org/"):
		return true
	}
	return false
}

// RemoteBases walks the kustomizations reachable from the entry directories (relative to the root of fsys) and
// returns every remote reference, sorted and without duplicates. It reads files only; it never fetches anything.
func RemoteBases(fsys fs.FS, entries ...string) ([]Remote, error) {
	seen := map[string]bool{}
	found := map[Remote]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		dir = path.Clean(dir)
		if seen[dir] {
			return nil
		}
		seen[dir] = true
		file, data := readKustomization(fsys, dir)
		if file == "" {
			return nil // a plain resource directory or a file; kustomize reports those itself
		}
		k, err := parseKustomization(data)
		if err != nil {
			return fmt.Errorf("%q: %w", file, err)
		}
		for _, ref := range k.refs() {
			if IsRemote(ref) {
				found[Remote{File: file, URL: ref}] = true
				continue
			}
			next := path.Join(dir, ref)
			if strings.HasPrefix(next, "../") || next == ".." {
				continue // outside the tree; kustomize will say so
			}
			if err := walk(next); err != nil {
				return err
			}
		}
		return nil
	}
	for _, e := range entries {
		if err := walk(e); err != nil {
			return nil, err
		}
	}
	out := make([]Remote, 0, len(found))
	for r := range found {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].URL != out[j].URL {
			return out[i].URL < out[j].URL
		}
		return out[i].File < out[j].File
	})
	return out, nil
}

func readKustomization(fsys fs.FS, dir string) (string, []byte) {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		p := path.Join(dir, name)
		if data, err := fs.ReadFile(fsys, p); err == nil {
			return p, data
		}
	}
	return "", nil
}
