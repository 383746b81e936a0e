package render

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/yaml"
)

// One build instead of three. Which delete patches the overlay holds depends on what the upstream entry points
// build to, so rendering used to build them for that inventory and again as the overlay's bases. Instead,
// the overlay is generated against a probing inventory (every object exists) and turned into a probe
// kustomization that kustomize builds once: each delete patch becomes a patch that only marks its object, and
// each patch that depends on the inventory gets a target, so an object the release lacks is no error. The
// marked objects are the ones the release has; dropped from the result, what is left is what the written
// overlay builds to, because kustomize applies the same generators and patches in the same order and computes
// name hashes, name references and vars after them, as in the overlay's own build.
//
// That holds under conditions checked after the build; when one fails, generate falls back to building the entry
// points and then the written overlay:
//   - every marked object still has the name its delete patch names (the inventory is keyed by final names, so
//     an object renamed after the patches, such as a generated one with a hash suffix, is not removed);
//   - no kustomize var reads from a removed object (the overlay's own build fails on that);
//   - the overlay generated from the inventory the build gave is the probe overlay less the patches for objects
//     the release lacks, and no other patch is for a removed object.

const (
	// removeMark is the metadata field the probe build sets on each object the overlay deletes (a field, not an
	// annotation, so a JSON patch can add it whatever the object holds); its value names the object as the delete
	// patch does. Marked objects are dropped, so it never reaches the result.
	removeMark = "kfawsRenderRemove"
	// probeAPIVersion is what a probing inventory answers for an object's apiVersion; targeted patches take the
	// target's own.
	probeAPIVersion = "kfaws.dev/probe"
)

// probe is the kustomization built once, derived from an overlay generated against a probing inventory.
type probe struct {
	files   map[string][]byte
	patches []obj
	// conditional maps a patch path to the object it is for, for every patch that depends on the inventory.
	conditional map[string]ObjectRef
	// removals maps a mark value to the object its delete patch names.
	removals map[string]ObjectRef
	// asked are the objects the overlay asked the inventory about.
	asked map[ObjectRef]bool
}

// generateOnce renders with one build. It reports false, with no error, when the build cannot stand for the
// overlay's own and generate must fall back.
func (r *Render) generateOnce(ctx context.Context, res *Result, mirrors map[string]string) (bool, error) {
	l, log := res.Layout, r.logger()
	asked := map[ObjectRef]bool{}
	all := wire(l, r.Values, inventory{probing: true, asked: asked})
	p, err := newProbe(all, asked)
	if err != nil {
		log.Debug("no single build", "reason", err.Error())
		return false, nil
	}
	// The probe lives in memory at a path nothing is written to; its bases are read from disk.
	root := filepath.Join(os.TempDir(), fmt.Sprintf("kfaws-probe-%d-%d", os.Getpid(), time.Now().UnixNano()))
	bases, err := entryBases(root, l)
	if err != nil {
		return false, err
	}
	layered, err := newLayeredFS(root, p.kustomization(bases, all))
	if err != nil {
		return false, fmt.Errorf("preparing the build: %w", err)
	}
	fs := &varRecorder{FileSystem: layered}
	m, err := kustomizeBuildFS(ctx, fs, root, mirrors, log)
	if err != nil {
		if ctx.Err() != nil {
			return false, err
		}
		log.Debug("single build failed; building the entry points, then the overlay", "error", err.Error())
		return false, nil
	}
	inv, marked, err := p.inventory(m)
	if err == nil {
		inv.asked = map[ObjectRef]bool{}
		o := wire(l, r.Values, inv)
		if err = p.check(all, o, inv, fs.varSources()); err == nil {
			return true, r.finishOnce(res, o, m, marked)
		}
	}
	log.Debug("single build does not stand for the overlay's; building the entry points, then the overlay",
		"reason", err.Error())
	return false, nil
}

// finishOnce writes the overlay o and keeps the probe build's objects less the marked ones as the result.
func (r *Render) finishOnce(res *Result, o *overlay, m resmap.ResMap, marked []*resource.Resource) error {
	upstream := m.Size() - added(o)
	for _, rs := range marked {
		if err := m.Remove(rs.CurId()); err != nil {
			return fmt.Errorf("dropping %s from the build: %w", refOf(rs), err)
		}
	}
	// Without --out the overlay is only needed for its files in the result: nothing builds it.
	dir, write := r.OutDir, r.OutDir != ""
	if !write {
		dir = filepath.Join(os.TempDir(), "kfaws-overlay")
	}
	if err := r.writeOverlay(res, o, dir, write); err != nil {
		return err
	}
	res.Upstream = upstream
	if r.SkipBuild {
		return nil
	}
	if err := r.checkBuilt(res, m); err != nil {
		return err
	}
	res.objects, res.Built = m, m.Size()
	return nil
}

// newProbe derives the probe kustomization's patches from an overlay generated against a probing inventory.
func newProbe(o *overlay, asked map[ObjectRef]bool) (*probe, error) {
	p := &probe{files: maps.Clone(o.files), conditional: map[string]ObjectRef{}, removals: map[string]ObjectRef{},
		asked: asked}
	for _, entry := range o.patches {
		path, _ := entry["path"].(string)
		doc, ref, err := patchTarget(o.files[path])
		if err != nil {
			return nil, fmt.Errorf("patch %s: %w", path, err)
		}
		switch {
		case doc["$patch"] == "delete":
			// A JSON patch: kustomize applies it in place, where a targeted strategic-merge patch rebuilds the
			// whole resource list.
			p.files[path] = []byte(mustYAML([]obj{{"op": "add", "path": "/metadata/" + removeMark,
				"value": ref.String()}}))
			p.removals[ref.String()] = ref
		case !asked[ref]:
			p.patches = append(p.patches, entry)
			continue
		}
		if ref.Namespace == "" {
			return nil, fmt.Errorf("patch %s depends on the inventory and names no namespace", path)
		}
		p.conditional[path] = ref
		p.patches = append(p.patches, obj{"path": path, "target": obj{"kind": ref.Kind,
			"name": regexp.QuoteMeta(ref.Name), "namespace": regexp.QuoteMeta(ref.Namespace)}})
	}
	return p, nil
}

// patchTarget reads a strategic-merge patch file and the object it is for.
func patchTarget(data []byte) (obj, ObjectRef, error) {
	var doc obj
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, ObjectRef{}, err
	}
	meta, _ := doc["metadata"].(obj)
	kind, _ := doc["kind"].(string)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	return doc, ObjectRef{Kind: kind, Name: name, Namespace: ns}, nil
}

// kustomization returns the probe's files with its kustomization.yaml, holding o's resources and generators.
func (p *probe) kustomization(bases []string, o *overlay) map[string][]byte {
	k := (&overlay{resources: o.resources, patches: p.patches, generators: o.generators}).kustomization(bases)
	files := &overlay{files: maps.Clone(p.files)}
	files.add("kustomization.yaml", k)
	return files.files
}

// inventory reads what the release has from the probe build: the marked objects, and for the other objects the
// overlay asked about, whether one has that exact name.
func (p *probe) inventory(m resmap.ResMap) (inventory, []*resource.Resource, error) {
	inv := inventory{objects: map[ObjectRef]string{}}
	var marked []*resource.Resource
	for _, rs := range m.Resources() {
		mark, err := rs.GetString("metadata." + removeMark)
		if err != nil {
			continue
		}
		ref := refOf(rs)
		if want, known := p.removals[mark]; !known || ref != want {
			return inv, nil, fmt.Errorf("%s carries the removal mark of %s", ref, mark)
		}
		if _, dup := inv.objects[ref]; dup {
			return inv, nil, fmt.Errorf("more than one object is %s", ref)
		}
		inv.objects[ref] = rs.GetApiVersion()
		marked = append(marked, rs)
	}
	for ref := range p.asked {
		if _, removal := p.removals[ref.String()]; removal {
			continue
		}
		for _, rs := range m.Resources() {
			got := refOf(rs)
			if got.Kind != ref.Kind || got.Namespace != ref.Namespace || !strings.Contains(got.Name, ref.Name) {
				continue
			}
			if got.Name != ref.Name {
				return inv, nil, fmt.Errorf("%s may be %s renamed", got, ref)
			}
			inv.objects[ref] = rs.GetApiVersion()
		}
	}
	return inv, marked, nil
}

// check reports why the build of the probe does not stand for the build of o, the overlay generated from the
// inventory the probe build gave (all is the overlay generated against the probing inventory); nil when it does.
func (p *probe) check(all, o *overlay, inv inventory, varSources map[ObjectRef]bool) error {
	for ref := range inv.asked {
		if !p.asked[ref] {
			return fmt.Errorf("the overlay asked about %s only once the inventory was known", ref)
		}
	}
	if !reflect.DeepEqual(o.resources, all.resources) || !reflect.DeepEqual(o.generators, all.generators) {
		return fmt.Errorf("the overlay's resources or generators depend on the inventory")
	}
	var want []obj
	for _, entry := range all.patches {
		path := entry["path"].(string)
		if ref, ok := p.conditional[path]; ok && !inv.has(ref) {
			continue
		}
		want = append(want, obj{"path": path})
	}
	if !reflect.DeepEqual(o.patches, want) {
		return fmt.Errorf("the overlay's patches are not the probe's less those for missing objects")
	}
	removed := map[ObjectRef]bool{}
	for _, ref := range o.removed {
		removed[ref] = true
	}
	for path, data := range o.files {
		ref, conditional := p.conditional[path]
		if _, removal := p.removals[ref.String()]; conditional && removal {
			continue
		}
		if !bytes.Equal(data, all.files[path]) {
			return fmt.Errorf("overlay file %s depends on the inventory", path)
		}
		if !isPatch(o, path) {
			continue
		}
		if _, target, err := patchTarget(data); err == nil && removed[target] {
			return fmt.Errorf("patch %s is for %s, which the overlay removes", path, target)
		}
	}
	for ref := range inv.objects {
		if _, removal := p.removals[ref.String()]; removal && !removed[ref] {
			return fmt.Errorf("the build marked %s, which the overlay keeps", ref)
		}
	}
	if len(removed) != len(o.removed) {
		return fmt.Errorf("the overlay removes an object twice")
	}
	for ref := range removed {
		if varSources[ObjectRef{Kind: ref.Kind, Name: ref.Name}] {
			return fmt.Errorf("a kustomize var reads from %s, which the overlay removes", ref)
		}
	}
	return nil
}

// added counts the objects the overlay adds: the documents of its resource files and the ConfigMaps its
// generators create (a generator with a behavior changes an upstream one).
func added(o *overlay) int {
	n := 0
	for _, path := range o.resources {
		n += len(yamlDocs(o.files[path]))
	}
	for _, g := range o.generators {
		if b, _ := g["behavior"].(string); b == "" || b == "create" {
			n++
		}
	}
	return n
}

// yamlDocs splits a YAML stream into its non-empty documents.
func yamlDocs(data []byte) [][]byte {
	var docs [][]byte
	for _, doc := range bytes.Split(append([]byte("\n"), data...), []byte("\n---\n")) {
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}

func isPatch(o *overlay, path string) bool {
	for _, entry := range o.patches {
		if entry["path"] == path {
			return true
		}
	}
	return false
}

func refOf(r *resource.Resource) ObjectRef {
	return ObjectRef{Kind: r.GetKind(), Name: r.GetName(), Namespace: r.GetNamespace()}
}
