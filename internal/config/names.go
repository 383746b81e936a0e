package config

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// named is one name kfaws creates, with its field.
type named struct{ field, value string }

// validateDistinctNames refuses two fields naming the same resource where kfaws creates one resource per field.
// Two roles under one name are one IAM role whose trust policy every `up` rewrites for the other, so the plan
// never settles; two secrets under one name overwrite each other's keys. The other names kfaws creates live in
// namespaces of their own (DB subnet groups, DB parameter groups, security groups, the one policy), so they
// cannot collide with each other.
func (c *Config) validateDistinctNames(v *validator) {
	var roles []named
	if c.Option.UsesS3() && c.S3.Credentials == CredentialsIRSA {
		roles = append(roles, named{"iam.backendRoleName", c.IAM.BackendRoleName}, named{"iam.profileRoleName", c.IAM.ProfileRoleName})
	}
	if SyncsSecrets(c.Option, c.S3.Credentials) {
		roles = append(roles, named{"iam.secretsRoleName", c.IAM.SecretsRoleName})
	}
	// IAM role names are unique regardless of case: "KFP" and "kfp" are one role.
	v.distinct(roles, strings.EqualFold, "each of kfaws's IAM roles needs its own name (IAM ignores case)")

	var secrets []named
	if c.Option.UsesRDS() {
		secrets = append(secrets, named{"rds.secretName", c.RDS.SecretName})
	}
	if StaticS3(c.Option, c.S3.Credentials) {
		secrets = append(secrets, named{"s3.secretName", c.S3.SecretName})
	}
	v.distinct(secrets, func(a, b string) bool { return a == b }, "the database credentials and the S3 keys need separate secrets")
}

// distinct reports each name equal to an earlier one, on the later field, naming both.
func (v *validator) distinct(names []named, same func(a, b string) bool, why string) {
	for j, later := range names {
		for _, earlier := range names[:j] {
			if later.value != "" && same(earlier.value, later.value) {
				v.add(later.field, later.value, "must differ from "+earlier.field+", which is also "+quote(earlier.value)+"; "+why)
				break
			}
		}
	}
}

func quote(s string) string { return `"` + shorten(s) + `"` }

// ProfileRoleFor is the IRSA role of profile namespace ns: iam.profileRoleName for iam.profileNamespace, else
// that name followed by the namespace, cut to IAM's 64 characters with a hash of the namespace to keep it unique.
func (c *Config) ProfileRoleFor(ns string) string {
	if ns == c.IAM.ProfileNamespace {
		return c.IAM.ProfileRoleName
	}
	const limit = 64
	name := c.IAM.ProfileRoleName + "-" + ns
	if len(name) <= limit {
		return name
	}
	sum := sha256.Sum256([]byte(ns))
	suffix := "-" + hex.EncodeToString(sum[:4])
	return name[:limit-len(suffix)] + suffix
}
