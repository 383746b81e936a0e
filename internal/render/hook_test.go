package render

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runHook runs hook/sync.py --once on request with only the given environment (and PATH), over a templates file
// holding templates.
func runHook(t *testing.T, templates string, env map[string]string, request []byte) (map[string][]obj, error) {
	t.Helper()
	tmpl := filepath.Join(t.TempDir(), templatesFile)
	if err := os.WriteFile(tmpl, []byte(templates), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", filepath.Join("hook", "sync.py"), "--once")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "KFAWS_TEMPLATES=" + tmpl}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(string(request))
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var answer map[string][]obj
	if err := json.Unmarshal(out, &answer); err != nil {
		t.Fatalf("hook answer: %v\n%s", err, out)
	}
	return answer, nil
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "metacontroller", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestHookAnswersUnderTheControllersKey: a CompositeController's request is answered under children, a
// DecoratorController's under attachments, each with nothing else; a request naming no namespace is refused.
func TestHookAnswersUnderTheControllersKey(t *testing.T) {
	const tmpl = `{"env":{},"objects":[{"object":{"apiVersion":"v1","kind":"ConfigMap",` +
		`"metadata":{"name":"x","namespace":"__NAMESPACE__"}}}]}`
	for name, key := range map[string]string{"composite-v2.0.4": "children", "decorator-v4.11.22": "attachments"} {
		answer, err := runHook(t, tmpl, nil, fixture(t, name))
		if err != nil || len(answer) != 1 || len(answer[key]) != 1 || str(answer[key][0], "metadata", "namespace") != fixtureNS {
			t.Errorf("%s: got %v (%v), want one ConfigMap in %s under %q only", name, answer, err, fixtureNS, key)
		}
	}
	if answer, err := runHook(t, tmpl, nil, []byte(`{"parentless": {}}`)); err == nil {
		t.Errorf("a request naming no namespace was answered: %v", answer)
	}
}

// TestHookSettings: images, switches and keys come from the controller's environment as the upstream controller
// reads them, with the templates' fallbacks.
func TestHookSettings(t *testing.T) {
	const tmpl = `{"env":{"FRONTEND_IMAGE":"example.com/frontend","KFP_VERSION":"2.5.0","PROXY":"false"},"objects":[
	 {"object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"__NAMESPACE__"},
	  "spec":{"template":{"spec":{"containers":[{"name":"c","image":"__IMAGE_FRONTEND__"}]}}}}},
	 {"when":"PROXY","object":{"apiVersion":"v1","kind":"Service","metadata":{"name":"p","namespace":"__NAMESPACE__"}}},
	 {"object":{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"__NAMESPACE__"},
	  "data":{"k":"__B64ENV_KEY__"}}}]}`
	request := fixture(t, "decorator-v4.11.22")
	cases := []struct {
		name    string
		env     map[string]string
		image   string
		objects int
		sidecar bool
		fails   bool
	}{
		{"fallbacks", map[string]string{"KEY": "k"}, "example.com/frontend:2.5.0", 2, false, false},
		{"pod's version", map[string]string{"KEY": "k", "KFP_VERSION": "2.5.1"}, "example.com/frontend:2.5.1", 2, false, false},
		{"image and tag set", map[string]string{"KEY": "k", "FRONTEND_IMAGE": "mirror/fe", "FRONTEND_TAG": "t"},
			"mirror/fe:t", 2, false, false},
		{"switch on", map[string]string{"KEY": "k", "PROXY": "True"}, "example.com/frontend:2.5.0", 3, false, false},
		{"no sidecar", map[string]string{"KEY": "k", "DISABLE_ISTIO_SIDECAR": "true"}, "example.com/frontend:2.5.0", 2, true, false},
		{"key missing", nil, "", 0, false, true},
	}
	for _, c := range cases {
		answer, err := runHook(t, tmpl, c.env, request)
		if c.fails {
			if err == nil {
				t.Errorf("%s: answered %v, want a refusal", c.name, answer)
			}
			continue
		}
		got := answer["attachments"]
		if err != nil || len(got) != c.objects {
			t.Errorf("%s: %d objects (%v), want %d", c.name, len(got), err, c.objects)
			continue
		}
		d := newBuilt(got).get("Deployment", "d")
		if img := containerImage(t, d, "c"); img != c.image {
			t.Errorf("%s: image %q, want %q", c.name, img, c.image)
		}
		if has := str(d, "spec", "template", "metadata", "annotations", "sidecar.istio.io/inject") == "false"; has != c.sidecar {
			t.Errorf("%s: sidecar annotation %v, want %v", c.name, has, c.sidecar)
		}
		if s := newBuilt(got).get("Secret", "s"); str(s, "data", "k") != "aw==" {
			t.Errorf("%s: Secret data %v, want base64 of KEY", c.name, sub(s, "data"))
		}
	}
	terminating := strings.Replace(string(request), `"name":"kubeflow-user-example-com"`,
		`"name":"kubeflow-user-example-com","deletionTimestamp":"2026-01-16T00:00:00Z"`, 1)
	if answer, err := runHook(t, tmpl, map[string]string{"KEY": "k"}, []byte(terminating)); err != nil || len(answer["attachments"]) != 0 {
		t.Errorf("a terminating namespace got %v (%v)", answer, err)
	}
}

// TestHookIsPython37 parses the hook as Python 3.7 (the v1.8 and v1.9 controller image): no syntax from later
// versions.
func TestHookIsPython37(t *testing.T) {
	cmd := exec.Command("python3", "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read(), feature_version=(3, 7))",
		filepath.Join("hook", "sync.py"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hook/sync.py is not Python 3.7 syntax: %v\n%s", err, out)
	}
}
