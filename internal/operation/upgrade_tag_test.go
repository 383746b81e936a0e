package operation

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The version of MLMD and Katib is their image's tag, whatever the registry (with a port) and a pinned digest.
func TestImageTag(t *testing.T) {
	dep := func(name, image string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"kind": "Deployment",
			"metadata": map[string]any{"name": name, "namespace": "kubeflow"},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": "main", "image": image}}}}}}}
	}
	for _, tc := range []struct{ image, want string }{
		{"gcr.io/tfx-oss-public/ml_metadata_store_server:1.14.0", "1.14.0"},
		{"ghcr.io/kubeflow/katib/katib-db-manager:v0.19.0", "v0.19.0"},
		{"registry.local:5000/kubeflowkatib/katib-db-manager:v0.15.0@sha256:abc", "v0.15.0"},
		{"registry.local:5000/mirror/ml_metadata_store_server", ""},
		{"ml_metadata_store_server@sha256:abc", ""},
	} {
		objs := []*unstructured.Unstructured{dep("other", "x:1"), dep("metadata-grpc-deployment", tc.image)}
		if got := imageTag(objs, "metadata-grpc-deployment"); got != tc.want {
			t.Errorf("imageTag(%q) = %q, want %q", tc.image, got, tc.want)
		}
	}
	if got := imageTag(nil, "katib-db-manager"); got != "" {
		t.Errorf("no Deployment: %q", got)
	}
}

// Data moved in by kfaws migrate, or an adopted instance, is data no running KFP accounts for.
func TestHeldData(t *testing.T) {
	st, err := state.Open(filepath.Join(t.TempDir(), "s.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := &Apply{Configuration: &Configuration{State: st}}
	if a.heldData() {
		t.Error("an empty state holds data")
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.Update(func(s *state.State) {
		s.Migration = &state.Migration{Databases: []string{"mlpipeline"}}
	}))
	if a.heldData() {
		t.Error("an unfinished migration counts as data held")
	}
	must(st.Update(func(s *state.State) { s.Migration.FinishedAt = time.Now() }))
	if !a.heldData() {
		t.Error("a finished migration does not count")
	}
	must(st.Update(func(s *state.State) {
		s.Migration = nil
		s.Resources[plan.KeyInstance] = state.Resource{Kind: "rds", ID: "db", Adopted: true}
	}))
	if !a.heldData() {
		t.Error("an adopted instance does not count")
	}
}
