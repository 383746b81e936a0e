// Package render generates the kustomize overlay that puts a Kubeflow manifests checkout's KFP and Katib on RDS
// and/or S3, and builds it in-process with the kustomize API.
//
// The overlay only references the upstream entry points the full platform installs and patches them; upstream
// files are never edited. What it removes is decided from what the upstream entry points build to, so a release
// that lacks an object gets no patch for it; one kustomize build gives both that and the result (onebuild.go).
// Remote kustomize bases are found by reading files before any build, and are refused offline with the list of
// what to vendor instead of letting git reach for the network.
package render

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/resmap"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/render/detect"
)

// Render is the render operation. Exported fields are its options.
type Render struct {
	// Manifests is the root of the manifests checkout.
	Manifests string
	Values    Values
	// OutDir keeps the overlay (for GitOps); empty means a temporary directory removed after the build.
	OutDir string
	// GitMirrors maps a remote base's repository URL to a local git repository holding the same refs, so trees
	// with remote bases build offline.
	GitMirrors map[string]string
	// AllowNetwork lets kustomize clone remote bases that have no mirror (bounded by ctx and git's own timeout).
	AllowNetwork bool
	// SkipBuild generates the overlay without building it.
	SkipBuild bool
	Logger    *slog.Logger
	// twice skips the single build (tests compare it with the two-build path).
	twice bool
}

// Result is what Run found and produced.
type Result struct {
	Layout *detect.Layout
	// Remote lists the remote bases the entry points reach.
	Remote []detect.Remote
	// OutDir is where the overlay was written ("" when it was temporary).
	OutDir string
	// Files are the overlay files by path relative to the overlay directory.
	Files map[string][]byte
	// Removed lists the upstream objects the overlay deletes.
	Removed []ObjectRef
	// Upstream and Built are the object counts before and after the overlay (0 when not built).
	Upstream int
	Built    int
	// SingleBuild is true when one kustomize build gave both the inventory and the built objects (onebuild.go),
	// false when the entry points and then the overlay were built.
	SingleBuild bool
	// Warnings are known upstream limits and things the user must do; never secrets.
	Warnings []string
	objects  resmap.ResMap
}

// RemoteBasesError is returned when the tree needs remote bases that may not be fetched.
type RemoteBasesError struct {
	Manifests string
	Missing   []detect.Remote
}

func (e *RemoteBasesError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the manifests in %q reference %d remote kustomize base(s) and the network is off:\n",
		e.Manifests, len(e.Missing))
	repos := map[string]string{}
	for _, r := range e.Missing {
		fmt.Fprintf(&b, "  %s (in %s)\n", r.URL, r.File)
		repos[r.Repo()] = r.Ref()
	}
	b.WriteString("vendor them: clone each repository with its refs where the network is reachable, e.g.\n")
	names := make([]string, 0, len(repos))
	for repo := range repos {
		names = append(names, repo)
	}
	sort.Strings(names)
	for _, repo := range names {
		fmt.Fprintf(&b, "  git clone --mirror %s /path/to/%s.git   # needs ref %s\n", repo, filepath.Base(repo),
			repos[repo])
	}
	b.WriteString("then pass --git-mirror URL=/path/to/NAME.git for each (or --allow-network to let kustomize fetch them)")
	return b.String()
}

// Run detects the tree, checks the known limits, writes the overlay and builds it.
func (r *Render) Run(ctx context.Context) (*Result, error) {
	log := r.logger()
	l, err := detect.DetectContext(ctx, r.Manifests)
	if err != nil {
		return nil, err
	}
	log.Info("detected manifests", "family", l.Kind, "ref", l.Ref, "release", l.Release, "wiring", l.Wiring,
		"kfp", l.KFPVersion, "katib", l.KatibVersion, "objectStore", l.ObjectStore)
	res := &Result{Layout: l, OutDir: r.OutDir}
	if err := r.Values.Validate(); err != nil {
		return res, err
	}
	warnings, err := limits(l, r.Values)
	res.Warnings = warnings
	if err != nil {
		return res, err
	}
	if res.Remote, err = detect.RemoteBases(os.DirFS(l.Root), l.PipelineEntry, l.KatibEntry); err != nil {
		return res, fmt.Errorf("scanning %q for remote bases: %w", l.Root, err)
	}
	mirrors := normalMirrors(r.GitMirrors)
	if missing := unmirrored(res.Remote, mirrors); len(missing) > 0 && !r.AllowNetwork {
		return res, &RemoteBasesError{Manifests: l.Root, Missing: missing}
	}
	if len(res.Remote) > 0 && len(mirrors) > 0 {
		tmp, err := os.MkdirTemp("", "kfaws-mirrors-")
		if err != nil {
			return res, fmt.Errorf("staging git mirrors: %w", err)
		}
		defer os.RemoveAll(tmp)
		if mirrors, err = stageMirrors(ctx, res.Remote, mirrors, tmp); err != nil {
			return res, err
		}
	}
	return res, r.generate(ctx, res, mirrors)
}

func (r *Render) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

// unmirrored lists the remote bases no mirror covers.
func unmirrored(remote []detect.Remote, mirrors map[string]string) []detect.Remote {
	var out []detect.Remote
	for _, rb := range remote {
		if _, ok := mirrors[strings.TrimSuffix(rb.Repo(), ".git")]; !ok {
			out = append(out, rb)
		}
	}
	return out
}

// normalMirrors keys mirrors by repository URL without a trailing slash or .git.
func normalMirrors(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[strings.TrimSuffix(strings.TrimSuffix(k, "/"), ".git")] = v
	}
	return out
}

// generate writes the overlay and builds it. One kustomize build normally gives both the inventory the overlay
// depends on and the built result (onebuild.go); when that build cannot stand for the overlay's own, the entry
// points are built for the inventory and then the written overlay is built as it is.
func (r *Render) generate(ctx context.Context, res *Result, mirrors map[string]string) error {
	if !r.twice {
		done, err := r.generateOnce(ctx, res, mirrors)
		if done || err != nil {
			res.SingleBuild = done
			return err
		}
	}
	return r.generateTwice(ctx, res, mirrors)
}

// generateTwice builds the upstream entry points for the inventory, writes the overlay and builds it.
func (r *Render) generateTwice(ctx context.Context, res *Result, mirrors map[string]string) error {
	l := res.Layout
	inv := inventory{objects: map[ObjectRef]string{}}
	upstream := 0
	for _, entry := range []string{l.PipelineEntry, l.KatibEntry} {
		m, err := kustomizeBuild(ctx, filepath.Join(l.Root, filepath.FromSlash(entry)), mirrors, r.logger())
		if err != nil {
			return fmt.Errorf("building upstream entry point %q (fix the tree or report it; kfaws did not change "+
				"it): %w", entry, err)
		}
		upstream += m.Size()
		for k, v := range inventoryOf(m).objects {
			inv.objects[k] = v
		}
	}
	res.Upstream = upstream
	o := wire(l, r.Values, inv)
	dir := r.OutDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "kfaws-overlay-")
		if err != nil {
			return fmt.Errorf("creating a temporary overlay directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := r.writeOverlay(res, o, dir, true); err != nil || r.SkipBuild {
		return err
	}
	m, err := kustomizeBuild(ctx, dir, mirrors, r.logger())
	if err != nil {
		return fmt.Errorf("building the generated overlay: %w", err)
	}
	if err := r.checkBuilt(res, m); err != nil {
		return err
	}
	res.objects, res.Built = m, m.Size()
	return nil
}

// writeOverlay records what o removes and notes, completes it with its kustomization.yaml referencing the entry
// points from dir, and writes it to dir unless write is false.
func (r *Render) writeOverlay(res *Result, o *overlay, dir string, write bool) error {
	res.Removed = o.removed
	res.Warnings = append(res.Warnings, o.notes...)
	bases, err := entryBases(dir, res.Layout)
	if err != nil {
		return err
	}
	o.add("kustomization.yaml", o.kustomization(bases))
	o.files["kustomization.yaml"] = append([]byte(generatedHeader), o.files["kustomization.yaml"]...)
	res.Files = o.files
	if !write {
		return nil
	}
	if err := prepareOutDir(dir); err != nil {
		return err
	}
	_, err = o.write(dir)
	return err
}

// entryBases are the upstream entry points as a kustomization in dir references them.
func entryBases(dir string, l *detect.Layout) ([]string, error) {
	bases := make([]string, 0, 2)
	for _, entry := range []string{l.PipelineEntry, l.KatibEntry} {
		rel, err := relBase(dir, l.Root, entry)
		if err != nil {
			return nil, err
		}
		bases = append(bases, rel)
	}
	return bases, nil
}

// wire generates the overlay for the option.
func wire(l *detect.Layout, v Values, inv inventory) *overlay {
	o := newOverlay()
	if v.Option.UsesRDS() {
		wireRDS(o, l, v, inv)
	}
	if v.Option.UsesS3() {
		wireS3(o, l, v, inv)
	}
	wireSecrets(o, v)
	return o
}

// limits returns what detection assumed, the known upstream limits that apply, and an error for a combination
// known to be broken. Each is decided by what the tree's KFP can do (l.Caps), not by a release name.
func limits(l *detect.Layout, v Values) ([]string, error) {
	warn := append([]string(nil), l.Warnings...)
	s3, irsa := v.Option.UsesS3(), v.Credentials == config.CredentialsIRSA
	if s3 && irsa && v.podIdentity() {
		if err := podIdentityRefusal(l); err != nil {
			return warn, err
		}
	}
	if s3 && irsa && !l.Caps.APIServerIRSA {
		return warn, fmt.Errorf("KFP %s's API server cannot use IRSA: it refuses empty S3 keys "+
			"(kubeflow/pipelines#12508, fixed in KFP 2.16.0); use --s3-credentials static, or a manifests tree of "+
			"26.03 or later (KFP 2.16)", l.KFPVersion)
	}
	switch {
	case s3 && !l.Caps.LauncherProviders && irsa:
		// The v2 launcher opens s3:// roots with the pod's environment credentials only
		// (pipelines@2.0.5:backend/src/v2/objectstore/object_store.go, OpenBucket); pipeline pods run as
		// default-editor.
		warn = append(warn, "KFP "+l.KFPVersion+": v2 pipelines read S3 with the run pod's environment "+
			"credentials, i.e. the IRSA role of the profile's default-editor with the region the IRSA webhook injects")
	case s3 && !l.Caps.LauncherProviders:
		// Same file: mlpipeline-minio-artifact is read only for minio:// roots, so synced keys never reach an
		// s3:// root.
		warn = append(warn, "KFP "+l.KFPVersion+"'s v2 launcher cannot use the synced S3 keys: v2 pipeline tasks "+
			"reach the bucket only if each task gets them as environment variables (kfp-kubernetes "+
			"use_secret_as_env with "+kubeflow.ObjectStoreSecret+": accesskey as AWS_ACCESS_KEY_ID, secretkey as "+
			"AWS_SECRET_ACCESS_KEY, plus AWS_REGION); v1 pipelines are not affected; use --s3-credentials irsa "+
			"for v2 pipelines")
	}
	if s3 {
		warn = append(warn, profileAccess(v))
	}
	if v.Option.UsesS3() {
		stale := "mlpipeline-minio-artifact and kfp-launcher"
		if l.ObjectStore == detect.SeaweedFS {
			stale = "mlpipeline-minio-artifact, kfp-launcher and artifact-repositories"
		}
		with := "the namespace's synced keys"
		if irsa {
			with = "default-editor's role"
		}
		warn = append(warn, "the per-namespace artifact viewer (ml-pipeline-ui-artifact) reads S3 with "+with+
			"; profile namespaces filled before kfaws keep the upstream controller's Secret and ConfigMaps (update "+
			"strategy OnDelete): delete "+stale+" there once to have them recreated (kfaws apply does it for a "+
			"kfp-launcher kfaws's own hook wrote before profiles were confined)")
	}
	if v.Option.UsesRDS() {
		warn = append(warn, "the RDS user KFP's metadata server (MLMD) connects with must use "+
			"mysql_native_password; Katib's database must exist before it starts")
	}
	if config.SyncsSecrets(v.Option, v.Credentials) {
		warn = append(warn, "needs the Secrets Store CSI driver (with secret syncing) and its AWS provider in the "+
			"cluster")
	}
	return warn, nil
}

// profileAccess says which profiles reach S3 and how far: with roles, each profile up gave access reaches only
// its own prefix of the bucket; with static keys, every profile has the whole bucket.
func profileAccess(v Values) string {
	prefix := "s3://" + v.Bucket + "/" + kubeflow.ProfileArtifacts("<namespace>")
	switch {
	case v.Credentials == config.CredentialsStatic:
		return "static: every profile namespace gets the same S3 keys, which reach the whole bucket, so profiles " +
			"are not confined to their own " + prefix + "; use --s3-credentials irsa for that"
	case v.podIdentity():
		return "pod-identity: the profiles kfaws up gave S3 access to share the profile role, each confined to " +
			"its own " + prefix + "; a profile created later reaches S3 only after `kfaws up`"
	case len(v.ProfileRoleARNs) == 0:
		return "irsa: only default-editor in " + v.ProfileNamespace + " gets a role, as no per-profile roles are " +
			"recorded: other profiles' pipelines have none to reach S3 with; `kfaws up` then `kfaws apply` give " +
			"every profile its own, confined to its own " + prefix
	}
	var names []string
	for _, p := range v.profileRoles() {
		names = append(names, p.Namespace)
	}
	return "irsa: default-editor in each profile kfaws up gave S3 access to (" + strings.Join(names, ", ") +
		") gets that profile's own role, confined to its own " + prefix + "; a profile created later reaches S3 " +
		"only after `kfaws up` then `kfaws apply`"
}

// podIdentityRefusal names every KFP component of the tree that reads S3 and cannot take Pod Identity
// credentials: none of them has another way to the bucket in pod-identity mode.
func podIdentityRefusal(l *detect.Layout) error {
	pi := l.Caps.PodIdentity
	var why []string
	for _, c := range []struct{ name, reason string }{
		{"API server", pi.APIServer}, {"v2 launcher", pi.Launcher}, {"UI", pi.UI},
	} {
		if c.reason != "" {
			why = append(why, "its "+c.name+": "+c.reason)
		}
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("KFP %s cannot use EKS Pod Identity: %s; use --identity irsa, or a manifests tree with KFP 2.16 "+
		"or later (26.03)", l.KFPVersion, strings.Join(why, "; "))
}

// YAML returns the built objects as one YAML stream, or an error when nothing was built.
func (res *Result) YAML() ([]byte, error) {
	if res.objects == nil {
		return nil, errors.New("the overlay was not built")
	}
	return res.objects.AsYaml()
}

// built reports whether the overlay was built (false with SkipBuild).
func (res *Result) built() bool { return res.objects != nil }
