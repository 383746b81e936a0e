package plan

import (
	"fmt"
	"maps"
	"net/url"
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

// profileOfRoleKey is the namespace of a per-profile role's state key (its orphan keys included), "" for any
// other key.
func profileOfRoleKey(stateKey string) string {
	key, _ := SplitKey(stateKey)
	if ns, ok := strings.CutPrefix(key, KeyProfileRolePrefix); ok {
		return ns
	}
	return ""
}

// recordedProfiles are the profile namespaces the last up gave access to, as it recorded them for render. The
// roles and associations the state records are not a guide: those of a gone profile stay, as orphans, until down.
func recordedProfiles(recorded state.State) []string {
	return slices.Collect(maps.Keys(recorded.Outputs.ProfileRoleARNs))
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

// ProfileRolesToObserve names the per-profile IRSA roles observe must read: the role of every profile up gives
// access to (IRSA only; iam.profileNamespace's is KeyProfileRole, read anyway), and every role the state records,
// under any name and whatever the identity mode, so that a plan can keep it as an orphan and down delete it.
func ProfileRolesToObserve(cfg *config.Config, found observe.Profiles, recorded state.State) []string {
	set := map[string]bool{}
	if confinesByRole(cfg) {
		for _, ns := range ProfileNamespaces(cfg, found, recorded) {
			if ns != cfg.IAM.ProfileNamespace {
				set[cfg.ProfileRoleFor(ns)] = true
			}
		}
	}
	for k, r := range recorded.Resources {
		if profileOfRoleKey(k) != "" && r.Owned && r.ID != "" {
			set[r.ID] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// confinesByRole reports whether each profile gets an IRSA role of its own.
func confinesByRole(cfg *config.Config) bool {
	return cfg.Option.UsesS3() && cfg.S3.Credentials == config.CredentialsIRSA && cfg.Identity != config.IdentityPodIdentity
}

// profileRoles decides the roles the profiles' pipeline runners (default-editor) assume, each allowed only its
// profile's artifacts (ProfilePolicy). Under Pod Identity one role serves every profile: its policy names the
// namespace through the session tag the agent sets. Under IRSA a web identity session carries no tag naming
// the namespace, so each profile gets a role of its own that trusts only its default-editor.
func (b *builder) profileRoles() {
	c := b.cfg
	b.p.ProfileRoles = map[string]string{}
	namespaces := ProfileNamespaces(c, b.profilesFound(), b.recorded)
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
				obs = b.snap.ProfileRoles[c.ProfileRoleFor(ns)]
			}
			name := c.ProfileRoleFor(ns)
			if other := b.otherRoleNamed(name); other != "" {
				b.add(Resource{Key: key, Kind: "IAM role", Name: name, Field: "iam.profileRoleName", Action: Conflict,
					Detail: fmt.Sprintf("the role of profile %s would be %s's role too; choose another iam.profileRoleName", ns, other)})
				continue
			}
			b.profileRole(key, name, ns, obs, identity.ServiceAccount{Namespace: ns, Name: ProfileServiceAccount},
				"the artifacts of profile "+ns)
			b.p.ProfileRoles[ns] = key
		}
	}
	b.profileRoleOrphans()
	if found := b.profilesFound(); !found.Discovered && found.Why != "" {
		b.warn("the cluster's profiles were not read (%s): access is planned for %s only; give the cluster "+
			"(--context) so that profiles created since get theirs", found.Why, strings.Join(namespaces, ", "))
	}
}

// profilesFound are the profiles read from the cluster, unless they were read from an EKS cluster other than the
// configured one (a kubeconfig context pointing elsewhere): then none were, and Why says so. An API server that is
// not an EKS endpoint (a proxy, a local cluster) cannot be compared and is taken as given.
func (b *builder) profilesFound() observe.Profiles {
	p, want := b.snap.Profiles, b.snap.Cluster.Endpoint
	if !p.Discovered || want == "" || !isEKSEndpoint(p.Host) || sameHost(p.Host, want) {
		return p
	}
	return observe.Profiles{Why: fmt.Sprintf("the kubeconfig's cluster is %s, not EKS cluster %q at %s", p.Host, b.cfg.Cluster, want)}
}

// isEKSEndpoint reports whether host is an EKS API server endpoint (https://ID.REGION-CODE.REGION.eks.amazonaws.com
// and the partitions' equivalents).
func isEKSEndpoint(host string) bool {
	return strings.Contains(hostOf(host), ".eks.amazonaws.com") // .com.cn in the China partition
}

func sameHost(a, b string) bool { return strings.EqualFold(hostOf(a), hostOf(b)) }

// hostOf is the host name of an API server URL (scheme, port and path dropped); "" when it is not a URL.
func hostOf(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return parsed.Hostname()
}

// otherRoleNamed is the field of another of kfaws's roles that has name (IAM ignores case), "" for none: a
// profile's derived role name may meet one.
func (b *builder) otherRoleNamed(name string) string {
	for _, r := range []struct{ field, name string }{
		{"iam.backendRoleName", b.cfg.IAM.BackendRoleName}, {"iam.secretsRoleName", b.cfg.IAM.SecretsRoleName},
	} {
		if strings.EqualFold(r.name, name) {
			return r.field
		}
	}
	return ""
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

// profileRoleOrphans keeps, as orphans, the per-profile roles the state records that this plan gives no profile:
// the profile is gone, the installation now uses Pod Identity, or iam.profileRoleName was renamed. kfaws down
// deletes them. up never does: a profile missing from one look at the cluster (another context, say) must not
// lose its access.
func (b *builder) profileRoleOrphans() {
	for _, k := range slices.Sorted(maps.Keys(b.recorded.Resources)) {
		ns := profileOfRoleKey(k)
		rec := b.recorded.Resources[k]
		if ns == "" || !rec.Owned {
			continue
		}
		key, _ := SplitKey(k)
		wanted := b.p.ProfileRoles[ns] == key
		if wanted && rec.ID == b.cfg.ProfileRoleFor(ns) {
			continue // the profile's current role
		}
		resource, why := k, fmt.Sprintf("profile %s, which this plan gives no role of its own", ns)
		if wanted {
			// Renamed: the key is the new role's, so the old one's record moves to its orphan key.
			resource, why = OrphanKey(key, rec.ID), fmt.Sprintf("profile %s under an old iam.profileRoleName", ns)
		}
		got := b.snap.ProfileRoles[rec.ID]
		switch {
		case !got.Exists:
			b.p.Forget = append(b.p.Forget, k)
		case b.owned(k, rec.ID, got.Presence):
			b.add(Resource{Key: resource, Kind: "IAM role", Name: rec.ID, Action: Orphan, Owned: true, ARN: got.ARN,
				Detail: "created by kfaws for " + why + "; kept; kfaws down deletes it"})
		default:
			b.p.Forget = append(b.p.Forget, k)
			b.warn("IAM role %q, which the state file records as created by kfaws, is no longer this installation's; its "+
				"record is dropped, and kfaws will never change or delete it", rec.ID)
		}
	}
}

// profileRoleTargets are the per-profile roles a teardown looks at: every one the state records, and the
// current profiles' roles by name (found by their tag when the state lost them), each once.
func (b *builder) profileRoleTargets() []target {
	var out []target
	seen := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(b.recorded.Resources)) {
		if rec := b.recorded.Resources[k]; profileOfRoleKey(k) != "" && rec.Owned && rec.ID != "" && !seen[rec.ID] {
			seen[rec.ID] = true
			key, _ := SplitKey(k)
			out = append(out, target{stateKey: k, key: key, name: rec.ID, presence: b.snap.ProfileRoles[rec.ID].Presence})
		}
	}
	for _, ns := range ProfileNamespaces(b.cfg, b.profilesFound(), b.recorded) {
		name := b.cfg.ProfileRoleFor(ns)
		if ns == b.cfg.IAM.ProfileNamespace || seen[name] {
			continue
		}
		seen[name] = true
		key := KeyProfileRolePrefix + ns
		out = append(out, target{stateKey: key, key: key, name: name, presence: b.snap.ProfileRoles[name].Presence})
	}
	return out
}
