package render

import (
	"context"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/render/detect"
)

// renderBuilt renders release with v and returns the result and its built objects.
func renderBuilt(t *testing.T, release string, v Values, mirror string) (*Result, *built) {
	t.Helper()
	manifests, out := manifestsDir(t, release)
	r := &Render{Manifests: manifests, Values: v, OutDir: out, GitMirrors: map[string]string{argoRepo: mirror}}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stream, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	return res, newBuilt(objects(t, stream))
}

// TestRenderProfileKeysUnderOwnPrefix: on every release, each S3 key a profile's pipelines write (Argo's keyFormat from
// the controller's config and, v1.11 on, the namespace's artifact-repositories; the v2 pipeline root of the
// namespace's kfp-launcher) lies under kubeflow.ProfileArtifacts of that namespace, so a role confined to it can
// run them. The kubeflow namespace keeps the bucket's v2/artifacts.
func TestRenderProfileKeysUnderOwnPrefix(t *testing.T) {
	mirror := argoMirror(t)
	for _, rel := range releases {
		t.Run(rel, func(t *testing.T) {
			creds := config.CredentialsIRSA
			if rel == "v1.11" { // KFP 2.15's API server refuses IRSA
				creds = config.CredentialsStatic
			}
			v := testValues(config.OptionS3Only, creds)
			res, b := renderBuilt(t, rel, v, mirror)
			d := deployedProfileController(t, b)
			request, err := os.ReadFile(d.fixture)
			if err != nil {
				t.Fatal(err)
			}
			answer := d.call(t, request, nil)
			keys := s3Keys(t, v.Bucket, b.get("ConfigMap", kubeflow.WorkflowControllerConfig))
			for _, o := range answer {
				keys = append(keys, s3Keys(t, v.Bucket, o)...)
			}
			want := 2 // Argo's keyFormat, the launcher's root
			if res.Layout.ObjectStore == detect.SeaweedFS {
				want++ // the namespace's artifact-repositories
			}
			if len(keys) != want {
				t.Errorf("found %d S3 key templates for the profile, want %d: %v", len(keys), want, keys)
			}
			own := kubeflow.ProfileArtifacts(fixtureNS)
			for _, k := range keys {
				// Argo substitutes the workflow's namespace; the hook, the namespace it answers for.
				if k = strings.ReplaceAll(k, "{{workflow.namespace}}", fixtureNS); !strings.HasPrefix(k, own) {
					t.Errorf("profile key %q is outside %q", k, own)
				}
			}
			root := str(b.get("ConfigMap", kubeflow.LauncherConfig), "data", "defaultPipelineRoot")
			if root != "s3://"+v.Bucket+"/v2/artifacts" {
				t.Errorf("kubeflow's kfp-launcher root %q, want the bucket's v2/artifacts", root)
			}
		})
	}
}

// s3Keys returns every S3 key template o holds: Argo S3 repositories' keyFormat (in string values holding an
// artifact repository) and the keys of s3:// URIs in bucket. It fails on an s3:// URI in another bucket.
func s3Keys(t *testing.T, bucket string, o any) []string {
	t.Helper()
	var keys []string
	switch x := o.(type) {
	case map[string]any:
		for _, val := range x {
			keys = append(keys, s3Keys(t, bucket, val)...)
		}
	case []any:
		for _, val := range x {
			keys = append(keys, s3Keys(t, bucket, val)...)
		}
	case string:
		if rest, ok := strings.CutPrefix(x, "s3://"); ok {
			b, key, _ := strings.Cut(rest, "/")
			if b != bucket {
				t.Errorf("%q is not in bucket %q", x, bucket)
			}
			return []string{key}
		}
		var repo struct {
			S3 *struct {
				KeyFormat string `json:"keyFormat"`
			} `json:"s3"`
		}
		if strings.Contains(x, "keyFormat") && yaml.Unmarshal([]byte(x), &repo) == nil && repo.S3 != nil {
			return []string{repo.S3.KeyFormat}
		}
	}
	return keys
}
