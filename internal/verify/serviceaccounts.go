package verify

import (
	"context"
	"fmt"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// checkServiceAccounts checks the IRSA annotations the rendered overlay sets: the secrets-sync account's role
// (without it the CSI provider cannot read Secrets Manager and no Secret is synced) and, in IRSA mode, the
// role of KFP's API server and UI.
func checkServiceAccounts(ctx context.Context, w recorder, in ClusterInput) {
	if in.PodIdentity {
		return // no annotation names the roles: CheckAssociations checks the bindings
	}
	if config.SyncsSecrets(in.Option, in.credentials()) {
		checkRoleAnnotation(ctx, w, in.Kube, kubeflow.SecretsSyncAccount, in.SecretsRoleARN)
	}
	if in.Option.UsesS3() && !in.Static {
		for _, sa := range []string{kubeflow.APIServerAccount, kubeflow.UIAccount} {
			checkRoleAnnotation(ctx, w, in.Kube, sa, in.BackendRoleARN)
		}
	}
}

func checkRoleAnnotation(ctx context.Context, w recorder, k *kube.Client, sa, want string) {
	name := "service account " + sa
	u, ok, err := get(ctx, k, gvrServiceAccount, kubeflow.Namespace, sa)
	if err != nil || !ok {
		w.add(name, Fail, fmt.Sprintf("ServiceAccount %q is missing in %q%s", sa, kubeflow.Namespace, errSuffix(err)), "run kfaws apply")
		return
	}
	got := u.GetAnnotations()[identity.RoleARNAnnotation]
	switch {
	case got == "":
		w.add(name, Fail, fmt.Sprintf("ServiceAccount %q has no %s annotation", sa, identity.RoleARNAnnotation), "apply the overlay kfaws renders (kfaws apply)")
	case want != "" && got != want:
		w.add(name, Fail, fmt.Sprintf("ServiceAccount %q assumes %q, not kfaws's role %q", sa, got, want), "apply the overlay kfaws renders (kfaws apply)")
	default:
		w.ok(name, fmt.Sprintf("assumes IAM role %q", got))
	}
}
