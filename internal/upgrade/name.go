package upgrade

import (
	"strings"
	"time"
)

// Limits of RDS identifiers (rds:CreateDBSnapshot DBSnapshotIdentifier, rds:CreateDBInstance
// DBInstanceIdentifier): letters, digits and hyphens, starting with a letter, no two hyphens in a row, not
// ending with a hyphen.
const (
	maxSnapshotID = 255
	maxInstanceID = 63
	// maxVersionPart keeps two versions and the instance well inside maxSnapshotID.
	maxVersionPart = 60
)

// SnapshotPrefix is how every snapshot kfaws takes of instance before a component (KFP, MLMD, Katib) changes
// from one version to another begins; the time follows it.
func SnapshotPrefix(instance, component, from, to string) string {
	return identifier(instance, maxInstanceID) + "-pre-" + identifier(component, 8) + "-" + identifier(from, maxVersionPart) +
		"-to-" + identifier(to, maxVersionPart) + "-"
}

// SnapshotName names the snapshot taken of instance at now, before a component changes from one version to
// another: INSTANCE-pre-COMPONENT-FROM-to-TO-YYYYMMDD-HHMMSS (UTC, lowercase), the versions' dots as hyphens.
func SnapshotName(instance, component, from, to string, now time.Time) string {
	name := SnapshotPrefix(instance, component, from, to) + now.UTC().Format("20060102-150405")
	if !isLetter(name[0]) {
		name = "kfaws-" + name
	}
	return name
}

// identifier turns s into lowercase letters, digits and single hyphens, at most max characters, with no hyphen
// at either end. RDS stores identifiers in lowercase, so the name kfaws prints is the one RDS lists.
func identifier(s string, max int) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && (c < '0' || c > '9') {
			c = '-'
		}
		if c == '-' && (b.Len() == 0 || strings.HasSuffix(b.String(), "-")) {
			continue
		}
		b.WriteByte(c)
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
	}
	out = strings.TrimRight(out, "-")
	if out == "" {
		return "x"
	}
	return out
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// Instance is what a restore command needs of the instance the snapshot was taken of.
type Instance struct {
	Identifier     string
	SubnetGroup    string
	ParameterGroup string
	SecurityGroups []string
}

// RestoreCommand is the AWS CLI command that restores snapshot to a new instance next to the original, in the
// same subnet group, parameter group and security groups (RDS restores to a new identifier only).
func RestoreCommand(snapshot string, in Instance) string {
	target := identifier(in.Identifier, maxInstanceID-len("-restored")) + "-restored"
	args := []string{"aws rds restore-db-instance-from-db-snapshot", "--db-instance-identifier " + target,
		"--db-snapshot-identifier " + snapshot}
	if in.SubnetGroup != "" {
		args = append(args, "--db-subnet-group-name "+in.SubnetGroup)
	}
	if in.ParameterGroup != "" {
		args = append(args, "--db-parameter-group-name "+in.ParameterGroup)
	}
	if len(in.SecurityGroups) > 0 {
		args = append(args, "--vpc-security-group-ids "+strings.Join(in.SecurityGroups, " "))
	}
	return strings.Join(args, " ")
}
