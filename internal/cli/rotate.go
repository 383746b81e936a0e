package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// addRotateFlag adds --rotate-db-passwords, which plan and up share.
func addRotateFlag(cmd *cobra.Command) *bool {
	var rotate bool
	cmd.Flags().BoolVar(&rotate, "rotate-db-passwords", false, "give every database user kfaws created per component "+
		"(rds.componentUsers) a new password; the master user's is not rotated")
	return &rotate
}

// printRotationAdvice says what the cluster needs after the components' passwords were rotated: the Secrets
// Store CSI driver kfaws installs runs without secret rotation, so the synced Secrets keep the old passwords until a
// new mount writes them, and the components read theirs only when they start. Driver v1.6.0 rewrites a synced
// Secret that exists when a new pod mounts (secrets-store-csi-driver@v1.6.0:controllers/
// secretproviderclasspodstatus_controller.go, createOrUpdateK8sSecret), but up to v1.5.x it only creates a missing
// one (createK8sSecret returns on AlreadyExists); deleting them first works with either.
func printRotationAdvice(w io.Writer, components []string) {
	var secrets, deployments []string
	for _, id := range components {
		if c, ok := dbusers.ByID(id); ok {
			secrets = append(secrets, c.KubeSecret())
			deployments = append(deployments, "deployment/"+c.Workload)
		}
	}
	if len(secrets) == 0 {
		return
	}
	ns := kubeflow.Namespace
	fmt.Fprintf(w, `
New database passwords are in effect for: %s. The running components still hold the old ones, and the synced
Kubernetes Secrets are not refreshed by themselves (the Secrets Store CSI driver runs without secret rotation).
Until they restart, their open connections keep working but a new login fails. In the cluster, run:
  kubectl -n %s delete secret %s
  kubectl -n %s rollout restart deployment/%s
  kubectl -n %s rollout status deployment/%s
  kubectl -n %s rollout restart %s
`, strings.Join(components, ", "), ns, strings.Join(secrets, " "), ns, kubeflow.SecretsSync, ns, kubeflow.SecretsSync,
		ns, strings.Join(deployments, " "))
}
