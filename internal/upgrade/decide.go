// Package upgrade protects the database across a change of KFP version. KFP migrates its schema forward on
// start and has no way back (kubeflow/pipelines#3636; the KF 1.11 release notes say the same of 2.15's
// migration), so before manifests with another KFP version are applied kfaws takes an RDS snapshot, and it
// refuses manifests older than what runs. Decide says what to do; Snapshotter takes and waits for the snapshot.
package upgrade

import (
	"fmt"

	"github.com/kfaws/kfaws/internal/render/detect"
)

// Input is what decides the action before an apply.
type Input struct {
	// Running is the KFP version on the cluster ("" when none is there yet); Target the one about to be applied
	// ("" when the objects hold no KFP).
	Running, Target string
	// RDS is true when the databases are on the installation's RDS instance (options rds-s3 and rds-only).
	RDS bool
	// AllowDowngrade applies older manifests anyway (the database was restored to their schema).
	AllowDowngrade bool
	// SkipSnapshot applies a change of version without a snapshot.
	SkipSnapshot bool
}

// Action is what to do before applying.
type Action int

// The actions.
const (
	// Proceed: nothing to protect (no KFP running yet, or the same version).
	Proceed Action = iota
	// Snapshot the RDS instance, wait until the snapshot is available, then apply.
	Snapshot
	// Unprotected: the version changes and no snapshot is taken (--skip-upgrade-snapshot, or the database is in
	// the cluster); apply with a warning.
	Unprotected
	// Refuse: the manifests are older than what runs; change nothing.
	Refuse
)

// Decision is Decide's answer.
type Decision struct {
	Action Action
	// From and To are the running and target versions; Downgrade is true when To is older than From, Unordered
	// when they differ but one is not a semantic version.
	From, To             string
	Downgrade, Unordered bool
}

// Decide says what to do before applying in. A version that cannot be ordered counts as a change, never as a
// downgrade: kfaws protects the data and lets the apply go on.
func Decide(in Input) Decision {
	d := Decision{From: in.Running, To: in.Target}
	if in.Running == "" || in.Target == "" || in.Running == in.Target {
		return d
	}
	switch c, err := detect.CompareKFP(in.Target, in.Running); {
	case err != nil:
		d.Unordered = true
	case c == 0:
		return d // the same version spelled differently (v2.5.0, 2.5.0+build)
	case c < 0:
		d.Downgrade = true
		if !in.AllowDowngrade {
			d.Action = Refuse
			return d
		}
	}
	if in.SkipSnapshot || !in.RDS {
		d.Action = Unprotected
		return d
	}
	d.Action = Snapshot
	return d
}

// Verb says what the change is, for messages: "upgrade", "downgrade" or "change".
func (d Decision) Verb() string {
	switch {
	case d.Unordered:
		return "change"
	case d.Downgrade:
		return "downgrade"
	}
	return "upgrade"
}

// DowngradeError refuses manifests whose KFP is older than the one running; nothing was changed.
type DowngradeError struct {
	From, To string
	// Instance is the RDS instance, "" when the database is in the cluster.
	Instance string
	// Snapshot is the newest snapshot kfaws took before upgrading from To to From, "" when none was found.
	Snapshot string
	// Restore is the command that restores Snapshot (or a template of it).
	Restore string
}

func (e *DowngradeError) Error() string {
	msg := fmt.Sprintf("the manifests pin KFP %s, older than KFP %s running on the cluster (pipeline-install-config "+
		"appVersion); KFP %s has migrated the database schema forward and KFP %s cannot use it "+
		"(kubeflow/pipelines#3636), so nothing was changed", e.To, e.From, e.From, e.To)
	switch {
	case e.Instance == "":
		return msg + "; to go back, restore a backup of the in-cluster database from before the upgrade, then " +
			"apply with --allow-downgrade"
	case e.Snapshot != "":
		return fmt.Sprintf("%s; to go back, restore DB snapshot %q (taken before the upgrade to %s) to a new instance:\n"+
			"  %s\nthen set rds.instanceName to the new instance and run kfaws up --manifests with --allow-downgrade", msg, e.Snapshot, e.From, e.Restore)
	}
	return fmt.Sprintf("%s; to go back, restore a snapshot of DB instance %q from before the upgrade to a new "+
		"instance (aws rds describe-db-snapshots --db-instance-identifier %s lists them):\n  %s\nthen set "+
		"rds.instanceName to the new instance and run kfaws up --manifests with --allow-downgrade", msg, e.Instance, e.Instance, e.Restore)
}
