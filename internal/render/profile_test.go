package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/render/detect"
)

// Fake values of the keys synced into kubeflow/mlpipeline-minio-artifact in static mode.
const (
	syncedAccessKey = "AKIAEXAMPLE"
	syncedSecretKey = "wJalrXUtnFEMI/EXAMPLEKEY"
	fixtureNS       = "kubeflow-user-example-com"
)

// controllerKinds maps the resources a CompositeController / DecoratorController declares to the kinds API
// discovery reports for them.
var controllerKinds = map[string]string{
	"v1/secrets": "Secret", "v1/configmaps": "ConfigMap", "apps/v1/deployments": "Deployment",
	"v1/services": "Service", "networking.istio.io/v1alpha3/destinationrules": "DestinationRule",
	"security.istio.io/v1beta1/authorizationpolicies": "AuthorizationPolicy",
}

// deployedController is the profile controller as the built stream runs it.
type deployedController struct {
	kind         string          // CompositeController or DecoratorController
	answerKey    string          // children or attachments
	fixture      string          // testdata/metacontroller/<kind>-<metacontroller version>.json
	declared     map[string]bool // "apiVersion/Kind" of the child or attachment types
	dir          string          // where the hook's code and templates were written
	env          map[string]string
	templatesRaw string
}

// deployedProfileController reads, from the built stream, the profile controller object, the metacontroller
// version that runs it, and the hook's code, templates and environment as its Deployment mounts and sets them.
func deployedProfileController(t *testing.T, b *built) *deployedController {
	t.Helper()
	d := &deployedController{declared: map[string]bool{}, dir: t.TempDir()}
	var spec obj
	for kind, list := range map[string]string{"CompositeController": "childResources", "DecoratorController": "attachments"} {
		for _, o := range b.objs {
			if str(o, "kind") != kind {
				continue
			}
			if name := str(o, "metadata", "name"); name != kubeflow.ProfileController || d.kind != "" {
				t.Fatalf("want one metacontroller controller, %q; also found %s %q", kubeflow.ProfileController, kind, name)
			}
			d.kind, spec = kind, sub(o, "spec")
			for _, c := range spec[list].([]any) {
				cm := c.(map[string]any)
				k := controllerKinds[cm["apiVersion"].(string)+"/"+cm["resource"].(string)]
				d.declared[cm["apiVersion"].(string)+"/"+k] = true
			}
		}
	}
	mc := containerImage(t, b.get("StatefulSet", "metacontroller"), "metacontroller")
	version := mc[strings.LastIndex(mc, ":")+1:]
	d.answerKey, d.fixture = "attachments", filepath.Join("testdata", "metacontroller", "decorator-"+version+".json")
	if d.kind == "CompositeController" {
		d.answerKey, d.fixture = "children", filepath.Join("testdata", "metacontroller", "composite-"+version+".json")
	}
	if _, err := os.Stat(d.fixture); err != nil {
		t.Fatalf("metacontroller %s runs a %s, but there is no captured request %s", version, d.kind, d.fixture)
	}
	d.mountHook(t, b)
	d.env = controllerEnv(t, b, d.dir)
	return d
}

// mountHook writes the files of the ConfigMaps the controller mounts into d.dir, at their mount paths.
func (d *deployedController) mountHook(t *testing.T, b *built) {
	t.Helper()
	dep := b.get("Deployment", kubeflow.ProfileController)
	podSpec := sub(dep, "spec", "template", "spec")
	volumes := map[string]string{}
	for _, vol := range podSpec["volumes"].([]any) {
		volumes[str(vol.(map[string]any), "name")] = str(vol.(map[string]any), "configMap", "name")
	}
	for _, c := range podSpec["containers"].([]any) {
		if str(c.(map[string]any), "name") != "profile-controller" {
			continue
		}
		for _, m := range c.(map[string]any)["volumeMounts"].([]any) {
			mount := m.(map[string]any)
			cm := b.get("ConfigMap", volumes[mount["name"].(string)])
			if cm == nil {
				t.Fatalf("the profile controller mounts ConfigMap %q, which is not built", volumes[mount["name"].(string)])
			}
			dir := filepath.Join(d.dir, mount["mountPath"].(string))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, content := range sub(cm, "data") {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content.(string)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	code, err := os.ReadFile(filepath.Join(d.dir, "hooks", "sync.py"))
	if err != nil || !bytes.Equal(code, hookCode) {
		t.Fatalf("the profile controller does not run kfaws's hook at /hooks/sync.py (%v)", err)
	}
	raw, err := os.ReadFile(filepath.Join(d.dir, "templates", templatesFile))
	if err != nil {
		t.Fatalf("the profile controller has no templates at /templates: %v", err)
	}
	d.templatesRaw = string(raw)
}

// controllerEnv is the profile controller's environment as its built Deployment sets it; secret keys synced by
// the CSI driver read as the fake keys.
func controllerEnv(t *testing.T, b *built, root string) map[string]string {
	t.Helper()
	synced := b.syncedKeys()
	env := map[string]string{}
	var c obj
	for _, x := range sub(b.get("Deployment", kubeflow.ProfileController), "spec", "template", "spec")["containers"].([]any) {
		if str(x.(map[string]any), "name") == "profile-controller" {
			c = x.(map[string]any)
		}
	}
	envFrom, _ := c["envFrom"].([]any)
	for _, f := range envFrom {
		cm := b.get("ConfigMap", str(f.(map[string]any), "configMapRef", "name"))
		for k, val := range sub(cm, "data") {
			env[k] = val.(string)
		}
	}
	list, _ := c["env"].([]any)
	for _, e := range list {
		em := e.(map[string]any)
		name := em["name"].(string)
		switch {
		case sub(em, "valueFrom", "configMapKeyRef") != nil:
			ref := sub(em, "valueFrom", "configMapKeyRef")
			val, ok := sub(b.get("ConfigMap", ref["name"].(string)), "data")[ref["key"].(string)].(string)
			if !ok && ref["optional"] != true {
				t.Fatalf("profile controller env %s reads missing ConfigMap key %v", name, ref)
			}
			if ok {
				env[name] = val
			}
		case sub(em, "valueFrom", "secretKeyRef") != nil:
			ref := sub(em, "valueFrom", "secretKeyRef")
			secret, key := ref["name"].(string), ref["key"].(string)
			switch {
			case synced[secret][key] && key == "accesskey":
				env[name] = syncedAccessKey
			case synced[secret][key] && key == "secretkey":
				env[name] = syncedSecretKey
			case b.get("Secret", secret) != nil:
				s := b.get("Secret", secret)
				if raw, ok := sub(s, "data")[key].(string); ok {
					dec, _ := base64.StdEncoding.DecodeString(raw)
					env[name] = string(dec)
				} else {
					env[name], _ = sub(s, "stringData")[key].(string)
				}
			default:
				t.Fatalf("profile controller env %s reads Secret %s/%s, neither built nor synced", name, secret, key)
			}
		case em["value"] != nil:
			env[name] = em["value"].(string)
		}
	}
	if tf := env["KFAWS_TEMPLATES"]; tf != templatesMount+"/"+templatesFile {
		t.Fatalf("profile controller KFAWS_TEMPLATES = %q", tf)
	}
	env["KFAWS_TEMPLATES"] = filepath.Join(root, "templates", templatesFile)
	return env
}

// call runs the deployed hook once on a request, with the controller's environment plus extra.
func (d *deployedController) call(t *testing.T, request []byte, extra map[string]string) []obj {
	t.Helper()
	cmd := exec.Command("python3", filepath.Join(d.dir, "hooks", "sync.py"), "--once")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, val := range d.env {
		cmd.Env = append(cmd.Env, k+"="+val)
	}
	for k, val := range extra {
		cmd.Env = append(cmd.Env, k+"="+val)
	}
	cmd.Stdin = bytes.NewReader(request)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the hook: %v\n%s", err, stderr.String())
	}
	var answer map[string]json.RawMessage
	if err := json.Unmarshal(out, &answer); err != nil {
		t.Fatalf("hook answer: %v\n%s", err, out)
	}
	if len(answer) != 1 || answer[d.answerKey] == nil {
		t.Fatalf("a %s reads %q only; the hook answered keys %v", d.kind, d.answerKey, keysOf(answer))
	}
	var objs []obj
	if err := json.Unmarshal(answer[d.answerKey], &objs); err != nil {
		t.Fatalf("hook answer %s: %v", d.answerKey, err)
	}
	return objs
}

func keysOf(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func containerImage(t *testing.T, workload obj, container string) string {
	t.Helper()
	cs, _ := sub(workload, "spec", "template", "spec")["containers"].([]any)
	for _, c := range cs {
		if str(c.(map[string]any), "name") == container {
			return str(c.(map[string]any), "image")
		}
	}
	t.Fatalf("%s %q has no container %q", str(workload, "kind"), str(workload, "metadata", "name"), container)
	return ""
}

// wantProfileObjects lists what the release's upstream controller creates in a profile namespace, kfaws's way.
func wantProfileObjects(l *detect.Layout, creds config.CredentialMode, proxy bool) []string {
	want := []string{"ConfigMap/kfp-launcher", "ConfigMap/metadata-grpc-configmap"}
	if creds == config.CredentialsStatic {
		want = append(want, "Secret/"+kubeflow.ObjectStoreSecret)
	}
	if l.ObjectStore == detect.SeaweedFS {
		want = append(want, "ConfigMap/artifact-repositories")
		if proxy {
			want = append(want, "Deployment/"+kubeflow.ArtifactViewer, "Service/"+kubeflow.ArtifactViewer)
		}
	} else {
		want = append(want, "Deployment/"+kubeflow.ArtifactViewer, "Service/"+kubeflow.ArtifactViewer, "Deployment/"+kubeflow.VisualizationServer,
			"Service/"+kubeflow.VisualizationServer, "DestinationRule/"+kubeflow.VisualizationServer, "AuthorizationPolicy/"+kubeflow.VisualizationServer)
	}
	sort.Strings(want)
	return want
}

func namesOf(objs []obj) []string {
	var out []string
	for _, o := range objs {
		out = append(out, str(o, "kind")+"/"+str(o, "metadata", "name"))
	}
	sort.Strings(out)
	return out
}

// checkPodSecurity evaluates every pod template of objs at Pod Security "restricted".
func checkPodSecurity(t *testing.T, objs []obj) {
	t.Helper()
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if str(o, "kind") != "Deployment" {
			continue
		}
		data, _ := json.Marshal(o)
		var d appsv1.Deployment
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("Deployment %q: %v", str(o, "metadata", "name"), err)
		}
		res := policy.AggregateCheckResults(eval.EvaluatePod(
			api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()},
			&d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec))
		if !res.Allowed {
			t.Errorf("Deployment %q is not admitted at Pod Security restricted: %s: %s", d.Name,
				res.ForbiddenReason(), res.ForbiddenDetail())
		}
	}
}
