package render

import (
	"bufio"
	"context"
	"fmt"
	stdlog "log"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// inventory is the set of objects an upstream build produced, used to remove only what exists. It maps each
// object to its apiVersion, which a delete patch must match.
//
// A probing inventory answers yes to every question, so the overlay can be generated before the build that
// answers them (see onebuild.go); asked, when set, records every object asked about.
type inventory struct {
	objects map[ObjectRef]string
	probing bool
	asked   map[ObjectRef]bool
}

// lookup returns the apiVersion of r when the upstream build has it.
func (i inventory) lookup(r ObjectRef) (string, bool) {
	if i.asked != nil {
		i.asked[r] = true
	}
	if i.probing {
		return probeAPIVersion, true
	}
	v, ok := i.objects[r]
	return v, ok
}

func (i inventory) has(r ObjectRef) bool { _, ok := i.lookup(r); return ok }

func inventoryOf(m resmap.ResMap) inventory {
	inv := inventory{objects: map[ObjectRef]string{}}
	for _, r := range m.Resources() {
		inv.objects[ObjectRef{Kind: r.GetKind(), Name: r.GetName(), Namespace: r.GetNamespace()}] = r.GetApiVersion()
	}
	return inv
}

// BuildError is a failed kustomize build of Dir.
type BuildError struct {
	Dir string
	Err error
}

func (e *BuildError) Error() string { return fmt.Sprintf("kustomize build %q: %v", e.Dir, e.Err) }
func (e *BuildError) Unwrap() error { return e.Err }

// gitEnvMu serialises builds that set git's environment: kustomize runs the git binary for remote bases and
// offers no hook to configure it, so URL rewrites to local mirrors can only travel through the process
// environment, which is shared by every goroutine.
var gitEnvMu sync.Mutex

// kustomizeBuild builds dir with the kustomize API on the real file system, like `kustomize build dir`
// (load restrictions on, plugins off). mirrors maps remote repository URLs to local git repositories; git is
// never allowed to prompt. The build is abandoned when ctx ends.
func kustomizeBuild(ctx context.Context, dir string, mirrors map[string]string, log *slog.Logger) (resmap.ResMap, error) {
	return kustomizeBuildFS(ctx, filesys.MakeFsOnDisk(), dir, mirrors, log)
}

// kustomizeBuildFS is kustomizeBuild reading through fs.
func kustomizeBuildFS(ctx context.Context, fs filesys.FileSystem, dir string, mirrors map[string]string,
	log *slog.Logger) (resmap.ResMap, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("kustomize build %q: %w", dir, err)
	}
	type result struct {
		m   resmap.ResMap
		err error
	}
	done := make(chan result, 1)
	go func() {
		gitEnvMu.Lock()
		defer gitEnvMu.Unlock()
		restore := setGitEnv(mirrors)
		defer restore()
		stopCapture := captureStderr(log)
		defer stopCapture()
		k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		m, err := k.Run(fs, dir)
		done <- result{m, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, &BuildError{Dir: dir, Err: r.err}
		}
		return r.m, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("kustomize build %q: %w", dir, ctx.Err())
	}
}

// captureStderr sends what kustomize prints on the process's stderr (deprecation notes about upstream
// kustomizations, unused vars) to log at debug level until the returned function is called: kustomize writes
// them to os.Stderr and the standard logger directly, and they are not actionable for kfaws users.
func captureStderr(log *slog.Logger) func() {
	r, w, err := os.Pipe()
	if err != nil {
		return func() {}
	}
	oldErr, oldLog := os.Stderr, stdlog.Writer()
	os.Stderr = w
	stdlog.SetOutput(w)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			log.Debug("kustomize", "message", strings.TrimSpace(sc.Text()))
		}
	}()
	return func() {
		os.Stderr = oldErr
		stdlog.SetOutput(oldLog)
		w.Close()
		<-done
		r.Close()
	}
}

// setGitEnv points git at local mirrors through GIT_CONFIG_COUNT url.<mirror>.insteadOf entries and returns a
// function restoring the previous environment.
func setGitEnv(mirrors map[string]string) func() {
	vars := map[string]string{"GIT_TERMINAL_PROMPT": "0"}
	repos := make([]string, 0, len(mirrors))
	for repo := range mirrors {
		repos = append(repos, repo)
	}
	sort.Strings(repos)
	n := 0
	for _, repo := range repos {
		// kustomize may clone "<repo>" or "<repo>.git"; git uses the longest matching prefix.
		to := mirrors[repo]
		if filepath.IsAbs(to) {
			to = "file://" + to // git honours --depth for file:// URLs, not for plain paths
		}
		for _, from := range []string{strings.TrimSuffix(repo, ".git"), strings.TrimSuffix(repo, ".git") + ".git"} {
			vars["GIT_CONFIG_KEY_"+strconv.Itoa(n)] = "url." + to + ".insteadOf"
			vars["GIT_CONFIG_VALUE_"+strconv.Itoa(n)] = from
			n++
		}
	}
	if n > 0 {
		vars["GIT_CONFIG_COUNT"] = strconv.Itoa(n)
	}
	old := map[string]*string{}
	for k, v := range vars {
		if prev, ok := os.LookupEnv(k); ok {
			old[k] = &prev
		} else {
			old[k] = nil
		}
		os.Setenv(k, v)
	}
	return func() {
		for k, v := range old {
			if v == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *v)
			}
		}
	}
}

// checkBuilt checks the built objects: patched containers exist, and Argo can use the identity.
func (r *Render) checkBuilt(res *Result, m resmap.ResMap) error {
	if err := checkContainers(m); err != nil {
		return err
	}
	warn, err := checkArgoPodIdentity(m, r.Values)
	if warn != "" {
		res.Warnings = append(res.Warnings, warn)
	}
	return err
}

// checkContainers fails when a patch created a container instead of changing one: a strategic merge on a
// container name the release does not have adds a container without an image.
func checkContainers(m resmap.ResMap) error {
	for _, r := range m.Resources() {
		if r.GetKind() != "Deployment" {
			continue
		}
		containers, err := r.GetSlice("spec.template.spec.containers")
		if err != nil {
			continue
		}
		for _, c := range containers {
			cm, _ := c.(map[string]any)
			if _, ok := cm["image"]; !ok {
				return fmt.Errorf("the overlay patched container %q of Deployment %q, which this release does not "+
					"have; the release's layout differs from what kfaws knows, report it", cm["name"], r.GetName())
			}
		}
	}
	return nil
}
