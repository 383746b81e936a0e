package render

import (
	"bytes"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// varRecorder is a file system that notes, from every kustomization file kustomize reads through it, the objects
// its vars read from. The single build needs them: a var whose object the overlay removes makes the overlay's own
// build fail, while the probe build, which keeps that object until the end, would resolve it.
type varRecorder struct {
	filesys.FileSystem
	mu      sync.Mutex
	sources map[ObjectRef]bool
}

func (f *varRecorder) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || !bytes.Contains(data, []byte("vars:")) ||
		!slices.Contains(konfig.RecognizedKustomizationFileNames(), filepath.Base(path)) {
		return data, err
	}
	var k struct {
		Vars []struct {
			ObjRef struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"objref"`
		} `json:"vars"`
	}
	if yaml.Unmarshal(data, &k) != nil {
		return data, nil // kustomize reports the file's errors itself
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sources == nil {
		f.sources = map[ObjectRef]bool{}
	}
	for _, v := range k.Vars {
		f.sources[ObjectRef{Kind: v.ObjRef.Kind, Name: v.ObjRef.Name}] = true
	}
	return data, nil
}

// varSources are the objects (kind and name) the vars read so far read from.
func (f *varRecorder) varSources() map[ObjectRef]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.sources)
}

// layeredFS serves the directory root (and everything under it) from memory and every other path from disk, so
// the probe kustomization is built without writing its files.
type layeredFS struct {
	disk, mem filesys.FileSystem
	root      string
}

// newLayeredFS puts files (paths relative to root, slash-separated) in memory under root.
func newLayeredFS(root string, files map[string][]byte) (*layeredFS, error) {
	mem := filesys.MakeFsInMemory()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := mem.MkdirAll(filepath.Dir(p)); err != nil {
			return nil, err
		}
		if err := mem.WriteFile(p, data); err != nil {
			return nil, err
		}
	}
	return &layeredFS{disk: filesys.MakeFsOnDisk(), mem: mem, root: filepath.Clean(root)}, nil
}

func (f *layeredFS) on(path string) filesys.FileSystem {
	p := filepath.Clean(path)
	if p == f.root || strings.HasPrefix(p, f.root+string(filepath.Separator)) {
		return f.mem
	}
	return f.disk
}

func (f *layeredFS) Create(path string) (filesys.File, error) { return f.on(path).Create(path) }
func (f *layeredFS) Mkdir(path string) error                  { return f.on(path).Mkdir(path) }
func (f *layeredFS) MkdirAll(path string) error               { return f.on(path).MkdirAll(path) }
func (f *layeredFS) RemoveAll(path string) error              { return f.on(path).RemoveAll(path) }
func (f *layeredFS) Open(path string) (filesys.File, error)   { return f.on(path).Open(path) }
func (f *layeredFS) IsDir(path string) bool                   { return f.on(path).IsDir(path) }
func (f *layeredFS) ReadDir(path string) ([]string, error)    { return f.on(path).ReadDir(path) }
func (f *layeredFS) Exists(path string) bool                  { return f.on(path).Exists(path) }
func (f *layeredFS) Glob(pattern string) ([]string, error)    { return f.on(pattern).Glob(pattern) }
func (f *layeredFS) ReadFile(path string) ([]byte, error)     { return f.on(path).ReadFile(path) }
func (f *layeredFS) WriteFile(path string, data []byte) error {
	return f.on(path).WriteFile(path, data)
}

func (f *layeredFS) CleanedAbs(path string) (filesys.ConfirmedDir, string, error) {
	return f.on(path).CleanedAbs(path)
}

func (f *layeredFS) Walk(path string, walkFn filepath.WalkFunc) error {
	return f.on(path).Walk(path, walkFn)
}
