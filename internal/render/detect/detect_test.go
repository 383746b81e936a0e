package detect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

const (
	seedConfig = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pipeline-install-config\ndata:\n  appVersion: 2.16.0\n  dbHost: mysql\n  mysqlHost: mysql\n"
	seedKatib  = "images:\n- name: ghcr.io/kubeflow/katib/katib-db-manager\n  newTag: v0.19.0\n"
	seedEnv    = "resources:\n- ../../third-party/seaweedfs/istio\n"
)

// tree builds an in-memory manifests tree under prefix.
func tree(prefix, cfg, katib, env string) fstest.MapFS {
	p := prefix + "/"
	return fstest.MapFS{
		p + installConfigFile:                                {Data: []byte(cfg)},
		p + katibEntryDir + "/kustomization.yaml":            {Data: []byte(katib)},
		p + multiUserEnvDir + "/kustomization.yaml":          {Data: []byte(env)},
		p + certManagerEnvDir + "/kustomization.yaml":        {Data: []byte("resources:\n- ../../platform-agnostic-multi-user\n")},
		p + "pipeline/upstream/base/installs/generic/x.yaml": {Data: []byte("x: 1\n")},
	}
}

func TestDetectSynthetic(t *testing.T) {
	// tree: family, release, wiring, prefix, KFP, object store, Pod Security level of the kubeflow namespace
	want := map[string][7]string{
		"v1.7-aws": {"awslabs/kubeflow-manifests", "v1.7", "v1.7", "upstream/apps", "2.0.0-alpha.7", "minio", ""},
		"v1.8":     {"kubeflow/manifests", "v1.8", "v1.8", "apps", "2.0.5", "minio", ""},
		"v1.9":     {"kubeflow/manifests", "v1.9.0", "v1.9.0", "apps", "2.2.0", "minio", ""},
		"v1.9.1":   {"kubeflow/manifests", "v1.9.1", "v1.9.1", "apps", "2.3.0", "minio", ""},
		"v1.10":    {"kubeflow/manifests", "v1.10", "v1.10", "applications", "2.5.0", "minio", "baseline"},
		"v1.11":    {"kubeflow/manifests", "v1.11", "v1.11", "applications", "2.15.0", "seaweedfs", "restricted"},
		"26.03":    {"kubeflow/manifests", "26.03", "26.03", "applications", "2.16.0", "seaweedfs", "restricted"},
		"26.03.1":  {"kubeflow/community-distribution", "26.03.1", "26.03.1", "applications", "2.16.1", "seaweedfs", "restricted"},
	}
	for rel, w := range want {
		l, err := DetectFS(os.DirFS(filepath.Join("..", "testdata", "trees", rel)), rel)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		got := [7]string{string(l.Kind), l.Release, l.Wiring, l.Prefix, l.KFPVersion, string(l.ObjectStore), l.PodSecurity()}
		if got != w {
			t.Errorf("%s: got %v, want %v", rel, got, w)
		}
		if len(l.Warnings) > 0 || l.Newer {
			t.Errorf("%s: a shipped KFP version gave warnings %v", rel, l.Warnings)
		}
		if l.NamespaceLabels["control-plane"] != "kubeflow" || l.NamespaceLabels["istio-injection"] != "enabled" {
			t.Errorf("%s: kubeflow namespace labels %v", rel, l.NamespaceLabels)
		}
	}
	aws, _ := Detect(filepath.Join("..", "testdata", "trees", "v1.7-aws"))
	if aws.PipelineEntry != "awsconfigs/apps/pipeline/base" {
		t.Errorf("awslabs entry point %q, want the fork's own pipeline base", aws.PipelineEntry)
	}
	l, _ := Detect(filepath.Join("..", "testdata", "trees", "26.03"))
	if l.PipelineEntry != "applications/pipeline/overlays" {
		t.Errorf("26.03 entry point %q, want the platform overlay", l.PipelineEntry)
	}
	if l.HasKey("mysqlHost") != true {
		t.Errorf("26.03 install config keys %v lack mysqlHost", l.InstallConfigKeys)
	}
}

func TestNamespaceLabelsAbsent(t *testing.T) {
	l, err := DetectFS(tree("applications", seedConfig, seedKatib, seedEnv), "bare")
	if err != nil {
		t.Fatal(err)
	}
	if l.NamespaceLabels != nil || l.PodSecurity() != "" {
		t.Errorf("a tree without common/kubeflow-namespace has labels %v", l.NamespaceLabels)
	}
}

func TestDetectRefusals(t *testing.T) {
	cases := map[string]struct {
		fs   fstest.MapFS
		want []string
	}{
		"empty":            {fstest.MapFS{"README": {}}, []string{"applications/pipeline/upstream/base/installs/generic/pipeline-install-config.yaml", "apps/pipeline", "upstream/apps/pipeline"}},
		"awslabs no clone": {fstest.MapFS{"awsconfigs/apps/x": {}}, []string{"without its upstream/ clone"}},
		"older KFP":        {tree("applications", strings.Replace(seedConfig, "2.16.0", "1.8.5", 1), seedKatib, seedEnv), []string{"KFP 1.8.5 is older than the oldest release kfaws knows (v1.7, KFP 2.0.0-alpha.7)", "data.appVersion"}},
		"unparseable KFP":  {tree("applications", strings.Replace(seedConfig, "2.16.0", "master", 1), seedKatib, seedEnv), []string{`KFP appVersion "master" is not a semantic version`, "2.16.1 (26.03.1)"}},
		"no katib": {func() fstest.MapFS {
			m := tree("apps", seedConfig, seedKatib, seedEnv)
			delete(m, "apps/"+katibEntryDir+"/kustomization.yaml")
			return m
		}(), []string{"katib-with-kubeflow"}},
		"no store":        {tree("apps", seedConfig, seedKatib, "resources: []\n"), []string{"neither third-party/minio nor third-party/seaweedfs"}},
		"wrong configmap": {tree("apps", strings.Replace(seedConfig, "pipeline-install-config", "other", 1), seedKatib, seedEnv), []string{`"pipeline-install-config"`}},
	}
	for name, c := range cases {
		_, err := DetectFS(c.fs, "/some/dir")
		if err == nil {
			t.Errorf("%s: detected a tree that should be refused", name)
			continue
		}
		for _, w := range append(c.want, "/some/dir") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q: %v", name, w, err)
			}
		}
	}
}

func TestRemoteRepoAndRef(t *testing.T) {
	cases := map[string][2]string{
		"https://github.com/argoproj/argo-workflows/manifests/base/crds/minimal?ref=v3.7.3": {"https://github.com/argoproj/argo-workflows", "v3.7.3"},
		"github.com/kubeflow/manifests//common/x?ref=v1.9.0":                                {"github.com/kubeflow/manifests", "v1.9.0"},
		"https://example.com/org/repo.git/sub/dir?version=abc":                              {"https://example.com/org/repo.git", "abc"},
		"git@github.com:org/repo.git/path":                                                  {"git@github.com:org/repo.git", ""},
	}
	for url, w := range cases {
		r := Remote{URL: url}
		if !IsRemote(url) || r.Repo() != w[0] || r.Ref() != w[1] {
			t.Errorf("%s: remote=%v repo=%q ref=%q, want %v", url, IsRemote(url), r.Repo(), r.Ref(), w)
		}
	}
	if IsRemote("../../base") || IsRemote("deployment.yaml") {
		t.Errorf("local references taken for remote")
	}
}

func TestRemoteBasesFollowsLocalOnly(t *testing.T) {
	fs := fstest.MapFS{
		"a/kustomization.yaml": {Data: []byte("resources:\n- ../b\n- https://github.com/o/r/x?ref=v1\n- ../../outside\n")},
		"b/kustomization.yaml": {Data: []byte("bases:\n- ../a\ncomponents:\n- github.com/o/c/y?ref=v2\n")},
		"c/kustomization.yaml": {Data: []byte("resources:\n- https://not.reached/o/r\n")},
	}
	got, err := RemoteBases(fs, "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].URL != "github.com/o/c/y?ref=v2" || got[0].File != "b/kustomization.yaml" ||
		got[1].URL != "https://github.com/o/r/x?ref=v1" {
		t.Errorf("got %v", got)
	}
}

// FuzzDetect: any file content must give a layout or an error naming the tree, never a panic, and a layout
// must be consistent with the version read.
func FuzzDetect(f *testing.F) {
	f.Add(uint8(0), seedConfig, seedKatib, seedEnv)
	f.Add(uint8(1), strings.Replace(seedConfig, "2.16.0", "2.0.0-alpha.7", 1), seedKatib, "resources:\n- ../../third-party/minio/base\n")
	f.Add(uint8(2), "kind: ConfigMap\nmetadata: {name: pipeline-install-config}\ndata: {appVersion: [1]}\n", "images: 3", "resources:\n- ../../third-party/minio/base\n- ../../third-party/seaweedfs/base\n")
	f.Add(uint8(0), "{{{", "- x", ":")
	f.Fuzz(func(t *testing.T, which uint8, cfg, katib, env string) {
		prefix := []string{"applications", "apps", "upstream/apps"}[int(which)%3]
		m := tree(prefix, cfg, katib, env)
		if which%2 == 1 {
			m["awsconfigs/README"] = &fstest.MapFile{}
		}
		l, err := DetectFS(m, "fuzz-tree")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz-tree") {
				t.Fatalf("error does not name the tree: %v", err)
			}
			return
		}
		rel, ok := ReleaseForKFP(l.KFPVersion)
		if ok != (l.Release != "") || rel != l.Release || l.Wiring == "" || l.KatibVersion == "" ||
			(l.Release == "") != (len(l.Warnings) == 1) {
			t.Fatalf("inconsistent layout %+v", l)
		}
		if l.ObjectStore != MinIO && l.ObjectStore != SeaweedFS {
			t.Fatalf("object store %q", l.ObjectStore)
		}
	})
}

// FuzzRemoteBases: any kustomization text is scanned without panic, and everything reported is remote.
func FuzzRemoteBases(f *testing.F) {
	f.Add("resources:\n- https://github.com/argoproj/argo-workflows/manifests/base/crds/minimal?ref=v3.7.3\n- ../x\n")
	f.Add("bases: [git@github.com:o/r.git, github.com/o/r?ref=a&b=c]\n")
	f.Add("resources: 7\n")
	f.Fuzz(func(t *testing.T, k string) {
		got, err := RemoteBases(fstest.MapFS{"e/kustomization.yaml": {Data: []byte(k)},
			"x/kustomization.yaml": {Data: []byte(k)}}, "e")
		if err != nil {
			return
		}
		for _, r := range got {
			if !IsRemote(r.URL) || r.Repo() == "" {
				t.Fatalf("reported %+v", r)
			}
		}
	})
}
