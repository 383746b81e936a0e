package render

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/ownership"
)

// TestRenderPodSecurity evaluates every pod template kfaws adds to the built stream of every release, option and
// credential mode with the API server's own Pod Security policy code at "restricted", the strictest level a
// release gives its namespaces (kubeflow from v1.11): a template that fails it is a Deployment whose pods the API
// server forbids, so nothing it serves ever starts.
func TestRenderPodSecurity(t *testing.T) {
	mirror := argoMirror(t)
	for _, c := range allCases() {
		t.Run(c.name(), func(t *testing.T) {
			res, err := runCase(t, c, mirror)
			if err != nil {
				t.Skipf("not rendered: %v", err) // refusals are asserted by TestRender
			}
			built, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, o := range objects(t, built) {
				u := &unstructured.Unstructured{Object: o}
				if u.GetLabels()[ownership.LabelManagedBy] != "kfaws" {
					continue
				}
				v, err := kubetest.PodSecurityViolations(u, "restricted")
				if err != nil {
					t.Fatal(err)
				}
				if _, ok, _ := kubetest.PodTemplate(u); ok {
					checked++
				}
				for _, line := range v {
					t.Errorf("%s %q violates Pod Security restricted: %s", u.GetKind(), u.GetName(), line)
				}
			}
			if checked == 0 && (c.opt.UsesRDS() || c.creds == "static") {
				t.Errorf("no pod template of kfaws's was evaluated; the secrets sync Deployment is missing")
			}
		})
	}
}
