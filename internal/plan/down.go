package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

// The actions of a teardown.
const (
	// Delete removes a resource this installation created.
	Delete Action = "delete"
	// Keep leaves a resource as it is: kfaws did not create it, it is shared, or it holds data kfaws keeps
	// unless told otherwise.
	Keep Action = "keep"
)

// DownOptions are what the user chose for a teardown.
type DownOptions struct {
	// DeleteData empties and deletes the bucket.
	DeleteData bool
	// FinalSnapshot names the DB snapshot RDS takes before deleting the instance; "" skips it.
	FinalSnapshot string
	// ForceDeleteSecrets deletes secrets without Secrets Manager's recovery window.
	ForceDeleteSecrets bool
	// DeleteAdopted deletes what kfaws adopt recorded as it deletes what kfaws created (the bucket still only
	// with DeleteData, the instance with the final snapshot).
	DeleteAdopted bool
}

// target is one resource a teardown looks at.
type target struct {
	stateKey, key, name string
	presence            observe.Presence
	// id is what the delete call needs when it is not the name (a security group's id).
	id string
	// scheduled is a secret already scheduled for deletion.
	scheduled bool
}

// BuildDown decides, for every resource the configuration names and every one the state records, whether the
// teardown deletes it (this installation created it: its tag says so or the state records that very resource)
// or keeps it, and lays out the deletions in dependency order: roles before the policy they use, the instance
// before its groups and its secret.
func BuildDown(cfg *config.Config, snap *observe.Snapshot, recorded state.State, o DownOptions) *Plan {
	p := &Plan{Account: snap.Account, Partition: snap.Partition, Region: cfg.Region, Teardown: true}
	b := &builder{cfg: cfg, snap: snap, recorded: recorded, p: p, arns: p.ARNs(), last: map[string]string{}}
	b.downOIDCProvider()
	// Associations first: the roles and the agent they use go after them.
	for _, t := range b.associationTargets() {
		b.down(t, o)
		b.assocKeys = append(b.assocKeys, t.stateKey)
	}
	for _, t := range b.profileRoleTargets() {
		b.down(t, o)
	}
	for _, t := range b.downTargets() {
		b.down(t, o)
	}
	b.downKMSKey(o)
	b.downComponentUsers(o)
	return p
}

// downTargets are the resources the configuration names and those the state records as this installation's under
// other names (renamed, or of a part no longer used), each once.
func (b *builder) downTargets() []target {
	c, s := b.cfg, b.snap
	names := configuredNames(c)
	all := []target{
		{key: KeyCSIAddon, name: eksaddon.Name, presence: s.CSIAddon.Presence},
		{key: KeyPodIdentityAgent, name: observe.PodIdentityAgentAddon, presence: s.PodIdentity.Agent.Presence},
		{key: KeyBackendRole, presence: s.BackendRole.Presence},
		{key: KeyProfileRole, presence: s.ProfileRole.Presence},
		{key: KeySecretsRole, presence: s.SecretsRole.Presence},
		{key: KeyS3Policy, presence: s.S3Policy.Presence},
		{key: KeyInstance, presence: s.Instance.Presence},
		{key: KeySubnetGroup, presence: s.SubnetGroup.Presence},
		{key: KeyParameterGroup, presence: s.ParameterGroup.Presence},
		{key: KeySecurityGroup, presence: s.SecurityGroup.Presence, id: s.SecurityGroup.ID},
		{key: KeyRDSSecret, presence: s.RDSSecret.Presence, scheduled: s.RDSSecret.Deleted},
		{key: KeyS3Secret, presence: s.S3Secret.Presence, scheduled: s.S3Secret.Deleted},
		{key: KeyBucket, presence: s.Bucket.Presence},
	}
	var targets []target
	seen := map[string]bool{}
	for _, t := range all {
		if t.key != KeyCSIAddon && t.key != KeyPodIdentityAgent {
			t.name = names[t.key]
		}
		if t.key == KeySecurityGroup {
			t.name = c.RDS.SecurityGroupName
		}
		if t.name == "" {
			continue // a part of the installation the configuration does not use: only its records say what exists
		}
		t.stateKey = t.key
		seen[OrphanKey(t.key, t.name)] = true
		targets = append(targets, t)
	}
	for _, k := range slices.Sorted(maps.Keys(b.recorded.Resources)) {
		key, _ := SplitKey(k)
		r := b.recorded.Resources[k]
		orphan := OrphanKey(key, r.ID)
		if _, ok := renamable[key]; !ok || !r.Owned || r.ID == "" || seen[orphan] {
			continue
		}
		seen[orphan] = true
		t := target{stateKey: k, key: key, name: r.ID, presence: b.snap.Recorded[orphan]}
		if key == KeySecurityGroup {
			t.id = r.ARN
		}
		targets = append(targets, t)
	}
	return targets
}

// downOIDCProvider keeps the cluster's OIDC provider: everything on the cluster that uses IRSA needs it. A
// pod-identity installation does not use it, so its teardown does not mention it.
func (b *builder) downOIDCProvider() {
	if p := b.snap.OIDCProvider; p.Exists && b.cfg.Identity != config.IdentityPodIdentity {
		b.add(Resource{Key: KeyOIDCProvider, Kind: "IAM OIDC provider", Name: b.snap.Cluster.OIDCIssuer, Action: Keep,
			Detail: "shared by everything on the cluster that uses IRSA; never deleted"})
	}
}

// down decides one resource.
func (b *builder) down(t target, o DownOptions) {
	if !t.presence.Exists {
		if _, ok := b.recorded.Resources[t.stateKey]; ok {
			b.p.Forget = append(b.p.Forget, t.stateKey) // deleted by an interrupted teardown, or by hand
		}
		return
	}
	r := Resource{Key: t.stateKey, Kind: downKind(t.key), Name: t.name, ARN: t.presence.ARN}
	owned := b.owned(t.key, t.name, t.presence)
	r.Adopted = !owned && b.adopted(t.key, t.name, t.presence)
	switch {
	case r.Adopted && !o.DeleteAdopted:
		r.Action, r.Detail = Keep, "adopted from the awslabs setup: kept; kfaws down --delete-adopted deletes it"
	case r.Adopted && t.key == KeyBucket && !o.DeleteData:
		r.Action, r.Detail = Keep, "adopted; holds your artifacts: kept; kfaws down --delete-adopted --delete-data empties and deletes it"
	case r.Adopted:
		r.Action = Delete
		b.deleteStep(t, &r, o)
		r.Detail = strings.TrimSuffix("adopted, deleted as asked (--delete-adopted); "+r.Detail, "; ")
	case !owned:
		r.Action, r.Detail = Keep, "not created by this installation: never deleted"
		if b.foreign(t.presence) {
			r.Detail = fmt.Sprintf("belongs to kfaws installation %q: never deleted by this one", t.presence.Installation)
		}
	case t.key == KeyBucket && !o.DeleteData:
		r.Action, r.Owned, r.Detail = Keep, true, "holds your artifacts: kept; kfaws down --delete-data empties and deletes it"
	default:
		r.Action, r.Owned = Delete, true
		b.deleteStep(t, &r, o)
	}
	b.add(r)
}

func downKind(key string) string {
	switch {
	case key == KeyCSIAddon || key == KeyPodIdentityAgent:
		return "EKS add-on"
	case isAssociation(key):
		return associationKind
	case isProfileRole(key):
		return "IAM role"
	}
	return kinds[key]
}

// deleteStep adds the step that deletes t, after what must go first.
func (b *builder) deleteStep(t target, r *Resource, o DownOptions) {
	k, name := t.stateKey, t.name
	roles := []string{KeyBackendRole, KeyProfileRole, KeySecretsRole}
	afterInstance := []string{KeyInstance}
	if isAssociation(t.key) {
		ns, sa, _ := strings.Cut(name, "/")
		b.step(k, "delete", DeleteAssociation{Cluster: b.snap.Cluster.Name, ID: t.id,
			ServiceAccount: identity.ServiceAccount{Namespace: ns, Name: sa}},
			fmt.Sprintf("delete the EKS pod identity association of %s (%s)", name, t.id))
		return
	}
	if isProfileRole(t.key) {
		b.step(k, "delete", DeleteRole{Name: name}, fmt.Sprintf("delete IAM role %q (its policies detached first)", name), b.assocKeys...)
		return
	}
	switch t.key {
	case KeyCSIAddon:
		r.Detail = "the Secrets Store CSI driver's provider, which kfaws installed"
		b.step(k, "delete", DeleteAddon{Cluster: b.snap.Cluster.Name, Name: name},
			fmt.Sprintf("delete EKS add-on %s from cluster %q", name, b.snap.Cluster.Name))
	case KeyPodIdentityAgent:
		r.Detail = "the EKS Pod Identity Agent, which kfaws installed"
		b.step(k, "delete", DeleteAddon{Cluster: b.snap.Cluster.Name, Name: name},
			fmt.Sprintf("delete EKS add-on %s from cluster %q", name, b.snap.Cluster.Name), b.assocKeys...)
	case KeyBackendRole, KeyProfileRole, KeySecretsRole:
		b.step(k, "delete", DeleteRole{Name: name}, fmt.Sprintf("delete IAM role %q (its policies detached first)", name), b.assocKeys...)
	case KeyS3Policy:
		a := t.presence.ARN
		if a == "" {
			a = b.arns.Policy(name)
		}
		b.step(k, "delete", DeletePolicy{ARN: a}, fmt.Sprintf("delete IAM policy %q", name), roles...)
	case KeyInstance:
		r.Detail = "final snapshot " + o.FinalSnapshot
		if o.FinalSnapshot == "" {
			r.Detail = "no final snapshot, its data is gone (--skip-final-snapshot)"
		}
		b.step(k, "delete", DeleteInstance{Identifier: name, FinalSnapshot: o.FinalSnapshot},
			fmt.Sprintf("delete DB instance %q, deletion protection off first; %s", name, r.Detail))
	case KeySubnetGroup:
		b.step(k, "delete", DeleteSubnetGroup{Name: name}, fmt.Sprintf("delete DB subnet group %q", name), afterInstance...)
	case KeyParameterGroup:
		b.step(k, "delete", DeleteParameterGroup{Name: name}, fmt.Sprintf("delete DB parameter group %q", name), afterInstance...)
	case KeySecurityGroup:
		b.step(k, "delete", DeleteSecurityGroup{ID: t.id, Name: name, VPCID: b.snap.Cluster.VPCID}, fmt.Sprintf("delete security group %q", name), afterInstance...)
	case KeyRDSSecret, KeyS3Secret, KeyComponentSecret(componentID(t.key)):
		if t.scheduled {
			r.Detail = "already scheduled for deletion: Secrets Manager removes it when its recovery window ends"
			return
		}
		r.Detail = "recoverable for 7 days, Secrets Manager's recovery window"
		if o.ForceDeleteSecrets {
			r.Detail = "at once, without recovery (--force-delete-secrets)"
		}
		b.step(k, "delete", DeleteSecret{Name: name, Force: o.ForceDeleteSecrets},
			fmt.Sprintf("delete secret %q: %s", name, r.Detail), afterInstance...)
	case KeyBucket:
		r.Detail = "every object version emptied first (--delete-data)"
		b.step(k, "delete", DeleteBucket{Name: name}, fmt.Sprintf("empty and delete S3 bucket %q (--delete-data)", name))
	}
}
