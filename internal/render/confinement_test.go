package render

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
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

// TestRenderProfileRolesPerNamespace: with the roles up recorded for two profiles, irsa annotates the
// default-editor of both, each with its own role, and no other; pod-identity and static keys annotate none.
func TestRenderProfileRolesPerNamespace(t *testing.T) {
	mirror := argoMirror(t)
	roles := map[string]string{
		"team-b": "arn:aws:iam::123456789012:role/kfaws-test-profile-team-b",
		"team-a": "arn:aws:iam::123456789012:role/kfaws-test-profile-team-a",
	}
	v := testValues(config.OptionS3Only, config.CredentialsIRSA)
	v.ProfileRoleARNs = roles
	res, b := renderBuilt(t, "v1.10", v, mirror)
	if got := profileAccountRoles(b); !reflect.DeepEqual(got, roles) {
		t.Errorf("default-editor role annotations by namespace: %v, want %v", got, roles)
	}
	annotated := map[string]string{}
	for _, o := range b.objs {
		if arn := str(o, "metadata", "annotations", identity.RoleARNAnnotation); arn != "" {
			annotated[str(o, "kind")+"/"+str(o, "metadata", "namespace")+"/"+str(o, "metadata", "name")] = arn
		}
	}
	want := map[string]string{
		"ServiceAccount/kubeflow/ml-pipeline": v.BackendRoleARN, "ServiceAccount/kubeflow/ml-pipeline-ui": v.BackendRoleARN,
		"ServiceAccount/team-a/default-editor": roles["team-a"], "ServiceAccount/team-b/default-editor": roles["team-b"],
	}
	if !reflect.DeepEqual(annotated, want) {
		t.Errorf("objects naming a role: %v, want %v", annotated, want)
	}
	file := string(res.Files["profile/default-editor.yaml"])
	if a, bIdx := strings.Index(file, "namespace: team-a"), strings.Index(file, "namespace: team-b"); a < 0 || bIdx < a {
		t.Errorf("the default-editor patches are not in namespace order:\n%s", file)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "(team-a, team-b)") {
		t.Errorf("the warnings do not name the profiles with a role: %v", res.Warnings)
	}

	for _, c := range []struct {
		name  string
		creds config.CredentialMode
		ident config.Identity
	}{{"pod-identity", config.CredentialsIRSA, config.IdentityPodIdentity}, {"static", config.CredentialsStatic, ""}} {
		v := testValues(config.OptionS3Only, c.creds)
		v.Identity, v.ProfileRoleARNs = c.ident, roles
		_, b := renderBuilt(t, "26.03", v, mirror)
		if got := profileAccountRoles(b); len(got) != 0 {
			t.Errorf("%s: default-editor patched in %v", c.name, got)
		}
	}
}

// TestLimitsProfileAccess: each credential mode says once which profiles reach S3 and how far.
func TestLimitsProfileAccess(t *testing.T) {
	l := detectTree(t, "testdata/trees/26.03")
	perProfile := testValues(config.OptionS3Only, config.CredentialsIRSA)
	perProfile.ProfileRoleARNs = map[string]string{"team-a": perProfile.ProfileRoleARN}
	podIdentity := testValues(config.OptionS3Only, config.CredentialsIRSA)
	podIdentity.Identity = config.IdentityPodIdentity
	for _, c := range []struct {
		name string
		v    Values
		want []string
	}{
		{"irsa", perProfile, []string{"(team-a) gets that profile's own role",
			"s3://kfaws-test-artifacts/private-artifacts/<namespace>/", "`kfaws up` then `kfaws apply`"}},
		{"irsa without recorded roles", testValues(config.OptionS3Only, config.CredentialsIRSA), []string{
			"only default-editor in kubeflow-user-example-com", "`kfaws up` then `kfaws apply`"}},
		{"pod-identity", podIdentity, []string{"share the profile role", "only after `kfaws up`"}},
		{"static", testValues(config.OptionS3Only, config.CredentialsStatic), []string{"same S3 keys",
			"not confined"}},
	} {
		warn, err := limits(l, c.v)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var about []string
		for _, w := range warn {
			if strings.Contains(w, "private-artifacts/") {
				about = append(about, w)
			}
		}
		if len(about) != 1 {
			t.Errorf("%s: want one statement about profile access, got %v", c.name, about)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(about[0], w) {
				t.Errorf("%s: %q lacks %q", c.name, about[0], w)
			}
		}
	}
}
