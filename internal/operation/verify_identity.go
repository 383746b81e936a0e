package operation

import (
	"maps"
	"slices"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/verify"
)

// binding is how the installation's roles are bound to their service accounts.
func (v *Verify) binding() identity.Binding {
	if v.Config.Identity == config.IdentityPodIdentity {
		return identity.PodIdentity{}
	}
	return identity.IRSA{}
}

// associations are the pod identity associations up creates, with the roles it recorded: the API server and the
// UI to the backend role, each profile's pipeline runner to the profile role (S3 roles; only the configured
// profile when up recorded no per-profile roles), the secrets sync to the secrets role (when secrets are synced).
func (v *Verify) associations() []identity.Association {
	c, o := v.Config, v.State.Snapshot().Outputs
	var out []identity.Association
	add := func(ns, sa, role string) {
		out = append(out, identity.Association{ServiceAccount: identity.ServiceAccount{Namespace: ns, Name: sa}, RoleARN: role})
	}
	if c.Option.UsesS3() && c.S3.Credentials == config.CredentialsIRSA {
		add(kubeflow.Namespace, kubeflow.APIServerAccount, o.BackendRoleARN)
		add(kubeflow.Namespace, kubeflow.UIAccount, o.BackendRoleARN)
		if len(o.ProfileRoleARNs) == 0 {
			add(c.IAM.ProfileNamespace, plan.ProfileServiceAccount, o.ProfileRoleARN)
		}
		for _, p := range v.profileRoles() {
			add(p.Namespace, plan.ProfileServiceAccount, p.RoleARN)
		}
	}
	if config.SyncsSecrets(c.Option, c.S3.Credentials) {
		add(kubeflow.Namespace, kubeflow.SecretsSyncAccount, o.SecretsRoleARN)
	}
	return out
}

// profileRoles are the profiles up gave S3 access and the role of each, by namespace.
func (v *Verify) profileRoles() []verify.ProfileRole {
	st := v.State.Snapshot()
	m := st.Outputs.ProfileRoleARNs
	var out []verify.ProfileRole
	for _, ns := range slices.Sorted(maps.Keys(m)) {
		rec := st.Resources[plan.ProfileRoleKey(v.Config, ns)]
		out = append(out, verify.ProfileRole{Namespace: ns, RoleARN: m[ns], Adopted: rec.Adopted && rec.ARN == m[ns]})
	}
	return out
}
