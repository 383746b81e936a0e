package render

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// checkPodIdentitySecrets: the secrets sync's account names no role, and the AWS provider is told to use the
// mounting pod's Pod Identity.
func checkPodIdentitySecrets(t *testing.T, b *built, sa obj) {
	t.Helper()
	if _, ok := sub(sa, "metadata", "annotations")[identity.RoleARNAnnotation]; ok {
		t.Errorf("pod-identity: ServiceAccount %s carries the IRSA annotation", kubeflow.SecretsSyncAccount)
	}
	n := 0
	for _, o := range b.objs {
		if str(o, "kind") == "SecretProviderClass" {
			n++
			if str(o, "spec", "parameters", "usePodIdentity") != "true" {
				t.Errorf("pod-identity: SecretProviderClass %s lacks usePodIdentity: \"true\"", str(o, "metadata", "name"))
			}
		}
	}
	if n == 0 {
		t.Error("no SecretProviderClass built")
	}
}

// checkPodIdentityS3: no IRSA annotation on KFP's accounts, and AWS_REGION in every pod that takes AWS
// credentials from its environment: the API server, the UI (checked by checkS3), the artifact viewer (profile
// templates), and the main containers of pipeline pods (Argo's mainContainer, where the v2 launcher runs).
func checkPodIdentityS3(t *testing.T, b *built, v Values, api map[string]obj) {
	t.Helper()
	for _, sa := range []string{"ml-pipeline", "ml-pipeline-ui"} {
		if _, ok := sub(b.get("ServiceAccount", sa), "metadata", "annotations")[identity.RoleARNAnnotation]; ok {
			t.Errorf("pod-identity: ServiceAccount %s carries the IRSA annotation", sa)
		}
	}
	if b.resolve(t, api["AWS_REGION"]) != v.Region {
		t.Errorf("pod-identity: ml-pipeline lacks AWS_REGION=%s", v.Region)
	}
	cm := b.get("ConfigMap", kubeflow.WorkflowControllerConfig)
	var main struct {
		Env []struct{ Name, Value string }
	}
	if err := yaml.Unmarshal([]byte(str(cm, "data", "mainContainer")), &main); err != nil {
		t.Fatalf("workflow-controller-configmap mainContainer: %v", err)
	}
	found := false
	for _, e := range main.Env {
		found = found || (e.Name == "AWS_REGION" && e.Value == v.Region)
	}
	if !found {
		t.Errorf("pod-identity: Argo's mainContainer does not set AWS_REGION, which the v2 launcher's fromEnv client needs: %q",
			str(cm, "data", "mainContainer"))
	}
	checkMainContainerMerge(t, str(cm, "data", "mainContainer"), v.Region)
}

// checkMainContainerMerge merges a pipeline step's main container over mainContainer as Argo does, a strategic
// merge patch of the template's container onto the defaults (argo-workflows@v3.6.5 and @v3.7.9:
// workflow/controller/workflowpod.go, createWorkflowPod): env entries merge by name, so the step keeps its own
// variables and gains AWS_REGION, unless it sets AWS_REGION itself.
func checkMainContainerMerge(t *testing.T, mainContainer, region string) {
	t.Helper()
	defaults, err := yaml.YAMLToJSON([]byte(mainContainer))
	if err != nil {
		t.Fatal(err)
	}
	// The shape of a KFP v2 executor's main container: the launcher with variables from the downward API.
	step := `{"name":"main","image":"ghcr.io/kubeflow/kfp-launcher","command":["/kfp-launcher/launch"],` +
		`"env":[{"name":"KFP_POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},{"name":"KFP_POD_UID",` +
		`"valueFrom":{"fieldRef":{"fieldPath":"metadata.uid"}}}]}`
	merged, err := strategicpatch.StrategicMergePatch(defaults, []byte(step), corev1.Container{})
	if err != nil {
		t.Fatalf("merging a step's main container over mainContainer: %v", err)
	}
	var c corev1.Container
	if err := json.Unmarshal(merged, &c); err != nil {
		t.Fatal(err)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if env["AWS_REGION"].Value != region || env["KFP_POD_NAME"].ValueFrom == nil || env["KFP_POD_UID"].ValueFrom == nil || c.Image != "ghcr.io/kubeflow/kfp-launcher" {
		t.Errorf("a step's main container merged over mainContainer: %+v", c)
	}
}
