package plan

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/ownership"
)

// former is a resource the state records as created by this installation under a name the configuration no
// longer gives it, with what observe found under that name.
type former struct {
	observe.Recorded
	found observe.Presence
	// ours is true when it exists and is still this installation's (ownership.OwnsAWS on its own record).
	ours bool
	// refused is set when the plan refuses the rename instead of orphaning it.
	refused bool
}

// keyOrder is the order of the plan's lines, which orphan lines follow too.
var keyOrder = []string{KeyBucket, KeyS3Secret, KeyS3Policy, KeyBackendRole, KeyProfileRole, KeySubnetGroup,
	KeyParameterGroup, KeySecurityGroup, KeyRDSSecret, KeyInstance, KeySecretsRole}

// formers reads what observe found of each resource Formers lists.
func (b *builder) formers() map[string][]*former {
	m := map[string][]*former{}
	for _, r := range Formers(b.cfg, b.recorded) {
		key, _ := SplitKey(r.Key)
		p, looked := b.snap.Recorded[r.Key]
		if !looked {
			// Not read (a caller that did not pass Formers to observe): keep the record rather than lose it.
			p = observe.Presence{Exists: true, ARN: r.ARN}
		}
		obs := ownership.Observed{Name: r.ID, ARN: p.ARN, Tag: p.Installation}
		ours := p.Exists && ownership.OwnsAWS(b.cfg.Name, obs, ownership.Record{ID: r.ID, ARN: r.ARN, Owned: true})
		m[key] = append(m[key], &former{Recorded: r, found: p, ours: ours})
	}
	return m
}

// kept are the formers of key that still exist and are this installation's.
func (b *builder) kept(key string) []*former {
	var out []*former
	for _, f := range b.old[key] {
		if f.ours {
			out = append(out, f)
		}
	}
	return out
}

// orphans shows each former that is still this installation's as kept, and drops the records of the others.
func (b *builder) orphans() {
	names := configuredNames(b.cfg)
	for _, key := range keyOrder {
		for _, f := range b.old[key] {
			switch {
			case f.refused:
			case !f.ours:
				b.forget(key, f)
				if f.found.Exists {
					b.warn("%s %q, which the state file records as created by kfaws, is no longer this installation's (%s); "+
						"its record is dropped, and kfaws will never change or delete it", kinds[key], f.ID, notOursAnyMore(f))
				}
			default:
				field := b.fieldOf(key)
				if key == KeySecurityGroup {
					field = "rds.securityGroupName" // the name it was created under, even when an id is brought now
				}
				detail := "created by kfaws under the old " + field + "; kept; kfaws down removes it"
				if _, used := names[key]; !used {
					detail = "created by kfaws for a part the configuration no longer uses; kept; kfaws down removes it"
				}
				b.add(Resource{Key: f.Key, Kind: kinds[key], Name: f.ID, Action: Orphan, Owned: true, Detail: detail,
					ARN: firstOf(f.found.ARN, f.ARN)})
			}
		}
	}
}

func notOursAnyMore(f *former) string {
	if f.found.Installation != "" {
		return fmt.Sprintf("tagged by kfaws installation %q", f.found.Installation)
	}
	return "it was deleted and made again by someone else"
}

// forget drops the records of a former: its orphan record and, when it is the key's own record, that one.
func (b *builder) forget(key string, f *former) {
	if _, ok := b.recorded.Resources[f.Key]; ok {
		b.p.Forget = append(b.p.Forget, f.Key)
	}
	if r, ok := b.recorded.Resources[key]; ok && r.ID == f.ID {
		b.p.Forget = append(b.p.Forget, key)
	}
}

// fieldOf is the configuration field that names the resource of key.
func (b *builder) fieldOf(key string) string {
	if isProfileRole(key) {
		return "iam.profileRoleName"
	}
	switch key {
	case KeyBucket:
		return "s3.bucket"
	case KeyS3Secret:
		return "s3.secretName"
	case KeyS3Policy:
		return "iam.s3PolicyName"
	case KeyBackendRole:
		return "iam.backendRoleName"
	case KeyProfileRole:
		return "iam.profileRoleName"
	case KeySecretsRole:
		return "iam.secretsRoleName"
	case KeySubnetGroup:
		return "rds.subnetGroupName"
	case KeyParameterGroup:
		return "rds.parameterGroupName"
	case KeySecurityGroup:
		if b.cfg.RDS.SecurityGroupID != "" {
			return "rds.securityGroupID"
		}
		return "rds.securityGroupName"
	case KeyRDSSecret:
		return "rds.secretName"
	case KeyInstance:
		return "rds.instanceName"
	}
	return ""
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// renames suggests, for each conflict with a resource of another installation that a field names, a name of
// this installation's own: the installation's name in front of the current one.
func renames(installation string, rs []Resource) []Rename {
	var out []Rename
	seen := map[string]bool{}
	for _, r := range rs {
		if r.Action != Conflict || r.Owner == "" || r.Field == "" || r.Field == "rds.securityGroupID" || seen[r.Field] {
			continue
		}
		seen[r.Field] = true
		out = append(out, Rename{Field: r.Field, Value: suggestName(r.Field, installation, r.Name), Owner: r.Owner})
	}
	return out
}

// suggestName prefixes current with installation, within the field's rules (config.Validate).
func suggestName(field, installation, current string) string {
	v := installation + "-" + current
	switch field {
	case "rds.instanceName":
		// Letters, digits and single hyphens, starting with a letter.
		alnum := func(r rune) bool { return r <= unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) }
		v = strings.Join(strings.FieldsFunc(v, func(r rune) bool { return !alnum(r) }), "-")
		if v == "" || !unicode.IsLetter(rune(v[0])) {
			v = "kfaws-" + v
		}
		return trimName(v, 63)
	case "s3.bucket":
		return trimName(strings.ToLower(v), 63)
	case "iam.backendRoleName", "iam.profileRoleName", "iam.secretsRoleName":
		return trimName(v, 64)
	case "iam.s3PolicyName":
		return trimName(v, 128)
	}
	return trimName(v, 255)
}

func trimName(v string, limit int) string {
	if len(v) > limit {
		v = v[:limit]
	}
	return strings.TrimRight(v, "-.")
}
