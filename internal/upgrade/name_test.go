package upgrade

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// rdsIdentifier is RDS's rule for snapshot identifiers: 1-255 letters, digits and hyphens, starting with a
// letter, no two hyphens in a row, not ending with a hyphen.
var rdsIdentifier = regexp.MustCompile(`^[a-zA-Z](-?[a-zA-Z0-9])*$`)

func TestSnapshotName(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 5, 7, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct{ instance, from, to, want string }{
		{"kubeflow-db", "2.5.0", "2.15.0", "kubeflow-db-pre-kfp-2-5-0-to-2-15-0-20261130-080507"},
		{"KubeflowDB", "2.0.0-alpha.7", "2.0.5", "kubeflowdb-pre-kfp-2-0-0-alpha-7-to-2-0-5-20261130-080507"},
		{"db", "v2.16.0+build.5", "master", "db-pre-kfp-v2-16-0-build-5-to-master-20261130-080507"},
		{"db", "--", "", "db-pre-kfp-x-to-x-20261130-080507"},
	} {
		got := SnapshotName(tc.instance, KFP, tc.from, tc.to, at)
		if got != tc.want {
			t.Errorf("SnapshotName(%q, %q, %q) = %q, want %q", tc.instance, tc.from, tc.to, got, tc.want)
		}
		if !strings.HasPrefix(got, SnapshotPrefix(tc.instance, KFP, tc.from, tc.to)) {
			t.Errorf("%q does not start with its prefix %q", got, SnapshotPrefix(tc.instance, KFP, tc.from, tc.to))
		}
	}
	if got := SnapshotName("kubeflow-db", MLMD, "1.5.0", "1.14.0", at); got != "kubeflow-db-pre-mlmd-1-5-0-to-1-14-0-20261130-080507" {
		t.Errorf("MLMD snapshot name = %q", got)
	}
}

// Whatever the versions say, the name is a valid RDS identifier.
func FuzzSnapshotName(f *testing.F) {
	f.Add("kubeflow-db", "2.5.0", "2.15.0")
	f.Add("a", "..--..", strings.Repeat("9.", 200))
	f.Add("0db", "-", "ü")
	f.Fuzz(func(t *testing.T, instance, from, to string) {
		name := SnapshotName(instance, MLMD, from, to, time.Now())
		if len(name) > maxSnapshotID || !rdsIdentifier.MatchString(name) {
			t.Fatalf("SnapshotName(%q, %q, %q) = %q (%d characters) is not an RDS identifier", instance, from, to, name, len(name))
		}
		restore := RestoreCommand(name, Instance{Identifier: instance})
		target := strings.Fields(restore)[4]
		if len(target) > maxInstanceID || !rdsIdentifier.MatchString(target) && rdsIdentifier.MatchString(instance) {
			t.Fatalf("restore target %q of instance %q is not an RDS instance identifier", target, instance)
		}
	})
}
