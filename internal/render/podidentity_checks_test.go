package render

import (
	"testing"

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
}
