package render

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/render/detect"
)

// releaseControllers is the metacontroller controller kind and version each release deploys
// (manifests@v1.7.0…v1.9.1: composite-controller.yaml, metacontroller v2.0.4; v1.10.2 on: decorator-controller.yaml,
// v4.11.22); the synthetic trees must model them.
var releaseControllers = map[string]string{
	"v1.7": "composite-v2.0.4", "v1.8": "composite-v2.0.4", "v1.9.0": "composite-v2.0.4", "v1.9.1": "composite-v2.0.4",
	"v1.10": "decorator-v4.11.22", "v1.11": "decorator-v4.11.22", "26.03": "decorator-v4.11.22",
	"26.03.1": "decorator-v4.11.22",
}

// checkProfiles runs the hook as the built profile controller runs it (its code, templates and environment) on
// the request body the release's metacontroller sends, and checks what a profile namespace gets.
func checkProfiles(t *testing.T, b *built, v Values, res *Result) {
	t.Helper()
	if v.podIdentity() && b.get("ServiceAccount", "default-editor") != nil {
		t.Error("pod-identity: default-editor is patched, but its role comes from an EKS association")
	}
	if v.Credentials == config.CredentialsIRSA && !v.podIdentity() {
		want := map[string]string{}
		for _, p := range v.profileRoles() {
			want[p.Namespace] = p.RoleARN
		}
		if got := profileAccountRoles(b); !reflect.DeepEqual(got, want) {
			t.Errorf("default-editor role annotations by namespace: %v, want %v", got, want)
		}
	}
	l := res.Layout
	d := deployedProfileController(t, b)
	if want := releaseControllers[l.Release]; filepath.Base(d.fixture) != want+".json" {
		t.Fatalf("release %s must deploy %s; the built stream runs %s", l.Release, want, filepath.Base(d.fixture))
	}
	if d.env["KFP_VERSION"] != l.KFPVersion {
		t.Errorf("profile controller KFP_VERSION = %q, want %s", d.env["KFP_VERSION"], l.KFPVersion)
	}
	checkTemplatesHoldNoKeys(t, d)
	request, err := os.ReadFile(d.fixture)
	if err != nil {
		t.Fatal(err)
	}
	objs := d.call(t, request, nil)
	checkProfileObjects(t, d, res, v, objs, false)

	resync, err := os.ReadFile(strings.TrimSuffix(d.fixture, ".json") + "-resync.json")
	if err != nil {
		t.Fatal(err)
	}
	if again := d.call(t, resync, nil); !reflect.DeepEqual(again, objs) {
		t.Errorf("with the objects already in the namespace the hook answers differently:\n%v\nthen\n%v",
			namesOf(objs), namesOf(again))
	}
	if got := d.call(t, unlabelled(t, request), nil); len(got) != 0 {
		t.Errorf("a namespace without %s=true gets %v", kubeflow.ProfileLabel, namesOf(got))
	}
	if l.ObjectStore == detect.SeaweedFS {
		proxy := d.call(t, request, map[string]string{"ARTIFACTS_PROXY_ENABLED": "true"})
		checkProfileObjects(t, d, res, v, proxy, true)
	}
}

func checkProfileObjects(t *testing.T, d *deployedController, res *Result, v Values, objs []obj, proxy bool) {
	t.Helper()
	l := res.Layout
	if got, want := namesOf(objs), wantProfileObjects(l, v.Credentials, proxy); !reflect.DeepEqual(got, want) {
		t.Errorf("profile namespace gets %v, want %v", got, want)
	}
	for _, o := range objs {
		ref := str(o, "kind") + "/" + str(o, "metadata", "name")
		if ns := str(o, "metadata", "namespace"); ns != fixtureNS {
			t.Errorf("%s is in namespace %q, want %q", ref, ns, fixtureNS)
		}
		if !d.declared[str(o, "apiVersion")+"/"+str(o, "kind")] {
			t.Errorf("%s %s is not a type the %s declares", str(o, "apiVersion"), ref, d.kind)
		}
		data, _ := json.Marshal(o)
		if strings.Contains(string(data), "__") {
			t.Errorf("%s keeps a placeholder: %s", ref, data)
		}
		if v.Credentials == config.CredentialsIRSA && strings.Contains(string(data), "secretKeyRef") {
			t.Errorf("irsa mode: %s reads a Secret", ref)
		}
	}
	got := newBuilt(objs)
	root := "s3://" + v.Bucket + "/" + kubeflow.ProfileArtifacts(fixtureNS) + "v2/artifacts"
	if l.ObjectStore == detect.SeaweedFS {
		checkNamespaceRepo(t, got, v)
	}
	checkLauncher(t, sub(got.get("ConfigMap", "kfp-launcher"), "data"), v, res, root)
	secret := got.get("Secret", kubeflow.ObjectStoreSecret)
	if v.Credentials == config.CredentialsStatic {
		if str(secret, "data", "accesskey") != base64.StdEncoding.EncodeToString([]byte(syncedAccessKey)) ||
			str(secret, "data", "secretkey") != base64.StdEncoding.EncodeToString([]byte(syncedSecretKey)) {
			t.Errorf("static mode: the namespace Secret does not carry the keys synced into kubeflow: %v", sub(secret, "data"))
		}
	}
	frontend, visualization := "ghcr.io/kubeflow/kfp-frontend", "ghcr.io/kubeflow/kfp-visualization-server"
	if releaseControllers[l.Release] == "composite-v2.0.4" {
		frontend, visualization = "gcr.io/ml-pipeline/frontend", "gcr.io/ml-pipeline/visualization-server"
	}
	if viewer := got.get("Deployment", kubeflow.ArtifactViewer); viewer != nil {
		checkViewer(t, viewer, v, frontend+":"+l.KFPVersion)
	}
	if vis := got.get("Deployment", kubeflow.VisualizationServer); vis != nil {
		if img := containerImage(t, vis, kubeflow.VisualizationServer); img != visualization+":"+l.KFPVersion {
			t.Errorf("visualization server image %q, want the release controller's %s:%s", img, visualization, l.KFPVersion)
		}
	}
	checkPodSecurity(t, objs)
}

// checkViewer: the artifact viewer reads S3 in the bucket's region, with the namespace's keys (static) or
// default-editor's identity (irsa), from the image the release's controller would run.
func checkViewer(t *testing.T, viewer obj, v Values, image string) {
	t.Helper()
	if img := containerImage(t, viewer, kubeflow.ArtifactViewer); img != image {
		t.Errorf("%s image %q, want %s", kubeflow.ArtifactViewer, img, image)
	}
	if sa := str(viewer, "spec", "template", "spec", "serviceAccountName"); sa != "default-editor" {
		t.Errorf("%s runs as %q, want default-editor", kubeflow.ArtifactViewer, sa)
	}
	env := containerEnv(t, viewer, kubeflow.ArtifactViewer)
	b := newBuilt(nil)
	want := map[string]string{"AWS_REGION": v.Region, "AWS_S3_ENDPOINT": s3Host(v.Region), "AWS_SSL": "true",
		"AWS_ACCESS_KEY_ID": "<unset>", "AWS_SECRET_ACCESS_KEY": "<unset>"}
	if v.Credentials == config.CredentialsStatic {
		want["AWS_ACCESS_KEY_ID"] = "secret:" + kubeflow.ObjectStoreSecret + "/accesskey"
		want["AWS_SECRET_ACCESS_KEY"] = "secret:" + kubeflow.ObjectStoreSecret + "/secretkey"
	}
	for name, w := range want {
		if got := b.resolve(t, env[name]); got != w {
			t.Errorf("%s %s = %q, want %q", kubeflow.ArtifactViewer, name, got, w)
		}
	}
	for name := range env {
		if strings.HasPrefix(name, "MINIO_") {
			t.Errorf("%s still sets %s", kubeflow.ArtifactViewer, name)
		}
	}
}

func checkNamespaceRepo(t *testing.T, att *built, v Values) {
	t.Helper()
	var repo struct {
		S3 map[string]any `json:"s3"`
	}
	if err := yaml.Unmarshal([]byte(str(att.get("ConfigMap", "artifact-repositories"), "data", "default-namespaced")), &repo); err != nil {
		t.Fatalf("artifact-repositories: %v", err)
	}
	kf, _ := repo.S3["keyFormat"].(string)
	if repo.S3["bucket"] != v.Bucket || !strings.HasPrefix(kf, kubeflow.ProfileArtifacts(fixtureNS)) {
		t.Errorf("per-namespace Argo repository is not the namespace's prefix of the bucket: %v", repo.S3)
	}
	if irsa := v.Credentials == config.CredentialsIRSA; (repo.S3["useSDKCreds"] == true) != irsa {
		t.Errorf("per-namespace Argo repository useSDKCreds = %v in %s mode", repo.S3["useSDKCreds"], v.Credentials)
	}
}

// profileAccountRoles maps the namespace of every default-editor the build patches to the role it names.
func profileAccountRoles(b *built) map[string]string {
	roles := map[string]string{}
	for _, o := range b.objs {
		if str(o, "kind") == "ServiceAccount" && str(o, "metadata", "name") == kubeflow.PipelineRunnerAccount {
			roles[str(o, "metadata", "namespace")] = str(o, "metadata", "annotations", identity.RoleARNAnnotation)
		}
	}
	return roles
}

// checkTemplatesHoldNoKeys: the templates ConfigMap carries Secret data only as placeholders the hook fills from
// its environment.
func checkTemplatesHoldNoKeys(t *testing.T, d *deployedController) {
	t.Helper()
	var tmpl profileTemplates
	if err := json.Unmarshal([]byte(d.templatesRaw), &tmpl); err != nil {
		t.Fatalf("templates: %v", err)
	}
	for _, e := range tmpl.Objects {
		if str(e.Object, "kind") != "Secret" {
			continue
		}
		if e.Object["stringData"] != nil {
			t.Errorf("Secret template %q has stringData", str(e.Object, "metadata", "name"))
		}
		for k, val := range sub(e.Object, "data") {
			if s, _ := val.(string); !strings.HasPrefix(s, "__B64ENV_") {
				t.Errorf("Secret template %q key %s holds a value, not a placeholder", str(e.Object, "metadata", "name"), k)
			}
		}
	}
	if strings.Contains(d.templatesRaw, syncedAccessKey) || strings.Contains(d.templatesRaw, syncedSecretKey) {
		t.Errorf("the templates ConfigMap holds an S3 key")
	}
}

// unlabelled is request with the namespace's pipelines.kubeflow.org/enabled label removed.
func unlabelled(t *testing.T, request []byte) []byte {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal(request, &r); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"object", "parent"} {
		if ns, ok := r[k].(map[string]any); ok {
			delete(sub(ns, "metadata", "labels"), kubeflow.ProfileLabel)
		}
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
