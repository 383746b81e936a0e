package render

import (
	"context"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/kube/kubetest"
)

// TestSyntheticTreesPodSecurity: the upstream objects of each synthetic tree pass the Pod Security level its own
// kubeflow namespace enforces, as the real releases' do (none up to v1.9, baseline in v1.10, restricted from
// v1.11), so the render tests see the upstream workloads a cluster would admit.
func TestSyntheticTreesPodSecurity(t *testing.T) {
	level := map[string]string{"v1.7-aws": "", "v1.8": "", "v1.9": "", "v1.9.1": "", "v1.10": "baseline",
		"v1.11": "restricted", "26.03": "restricted", "26.03.1": "restricted"}
	mirrors := map[string]string{argoRepo: argoMirror(t)}
	for _, rel := range releases {
		t.Run(rel, func(t *testing.T) {
			root := filepath.Join("testdata", "trees", rel)
			l := detectTree(t, root)
			want, ok := level[rel]
			if !ok || l.PodSecurity() != want {
				t.Fatalf("kubeflow namespace enforces %q, want %q", l.PodSecurity(), want)
			}
			checked := 0
			for _, entry := range []string{l.PipelineEntry, l.KatibEntry} {
				m, err := kustomizeBuild(context.Background(), filepath.Join(root, entry), mirrors, (&Render{}).logger())
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range m.Resources() {
					data, err := r.MarshalJSON()
					if err != nil {
						t.Fatal(err)
					}
					u := &unstructured.Unstructured{}
					if err := u.UnmarshalJSON(data); err != nil {
						t.Fatal(err)
					}
					if _, ok, _ := kubetest.PodTemplate(u); !ok {
						continue
					}
					checked++
					v, err := kubetest.PodSecurityViolations(u, l.PodSecurity())
					if err != nil {
						t.Fatal(err)
					}
					for _, line := range v {
						t.Errorf("%s %q violates Pod Security %q: %s", u.GetKind(), u.GetName(), l.PodSecurity(), line)
					}
				}
			}
			if checked < 7 {
				t.Errorf("only %d upstream pod templates evaluated", checked)
			}
		})
	}
}
