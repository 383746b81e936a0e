package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
)

// SecretsInlinePolicy is the name of the inline policy on the secrets role.
const SecretsInlinePolicy = "kfaws-read-secrets"

func (b *builder) oidc() {
	p := b.snap.OIDCProvider
	issuer := strings.TrimPrefix(b.snap.Cluster.OIDCIssuer, "https://")
	r := Resource{Key: KeyOIDCProvider, Kind: "IAM OIDC provider", Name: issuer}
	switch {
	case !p.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "lets the cluster's service accounts assume IAM roles"
		b.step(KeyOIDCProvider, "create", fmt.Sprintf("register the cluster's OIDC issuer %q with IAM", issuer))
	default:
		// Shared by everything on the cluster that uses IRSA, so reused whoever created it.
		r.Action, r.Owned = Exists, b.owned(p, KeyOIDCProvider)
	}
	b.add(r)
}

// needsSecretsRole reports whether any Secrets Manager secret must reach the cluster.
func (b *builder) needsSecretsRole() bool {
	c := b.cfg
	return config.SyncsSecrets(c.Option, c.S3.Credentials)
}

// role decides one IAM role for namespace/serviceAccount with the S3 policy attached.
func (b *builder) role(key, name, namespace, serviceAccount string, obs observe.Role) {
	policyARN := observe.PolicyARN(b.p.Partition, b.p.Account, b.cfg.IAM.S3PolicyName)
	ok := slices.Contains(obs.AttachedPolicies, policyARN)
	b.decideRole(key, name, namespace, serviceAccount, obs, ok, "policy "+b.cfg.IAM.S3PolicyName, KeyOIDCProvider, KeyS3Policy)
}

func (b *builder) secretsRole() {
	if !b.needsSecretsRole() {
		return
	}
	obs := b.snap.SecretsRole
	ok := slices.Contains(obs.InlinePolicies, SecretsInlinePolicy)
	b.decideRole(KeySecretsRole, b.cfg.IAM.SecretsRoleName, KubeflowNamespace, SecretsServiceAccount, obs, ok,
		"read access to the secrets", KeyOIDCProvider)
}

func (b *builder) decideRole(key, name, namespace, sa string, obs observe.Role, permsOK bool, perms string, deps ...string) {
	subject := "system:serviceaccount:" + namespace + ":" + sa
	r := Resource{Key: key, Kind: "IAM role", Name: name}
	switch {
	case !obs.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "for "+namespace+"/"+sa+" with "+perms
		b.step(key, "create", fmt.Sprintf("create IAM role %q for %s/%s with %s", name, namespace, sa, perms), deps...)
	case !b.owned(obs.Presence, key):
		r.Action = Conflict
		r.Detail = "a role of this name exists and was not created by this installation; choose another name in iam"
	case !permsOK || !strings.Contains(obs.TrustPolicy, subject):
		r.Action, r.Owned, r.Detail = Update, true, "restore trust for "+subject+" and "+perms
		b.step(key, "update", fmt.Sprintf("restore IAM role %q (trust for %s, %s)", name, subject, perms), deps...)
	default:
		r.Action, r.Owned = Exists, true
	}
	b.add(r)
}

// RoleARN is the ARN of a role at the IAM root path.
func (p *Plan) RoleARN(name string) string {
	return "arn:" + p.Partition + ":iam::" + p.Account + ":role/" + name
}
