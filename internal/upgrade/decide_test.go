package upgrade

import (
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Input
		want Action
		down bool
	}{
		{"fresh install", Input{Target: "2.5.0", RDS: true}, Proceed, false},
		{"no KFP in the objects", Input{Running: "2.5.0", RDS: true}, Proceed, false},
		{"same version", Input{Running: "2.15.0", Target: "2.15.0", RDS: true}, Proceed, false},
		{"same version spelled with v", Input{Running: "v2.15.0", Target: "2.15.0", RDS: true}, Proceed, false},
		{"upgrade on RDS", Input{Running: "2.5.0", Target: "2.15.0", RDS: true}, Snapshot, false},
		{"upgrade from a pre-release", Input{Running: "2.0.0-alpha.7", Target: "2.0.5", RDS: true}, Snapshot, false},
		{"upgrade, snapshot skipped", Input{Running: "2.5.0", Target: "2.15.0", RDS: true, SkipSnapshot: true}, Unprotected, false},
		{"upgrade, database in the cluster", Input{Running: "2.5.0", Target: "2.15.0"}, Unprotected, false},
		{"downgrade", Input{Running: "2.15.0", Target: "2.5.0", RDS: true}, Refuse, true},
		{"downgrade, database in the cluster", Input{Running: "2.15.0", Target: "2.5.0"}, Refuse, true},
		{"downgrade is refused even without a snapshot", Input{Running: "2.15.0", Target: "2.5.0", RDS: true, SkipSnapshot: true}, Refuse, true},
		{"downgrade allowed", Input{Running: "2.15.0", Target: "2.5.0", RDS: true, AllowDowngrade: true}, Snapshot, true},
		{"downgrade allowed, snapshot skipped", Input{Running: "2.15.0", Target: "2.5.0", RDS: true, AllowDowngrade: true, SkipSnapshot: true}, Unprotected, true},
		{"unordered versions are a change", Input{Running: "master", Target: "2.16.0", RDS: true}, Snapshot, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in)
			if d.Action != tc.want || d.Downgrade != tc.down || d.From != tc.in.Running || d.To != tc.in.Target {
				t.Errorf("Decide(%+v) = %+v, want action %d, downgrade %v", tc.in, d, tc.want, tc.down)
			}
		})
	}
}

// MLMD and Katib own their schemas: a change of either alone is protected like KFP's, an MLMD downgrade is
// refused even when KFP goes up, and a Katib downgrade is only a change.
func TestDecideComponents(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        Input
		want      Action
		component string
		from, to  string
	}{
		{"MLMD alone changes", Input{Running: "2.5.0", Target: "2.5.0", RDS: true, MLMD: Versions{"1.5.0", "1.14.0"}}, Snapshot, MLMD, "1.5.0", "1.14.0"},
		{"Katib alone changes", Input{Running: "2.5.0", Target: "2.5.0", RDS: true, Katib: Versions{"v0.17.0", "v0.18.0"}}, Snapshot, Katib, "v0.17.0", "v0.18.0"},
		{"KFP and MLMD change: KFP names it", Input{Running: "2.0.5", Target: "2.5.0", RDS: true, MLMD: Versions{"1.5.0", "1.14.0"}}, Snapshot, KFP, "2.0.5", "2.5.0"},
		{"MLMD downgrade refused under a KFP upgrade", Input{Running: "2.0.5", Target: "2.5.0", RDS: true, MLMD: Versions{"1.14.0", "1.5.0"}}, Refuse, MLMD, "1.14.0", "1.5.0"},
		{"MLMD downgrade allowed", Input{RDS: true, AllowDowngrade: true, MLMD: Versions{"1.14.0", "1.5.0"}}, Snapshot, MLMD, "1.14.0", "1.5.0"},
		{"Katib downgrade is a change", Input{RDS: true, Katib: Versions{"v0.19.0", "v0.17.0"}}, Snapshot, Katib, "v0.19.0", "v0.17.0"},
		{"Katib change, database in the cluster", Input{Katib: Versions{"v0.17.0", "v0.19.0"}}, Unprotected, Katib, "v0.17.0", "v0.19.0"},
		{"first KFP on data moved in", Input{Target: "2.16.0", RDS: true, HeldData: true}, Snapshot, KFP, Unknown, "2.16.0"},
		{"first KFP on data moved in, in the cluster", Input{Target: "2.16.0", HeldData: true}, Unprotected, KFP, Unknown, "2.16.0"},
		{"nothing changes", Input{Running: "2.5.0", Target: "2.5.0", RDS: true, MLMD: Versions{"1.14.0", "1.14.0"}, Katib: Versions{"v0.18.0", ""}}, Proceed, KFP, "2.5.0", "2.5.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.in)
			if d.Action != tc.want || d.Component != tc.component || d.From != tc.from || d.To != tc.to {
				t.Errorf("Decide(%+v) = %+v, want action %d by %s %s → %s", tc.in, d, tc.want, tc.component, tc.from, tc.to)
			}
		})
	}
	e := &DowngradeError{Component: MLMD, From: "1.14.0", To: "1.5.0"}
	if !strings.Contains(e.Error(), "schema_version") || !strings.Contains(e.Error(), "nothing was changed") {
		t.Errorf("MLMD downgrade message: %s", e)
	}
}

func TestDowngradeErrorSaysHowToGoBack(t *testing.T) {
	in := Instance{Identifier: "kubeflow-db", SubnetGroup: "kubeflow-db-subnets", ParameterGroup: "kubeflow-db-params",
		SecurityGroups: []string{"sg-1", "sg-2"}}
	e := &DowngradeError{From: "2.15.0", To: "2.5.0", Instance: "kubeflow-db",
		Snapshot: "kubeflow-db-pre-kfp-2-5-0-to-2-15-0-20260101-120000"}
	e.Restore = RestoreCommand(e.Snapshot, in)
	for _, want := range []string{"KFP 2.5.0", "KFP 2.15.0", "nothing was changed", "kubeflow/pipelines#3636",
		`DB snapshot "kubeflow-db-pre-kfp-2-5-0-to-2-15-0-20260101-120000"`,
		"aws rds restore-db-instance-from-db-snapshot --db-instance-identifier kubeflow-db-restored " +
			"--db-snapshot-identifier kubeflow-db-pre-kfp-2-5-0-to-2-15-0-20260101-120000 --db-subnet-group-name " +
			"kubeflow-db-subnets --db-parameter-group-name kubeflow-db-params --vpc-security-group-ids sg-1 sg-2",
		"--allow-downgrade"} {
		if !strings.Contains(e.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, e.Error())
		}
	}
	e.Snapshot = ""
	if msg := e.Error(); !strings.Contains(msg, "aws rds describe-db-snapshots --db-instance-identifier kubeflow-db") {
		t.Errorf("without a known snapshot the message does not say how to find one:\n%s", msg)
	}
	e.Instance = ""
	if msg := e.Error(); strings.Contains(msg, "aws rds") || !strings.Contains(msg, "in-cluster database") {
		t.Errorf("a database in the cluster has no RDS snapshot to restore:\n%s", msg)
	}
}
