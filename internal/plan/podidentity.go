package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

// KeyPodIdentityAgent is the EKS Pod Identity Agent add-on; KeyAssociationPrefix starts the key of each pod
// identity association, followed by its namespace and service account ("eks/pod-identity/kubeflow/ml-pipeline").
const (
	KeyPodIdentityAgent  = "eks/pod-identity-agent-addon"
	KeyAssociationPrefix = "eks/pod-identity/"
)

// AssociationKey is the plan and state key of sa's pod identity association.
func AssociationKey(sa identity.ServiceAccount) string { return KeyAssociationPrefix + sa.String() }

func isAssociation(key string) bool { return strings.HasPrefix(key, KeyAssociationPrefix) }

// RecordsAssociations reports whether the state records pod identity associations or the agent add-on, which
// observe must then read even when the configuration no longer uses pod-identity.
func RecordsAssociations(s state.State) bool {
	for k := range s.Resources {
		if isAssociation(k) || k == KeyPodIdentityAgent {
			return true
		}
	}
	return false
}

// ObservesPodIdentity reports whether observe must read EKS Pod Identity for c and the state s.
func ObservesPodIdentity(c *config.Config, s state.State) bool {
	return c.Identity == config.IdentityPodIdentity || RecordsAssociations(s)
}

// bound is one service account and the role (by plan key) it assumes.
type bound struct {
	roleKey string
	sa      identity.ServiceAccount
}

// boundAccounts are the service accounts kfaws binds to the roles this plan decides: the API server and the UI
// to the backend role (render annotates both in irsa mode), every profile's pipeline runner, which also runs
// Argo's executor, to its profile role, and the secrets sync to the secrets role.
func (b *builder) boundAccounts() []bound {
	var out []bound
	if _, ok := b.p.Resource(KeyBackendRole); ok {
		out = append(out, bound{KeyBackendRole, identity.ServiceAccount{Namespace: KubeflowNamespace, Name: BackendServiceAccount}},
			bound{KeyBackendRole, identity.ServiceAccount{Namespace: KubeflowNamespace, Name: UIServiceAccount}})
	}
	for _, ns := range slices.Sorted(maps.Keys(b.p.ProfileRoles)) {
		out = append(out, bound{b.p.ProfileRoles[ns], identity.ServiceAccount{Namespace: ns, Name: ProfileServiceAccount}})
	}
	if _, ok := b.p.Resource(KeySecretsRole); ok {
		out = append(out, bound{KeySecretsRole, identity.ServiceAccount{Namespace: KubeflowNamespace, Name: SecretsServiceAccount}})
	}
	return out
}

// podIdentity decides the agent add-on and one association per bound service account, and keeps (as orphans)
// the associations the state records for accounts no longer bound.
func (b *builder) podIdentity() {
	wanted := map[string]bool{}
	if b.cfg.Identity == config.IdentityPodIdentity {
		b.podIdentityAgent()
		for _, a := range b.boundAccounts() {
			role, _ := b.p.Resource(a.roleKey)
			for _, as := range b.p.Binding.Associations(a.sa, role.ARN) {
				b.association(a.roleKey, as)
				wanted[AssociationKey(as.ServiceAccount)] = true
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b.recorded.Resources)) {
		if !isAssociation(k) || wanted[k] || !b.recorded.Resources[k].Owned {
			continue
		}
		t := b.recordedAssociation(k)
		switch {
		case !t.presence.Exists:
			b.p.Forget = append(b.p.Forget, k)
		case b.owned(k, t.name, t.presence):
			b.add(Resource{Key: k, Kind: associationKind, Name: t.name, Action: Orphan, Owned: true, ARN: t.presence.ARN,
				Detail: "created by kfaws for a service account the configuration no longer binds; kept; kfaws down removes it"})
		default:
			b.p.Forget = append(b.p.Forget, k)
			b.warn("%s %q, which the state file records as created by kfaws, is no longer this installation's; its "+
				"record is dropped, and kfaws will never change or delete it", associationKind, t.name)
		}
	}
}

const associationKind = "EKS pod identity association"

func (b *builder) podIdentityAgent() {
	a, cluster := b.snap.PodIdentity.Agent, b.snap.Cluster
	name := observe.PodIdentityAgentAddon
	r := Resource{Key: KeyPodIdentityAgent, Kind: "EKS add-on", Name: name, ARN: a.ARN}
	switch {
	case !a.Exists && a.Offered == "":
		why := fmt.Sprintf("EKS offers no version for Kubernetes %s", cluster.Version)
		if a.OfferUnknown != nil {
			why = fmt.Sprintf("EKS could not be asked which versions it offers (%v)", a.OfferUnknown)
		}
		r.Action, r.Detail = Conflict, why+"; pod identity needs the agent: install it as an add-on yourself, or set identity (--identity) to irsa"
	case !a.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "the EKS Pod Identity Agent "+a.Offered+", which hands pods their associated roles"
		b.step(KeyPodIdentityAgent, "create", CreateAddon{Cluster: cluster.Name, Name: name, Version: a.Offered},
			fmt.Sprintf("install EKS add-on %s %s on cluster %q", name, a.Offered, cluster.Name))
	case b.owned(KeyPodIdentityAgent, name, a.Presence):
		r.Action, r.Owned = Exists, true
	default:
		// Shared by everything on the cluster that uses pod identity, so used whoever installed it.
		r.Action, r.Detail = Exists, "not installed by this installation: used as is, never changed or deleted"
	}
	b.add(r)
}

// association decides the association that binds as.ServiceAccount to as.RoleARN. One that binds the account to
// another role and is not this installation's is a conflict: EKS allows one per account, and it is someone else's.
func (b *builder) association(roleKey string, as identity.Association) {
	sa, cluster := as.ServiceAccount, b.snap.Cluster.Name
	key := AssociationKey(sa)
	r := Resource{Key: key, Kind: associationKind, Name: sa.String()}
	got, ok := b.snap.PodIdentity.For(sa)
	r.ARN = got.ARN
	switch {
	case !ok:
		r.Action, r.Owned, r.Detail = Create, true, "to role "+roleName(as.RoleARN)
		b.step(key, "create", CreateAssociation{Cluster: cluster, ServiceAccount: sa, RoleARN: as.RoleARN},
			fmt.Sprintf("associate %s with IAM role %q (EKS Pod Identity)", sa, roleName(as.RoleARN)), roleKey)
	case b.foreign(got.Presence):
		r.Action, r.Owner = Conflict, got.Installation
		r.Detail = fmt.Sprintf("association %s belongs to kfaws installation %q; EKS allows one per service account", got.ID, got.Installation)
	case b.owned(key, sa.String(), got.Presence) && got.RoleARN != as.RoleARN:
		r.Action, r.Owned, r.Detail = Update, true, "point it at role "+roleName(as.RoleARN)+" again"
		b.step(key, "update", UpdateAssociation{Cluster: cluster, ID: got.ID, ServiceAccount: sa, RoleARN: as.RoleARN},
			fmt.Sprintf("point the pod identity association of %s at IAM role %q", sa, roleName(as.RoleARN)), roleKey)
	case b.owned(key, sa.String(), got.Presence):
		r.Action, r.Owned = Exists, true
	case got.RoleARN == as.RoleARN:
		r.Action, r.Detail = Exists, "not created by kfaws: used as is, never changed or deleted"
	default:
		r.Action = Conflict
		r.Detail = fmt.Sprintf("association %s binds it to role %s and was not created by this installation; delete it "+
			"(aws eks delete-pod-identity-association --cluster-name %s --association-id %s) or set identity (--identity) to irsa",
			got.ID, got.RoleARN, cluster, got.ID)
	}
	b.add(r)
}

// roleName is the name at the end of a role ARN.
func roleName(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// recordedAssociation is the teardown target of the association the state records under key: found by its
// recorded ARN, else by its service account.
func (b *builder) recordedAssociation(key string) target {
	rec := b.recorded.Resources[key]
	t := target{stateKey: key, key: key, name: rec.ID}
	got, ok := b.snap.PodIdentity.ByARN(rec.ARN)
	if !ok && rec.ARN == "" {
		ns, name, _ := strings.Cut(rec.ID, "/")
		got, ok = b.snap.PodIdentity.For(identity.ServiceAccount{Namespace: ns, Name: name})
	}
	if ok {
		t.presence, t.id = got.Presence, got.ID
	}
	return t
}

// associationTargets are the associations a teardown looks at: those the state records and those tagged as this
// installation's, each once.
func (b *builder) associationTargets() []target {
	var out []target
	seen := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(b.recorded.Resources)) {
		if isAssociation(k) && b.recorded.Resources[k].Owned {
			t := b.recordedAssociation(k)
			out = append(out, t)
			seen[t.presence.ARN] = true
		}
	}
	for _, a := range b.snap.PodIdentity.Associations {
		if a.Installation == b.cfg.Name && !seen[a.ARN] {
			key := AssociationKey(a.ServiceAccount)
			out = append(out, target{stateKey: key, key: key, name: a.ServiceAccount.String(), presence: a.Presence, id: a.ID})
		}
	}
	return out
}
