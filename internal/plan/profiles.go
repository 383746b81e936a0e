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

// KeyProfileRolePrefix starts the key of the IRSA role of each profile namespace other than iam.profileNamespace
// (whose role is KeyProfileRole), followed by the namespace.
const KeyProfileRolePrefix = "iam/profile-role/"

// ProfilePolicyName is the inline policy that confines a profile role to the profile's artifacts.
const ProfilePolicyName = "kfaws-profile-artifacts"

// ProfileRoleKey is the plan and state key of the role of profile namespace ns.
func ProfileRoleKey(cfg *config.Config, ns string) string {
	if ns == cfg.IAM.ProfileNamespace {
		return KeyProfileRole
	}
	return KeyProfileRolePrefix + ns
}

func isProfileRole(key string) bool { return strings.HasPrefix(key, KeyProfileRolePrefix) }

// profileOfAssociation is the namespace of a recorded association of a profile's pipeline runner, "" for any other.
func profileOfAssociation(key string) string {
	ns, sa, _ := strings.Cut(strings.TrimPrefix(key, KeyAssociationPrefix), "/")
	if !isAssociation(key) || sa != ProfileServiceAccount || ns == KubeflowNamespace {
		return ""
	}
	return ns
}

// recordedProfiles are the profile namespaces the state records a role or an association for.
func recordedProfiles(recorded state.State) []string {
	var out []string
	for k, r := range recorded.Resources {
		if !r.Owned {
			continue
		}
		if ns, ok := strings.CutPrefix(k, KeyProfileRolePrefix); ok {
			out = append(out, ns)
		} else if ns := profileOfAssociation(k); ns != "" {
			out = append(out, ns)
		}
	}
	return out
}

// ProfileNamespaces are the profile namespaces up gives S3 access: iam.profileNamespace, the cluster's profiles
// when they were discovered, else those the state records (a plan without the cluster keeps what it cannot see).
func ProfileNamespaces(cfg *config.Config, found observe.Profiles, recorded state.State) []string {
	set := map[string]bool{cfg.IAM.ProfileNamespace: true}
	for _, ns := range found.Namespaces {
		set[ns] = true
	}
	if !found.Discovered {
		for _, ns := range recordedProfiles(recorded) {
			set[ns] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// ProfileRolesToObserve names, by namespace, the per-profile IRSA roles observe must read: the role of every
// profile up gives access to (IRSA only; iam.profileNamespace's is KeyProfileRole, read anyway), and every role
// the state records, whatever the identity mode, so that a plan can keep it as an orphan and down delete it.
func ProfileRolesToObserve(cfg *config.Config, found observe.Profiles, recorded state.State) map[string]string {
	out := map[string]string{}
	if cfg.Option.UsesS3() && cfg.S3.Credentials == config.CredentialsIRSA && cfg.Identity != config.IdentityPodIdentity {
		for _, ns := range ProfileNamespaces(cfg, found, recorded) {
			if ns != cfg.IAM.ProfileNamespace {
				out[ns] = cfg.ProfileRoleFor(ns)
			}
		}
	}
	for k, r := range recorded.Resources {
		if ns, ok := strings.CutPrefix(k, KeyProfileRolePrefix); ok && r.Owned && r.ID != "" {
			out[ns] = r.ID
		}
	}
	return out
}

// profileRoles decides the roles the profiles' pipeline runners (default-editor) assume, each allowed only its
// profile's artifacts (ProfilePolicy). Under Pod Identity one role serves every profile: its policy names the
// namespace through the session tag the agent sets. Under IRSA a web identity session carries no tag naming
// the namespace, so each profile gets a role of its own that trusts only its default-editor.
func (b *builder) profileRoles() {
	c := b.cfg
	b.p.ProfileRoles = map[string]string{}
	namespaces := ProfileNamespaces(c, b.snap.Profiles, b.recorded)
	if c.Identity == config.IdentityPodIdentity {
		b.profileRole(KeyProfileRole, c.IAM.ProfileRoleName, NamespaceTag, b.snap.ProfileRole,
			identity.ServiceAccount{Namespace: c.IAM.ProfileNamespace, Name: ProfileServiceAccount},
			"the artifacts of the profile it serves (session tag kubernetes-namespace)")
		for _, ns := range namespaces {
			b.p.ProfileRoles[ns] = KeyProfileRole
		}
	} else {
		for _, ns := range namespaces {
			key, obs := ProfileRoleKey(c, ns), b.snap.ProfileRole
			if key != KeyProfileRole {
				obs = b.snap.ProfileRoles[ns]
			}
			b.profileRole(key, c.ProfileRoleFor(ns), ns, obs, identity.ServiceAccount{Namespace: ns, Name: ProfileServiceAccount},
				"the artifacts of profile "+ns)
			b.p.ProfileRoles[ns] = key
		}
	}
	b.profileRoleOrphans()
	if !b.snap.Profiles.Discovered && b.snap.Profiles.Why != "" {
		b.warn("the cluster's profiles were not read (%s): access is planned for %s only; give the cluster "+
			"(--context) so that profiles created since get theirs", b.snap.Profiles.Why, strings.Join(namespaces, ", "))
	}
}

// profileRole decides one profile role: trusted by sa, with ProfilePolicy for ns as its only grant. The
// bucket-wide S3 policy, which kfaws attached to the profile role before it confined profiles, is detached.
func (b *builder) profileRole(key, name, ns string, obs observe.Role, sa identity.ServiceAccount, what string) {
	c := b.cfg
	doc := ProfilePolicy(b.p.Partition, c.Region, c.S3.Bucket, b.key, ns)
	bucketWide := []string{b.arns.Policy(c.IAM.S3PolicyName)}
	for _, f := range b.kept(KeyS3Policy) {
		bucketWide = append(bucketWide, firstOf(f.found.ARN, f.ARN, b.arns.Policy(f.ID)))
	}
	var detach []string
	for _, a := range bucketWide {
		if slices.Contains(obs.AttachedPolicies, a) && !slices.Contains(detach, a) {
			detach = append(detach, a)
		}
	}
	ok := SameGrants(obs.InlineDocuments[ProfilePolicyName], doc) && len(detach) == 0
	params := EnsureRole{Name: name, ServiceAccount: sa, DetachPolicies: detach,
		InlinePolicies: []InlinePolicy{{Name: ProfilePolicyName, Document: doc}}}
	perms := "access to " + what + " only"
	if len(detach) > 0 {
		perms += ", the bucket-wide policy detached"
	}
	b.decideRole(roleDecision{key: key, params: params, obs: obs, permsOK: ok, perms: perms}, KeyOIDCProvider, KeyKMSKey)
}

// profileRoleOrphans keeps, as orphans, the per-profile roles the state records for profiles this plan no longer
// gives access to (the profile is gone, or the installation now uses Pod Identity): kfaws down deletes them.
// up never deletes them: a profile missing from one look at the cluster (another context, say) must not lose
// its access.
func (b *builder) profileRoleOrphans() {
	for _, k := range slices.Sorted(maps.Keys(b.recorded.Resources)) {
		ns, ok := strings.CutPrefix(k, KeyProfileRolePrefix)
		rec := b.recorded.Resources[k]
		if !ok || !rec.Owned || b.p.ProfileRoles[ns] == k {
			continue
		}
		got := b.snap.ProfileRoles[ns]
		switch {
		case !got.Exists:
			b.p.Forget = append(b.p.Forget, k)
		case b.owned(k, rec.ID, got.Presence):
			b.add(Resource{Key: k, Kind: "IAM role", Name: rec.ID, Action: Orphan, Owned: true, ARN: got.ARN,
				Detail: fmt.Sprintf("created by kfaws for profile %s, which this plan gives no role of its own; kept; kfaws down deletes it", ns)})
		default:
			b.p.Forget = append(b.p.Forget, k)
			b.warn("IAM role %q, which the state file records as created by kfaws, is no longer this installation's; its "+
				"record is dropped, and kfaws will never change or delete it", rec.ID)
		}
	}
}

// profileRoleTargets are the per-profile roles a teardown looks at: those observed for the profiles, each once.
func (b *builder) profileRoleTargets() []target {
	var out []target
	for _, ns := range slices.Sorted(maps.Keys(b.snap.ProfileRoles)) {
		key := KeyProfileRolePrefix + ns
		name := b.cfg.ProfileRoleFor(ns)
		if rec, ok := b.recorded.Resources[key]; ok && rec.ID != "" {
			name = rec.ID
		}
		out = append(out, target{stateKey: key, key: key, name: name, presence: b.snap.ProfileRoles[ns].Presence})
	}
	return out
}
