package plan

import (
	"maps"
	"slices"
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/state"
)

// OrphanKey is the state key under which kfaws keeps the record of a resource of key's kind that it created as
// id and that the configuration no longer names, e.g. "s3/bucket@old-artifacts".
func OrphanKey(key, id string) string { return key + "@" + id }

// SplitKey splits a state key into the resource key and, for an orphan's record, the orphan's name.
func SplitKey(stateKey string) (key, orphan string) {
	key, orphan, _ = strings.Cut(stateKey, "@")
	return key, orphan
}

// renamable are the resources whose names come from the configuration, with how observe reads them by name.
// The OIDC provider (named by the cluster's issuer) and the CSI driver's add-on (a fixed name) are not.
var renamable = map[string]observe.ResourceType{
	KeyBucket: observe.TypeBucket, KeyS3Secret: observe.TypeSecret, KeyS3Policy: observe.TypePolicy,
	KeyBackendRole: observe.TypeRole, KeyProfileRole: observe.TypeRole, KeySecretsRole: observe.TypeRole,
	KeySubnetGroup: observe.TypeSubnetGroup, KeyParameterGroup: observe.TypeParameterGroup,
	KeySecurityGroup: observe.TypeSecurityGroup, KeyRDSSecret: observe.TypeSecret, KeyInstance: observe.TypeInstance,
}

// kinds are the renamable resources' kinds as plan lines show them.
var kinds = map[string]string{
	KeyBucket: "S3 bucket", KeyS3Secret: "secret", KeyS3Policy: "IAM policy", KeyBackendRole: "IAM role",
	KeyProfileRole: "IAM role", KeySecretsRole: "IAM role", KeySubnetGroup: "DB subnet group",
	KeyParameterGroup: "DB parameter group", KeySecurityGroup: "security group", KeyRDSSecret: "secret",
	KeyInstance: "DB instance",
}

// configuredNames are the names the configuration gives the renamable resources it uses.
func configuredNames(c *config.Config) map[string]string {
	m := map[string]string{}
	if c.Option.UsesS3() {
		m[KeyBucket] = c.S3.Bucket
		if config.StaticS3(c.Option, c.S3.Credentials) {
			m[KeyS3Secret] = c.S3.SecretName
		} else {
			m[KeyS3Policy], m[KeyBackendRole], m[KeyProfileRole] = c.IAM.S3PolicyName, c.IAM.BackendRoleName, c.IAM.ProfileRoleName
		}
	}
	if c.Option.UsesRDS() {
		r := c.RDS
		m[KeySubnetGroup], m[KeyParameterGroup], m[KeyRDSSecret], m[KeyInstance] = r.SubnetGroupName, r.ParameterGroupName, r.SecretName, r.InstanceName
		m[KeySecurityGroup] = r.SecurityGroupName
		if r.SecurityGroupID != "" {
			m[KeySecurityGroup] = r.SecurityGroupID
		}
	}
	if config.SyncsSecrets(c.Option, c.S3.Credentials) {
		m[KeySecretsRole] = c.IAM.SecretsRoleName
	}
	return m
}

// Formers lists what the state records as created by this installation under names the configuration no
// longer gives (renamed, or of a part no longer used), each under its orphan key, for observe to read. Build
// decides what happens to them from what observe found.
func Formers(c *config.Config, recorded state.State) []observe.Recorded {
	names := configuredNames(c)
	var out []observe.Recorded
	for _, k := range slices.Sorted(maps.Keys(recorded.Resources)) {
		rec := recorded.Resources[k]
		key, _ := SplitKey(k)
		typ, ok := renamable[key]
		if !ok || !rec.Owned || rec.ID == "" || rec.ID == names[key] {
			continue
		}
		orphan := OrphanKey(key, rec.ID)
		if slices.ContainsFunc(out, func(r observe.Recorded) bool { return r.Key == orphan }) {
			continue
		}
		out = append(out, observe.Recorded{Key: orphan, Type: typ, ID: rec.ID, ARN: rec.ARN})
	}
	return out
}

// recordOf is the state's record of the resource key names name: the key's own record when it is of that name,
// else the record kept for it as an orphan (the configuration names it again).
func (b *builder) recordOf(key, name string) ownership.Record {
	for _, k := range []string{key, OrphanKey(key, name)} {
		r, ok := b.recorded.Resources[k]
		if ok && recordedName(key, r.ID) == name {
			return ownership.Record{ID: name, ARN: r.ARN, Owned: r.Owned, Adopted: r.Adopted}
		}
	}
	return ownership.Record{}
}

// recordedName is a record's name as plan names the resource: runs before the OIDC provider's name dropped the
// scheme recorded its issuer URL.
func recordedName(key, id string) string {
	if key == KeyOIDCProvider {
		return strings.TrimPrefix(id, "https://")
	}
	return id
}
