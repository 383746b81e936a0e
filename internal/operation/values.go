package operation

import (
	"maps"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/render"
	"github.com/kfaws/kfaws/internal/state"
)

// Overrides are values given on the command line for resources the user brought instead of `kfaws up`.
// Empty fields do not override.
type Overrides struct {
	DBHost         string
	DBPort         int32
	Bucket         string
	BackendRoleARN string
	ProfileRoleARN string
	SecretsRoleARN string
}

// NewValues combines the configuration, the outputs `kfaws up` recorded and the overrides (highest precedence),
// then checks that everything the chosen option needs is present and well formed. Render checks them again,
// after it has recognised the tree, so a wrong --manifests is named before missing values.
func NewValues(c *config.Config, out state.Outputs, o Overrides) (render.Values, error) {
	v := combine(c, out, o)
	return v, v.Validate()
}

// combine is NewValues without the check.
func combine(c *config.Config, out state.Outputs, o Overrides) render.Values {
	pick := func(vals ...string) string {
		for _, v := range vals {
			if v != "" {
				return v
			}
		}
		return ""
	}
	v := render.Values{
		Option:           c.Option,
		Credentials:      c.S3.Credentials,
		Identity:         c.Identity,
		Region:           c.Region,
		DBHost:           pick(o.DBHost, out.DBHost),
		DBPort:           out.DBPort,
		RDSSecretName:    pick(out.RDSSecretName, c.RDS.SecretName),
		SecretsRoleARN:   pick(o.SecretsRoleARN, out.SecretsRoleARN),
		Bucket:           pick(o.Bucket, out.Bucket, c.S3.Bucket),
		S3SecretName:     pick(out.S3SecretName, c.S3.SecretName),
		BackendRoleARN:   pick(o.BackendRoleARN, out.BackendRoleARN),
		ProfileRoleARN:   pick(o.ProfileRoleARN, out.ProfileRoleARN),
		ProfileNamespace: c.IAM.ProfileNamespace,
		// Every profile up gave access to; --profile-role-arn names the configured profile's role (below).
		ProfileRoleARNs: maps.Clone(out.ProfileRoleARNs),
		ComponentUsers:  c.UsesComponentUsers(),
	}
	if o.ProfileRoleARN != "" && len(v.ProfileRoleARNs) > 0 {
		v.ProfileRoleARNs[c.IAM.ProfileNamespace] = o.ProfileRoleARN
	}
	if o.DBPort != 0 {
		v.DBPort = o.DBPort
	}
	if v.DBPort == 0 && v.DBHost != "" {
		v.DBPort = 3306
	}
	if out.S3Credentials != "" && v.Credentials == "" {
		v.Credentials = config.CredentialMode(out.S3Credentials)
	}
	return v
}
