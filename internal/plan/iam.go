package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/observe"
)

// SecretsInlinePolicy is the name of the inline policy on the secrets role.
const SecretsInlinePolicy = "kfaws-read-secrets"

func (b *builder) oidc() {
	p := b.snap.OIDCProvider
	issuer := strings.TrimPrefix(b.snap.Cluster.OIDCIssuer, "https://")
	r := Resource{Key: KeyOIDCProvider, Kind: "IAM OIDC provider", Name: issuer, ARN: b.arns.OIDCProvider(issuer)}
	switch {
	case !p.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "lets the cluster's service accounts assume IAM roles"
		b.step(KeyOIDCProvider, "create", RegisterOIDCProvider{Issuer: b.snap.Cluster.OIDCIssuer, Audience: identity.Audience},
			fmt.Sprintf("register the cluster's OIDC issuer %q with IAM", issuer))
	default:
		// Shared by everything on the cluster that uses IRSA, so reused whoever created it.
		r.Action, r.Owned = Exists, b.owned(KeyOIDCProvider, issuer, p)
	}
	b.add(r)
}

// needsSecretsRole reports whether any Secrets Manager secret must reach the cluster.
func (b *builder) needsSecretsRole() bool {
	c := b.cfg
	return config.SyncsSecrets(c.Option, c.S3.Credentials)
}

// role decides one IAM role for a service account with the S3 policy attached, and without the policies kfaws
// created under an old iam.s3PolicyName (they grant on what the configuration no longer names).
func (b *builder) role(key, name string, sa identity.ServiceAccount, obs observe.Role, also ...identity.ServiceAccount) {
	policyARN := b.arns.Policy(b.cfg.IAM.S3PolicyName)
	perms := "policy " + b.cfg.IAM.S3PolicyName
	var detach []string
	for _, f := range b.kept(KeyS3Policy) {
		if old := firstOf(f.found.ARN, f.ARN, b.arns.Policy(f.ID)); slices.Contains(obs.AttachedPolicies, old) {
			detach = append(detach, old)
			perms += fmt.Sprintf(" instead of %q", f.ID)
		}
	}
	ok := slices.Contains(obs.AttachedPolicies, policyARN) && len(detach) == 0
	params := EnsureRole{Name: name, ServiceAccount: sa, AlsoTrusted: also, AttachPolicies: []string{policyARN}, DetachPolicies: detach}
	b.decideRole(roleDecision{key: key, params: params, obs: obs, permsOK: ok, perms: perms}, KeyOIDCProvider, KeyS3Policy)
}

func (b *builder) secretsRole() {
	if !b.needsSecretsRole() {
		return
	}
	c, obs := b.cfg, b.snap.SecretsRole
	var secrets []string
	if c.Option.UsesRDS() {
		secrets = append(secrets, c.RDS.SecretName)
	}
	secrets = append(secrets, componentSecretNames(c)...)
	if config.StaticS3(c.Option, c.S3.Credentials) {
		secrets = append(secrets, c.S3.SecretName)
	}
	doc := SecretsPolicyWithKey(b.p.Partition, c.Region, b.p.Account, b.key, secrets...)
	ok := SameGrants(obs.InlineDocuments[SecretsInlinePolicy], doc)
	params := EnsureRole{Name: c.IAM.SecretsRoleName,
		ServiceAccount: identity.ServiceAccount{Namespace: KubeflowNamespace, Name: SecretsServiceAccount},
		InlinePolicies: []InlinePolicy{{Name: SecretsInlinePolicy, Document: doc}}}
	perms := "read access to the secrets"
	if b.key != "" {
		perms += " and decrypt with KMS key " + b.keyName
	}
	b.decideRole(roleDecision{key: KeySecretsRole, params: params, obs: obs, permsOK: ok, perms: perms},
		KeyOIDCProvider, KeyKMSKey)
}

// roleDecision is what decideRole needs about one role.
type roleDecision struct {
	key    string
	params EnsureRole
	obs    observe.Role
	// permsOK says whether the role already has its permissions, which perms describes.
	permsOK bool
	perms   string
}

func (b *builder) decideRole(d roleDecision, deps ...string) {
	name, sa := d.params.Name, d.params.ServiceAccount
	d.params.Binding = b.p.Binding
	subject := sa.Subject()
	accounts := sa.String()
	trusted := b.p.Binding.Trusts(d.obs.TrustPolicy, sa)
	for _, o := range d.params.AlsoTrusted {
		subject += " and " + o.Subject()
		accounts += " and " + o.String()
		trusted = trusted && b.p.Binding.Trusts(d.obs.TrustPolicy, o)
	}
	r := Resource{Key: d.key, Kind: "IAM role", Name: name, Field: b.fieldOf(d.key), ARN: b.arns.Role(name)}
	switch {
	case !d.obs.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "for "+accounts+" with "+d.perms
		b.step(d.key, "create", d.params, fmt.Sprintf("create IAM role %q for %s with %s", name, accounts, d.perms), deps...)
	case b.foreign(d.obs.Presence):
		belongsToAnother(&r, d.obs.Installation, "role")
	case b.useAdopted(&r, d.obs.Presence):
		if !trusted {
			b.warn("IAM role %q, adopted from the awslabs setup, does not trust %s through %s; kfaws does not change it, "+
				"so that service account cannot assume it: fix its trust policy, or set %s to a role kfaws creates",
				name, subject, b.trustVia(), r.Field)
		}
	case !b.owned(d.key, name, d.obs.Presence):
		r.Action = Conflict
		r.Detail = "a role of this name exists and was not created by this installation; choose another " + r.Field
	case !d.permsOK || !trusted:
		r.Action, r.Owned, r.Detail = Update, true, "restore trust for "+subject+" and "+d.perms
		b.step(d.key, "update", d.params, fmt.Sprintf("restore IAM role %q (trust for %s, %s)", name, subject, d.perms), deps...)
	default:
		r.Action, r.Owned = Exists, true
	}
	b.add(r)
}

// trustVia says, for messages, what a role must trust under the binding.
func (b *builder) trustVia() string {
	if _, ok := b.p.Binding.(identity.PodIdentity); ok {
		return "EKS Pod Identity (" + identity.PodIdentityPrincipal + ")"
	}
	return "the cluster's OIDC issuer"
}

// RoleARN is the ARN of a role at the IAM root path.
func (p *Plan) RoleARN(name string) string { return p.ARNs().Role(name) }
