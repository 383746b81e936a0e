package cli

import (
	"bytes"
	"strings"
	"testing"
)

// After a rotation up names the synced Secrets to delete and the Deployments to restart, by their real names,
// only for the components rotated.
func TestRotationAdvice(t *testing.T) {
	var b bytes.Buffer
	printRotationAdvice(&b, []string{"kfp-api", "mlmd"})
	for _, want := range []string{
		"kubectl -n kubeflow delete secret kfaws-mysql-kfp-api kfaws-mysql-mlmd\n",
		"kubectl -n kubeflow rollout restart deployment/aws-secrets-sync\n",
		"kubectl -n kubeflow rollout status deployment/aws-secrets-sync\n",
		"kubectl -n kubeflow rollout restart deployment/ml-pipeline deployment/metadata-grpc-deployment\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("advice lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "katib") || strings.Contains(b.String(), "cache") {
		t.Errorf("advice names components not rotated:\n%s", b.String())
	}
	b.Reset()
	if printRotationAdvice(&b, nil); b.Len() != 0 {
		t.Errorf("advice without rotations: %q", b.String())
	}
}
