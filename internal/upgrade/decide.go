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
	// MLMD and Katib are the versions of MLMD's metadata server and Katib's db-manager, which own their own
	// schemas (MLMDEnv.schema_version; Katib's observation_logs).
	MLMD, Katib Versions
	// Running is the KFP version on the cluster ("" when none is there yet); Target the one about to be applied
	// ("" when the objects hold no KFP).
	Running, Target string
	// RDS is true when the databases are on the installation's RDS instance (options rds-s3 and rds-only).
	RDS bool
	// AllowDowngrade applies older manifests anyway (the database was restored to their schema).
	AllowDowngrade bool
	// SkipSnapshot applies a change of version without a snapshot.
	SkipSnapshot bool
	// HeldData says the databases hold data that no KFP on the cluster accounts for (adopted from the awslabs
	// setup, or moved in by kfaws migrate): the first KFP applied migrates a schema of a version kfaws cannot see.
	HeldData bool
}

// Unknown is the version of the KFP that wrote data no running KFP accounts for.
const Unknown = "unknown"

// Versions are a component's version on the cluster and in the objects about to be applied ("" when absent).
type Versions struct{ Running, Target string }

// The components whose versions are compared, as messages and snapshot names call them.
const (
	KFP   = "KFP"
	MLMD  = "MLMD"
	Katib = "Katib"
)

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
	// Component is the one whose change decided: KFP when its version changes, else MLMD or Katib.
	Component string
	// From and To are the running and target versions; Downgrade is true when To is older than From, Unordered
	// when they differ but one is not a semantic version.
	From, To             string
	Downgrade, Unordered bool
}

// Decide says what to do before applying in. KFP decides when its version changes; otherwise a change of MLMD's
// or Katib's version does, since each migrates its own schema. A downgrade of KFP or MLMD is refused: both fail on
// a schema newer than they know (kubeflow/pipelines#3636; MLMD's server refuses a database schema_version above
// its own). Katib's one table has kept its DDL since v0.15 (katib#183 asks for migrations), so its downgrade is
// only a change. A version that cannot be ordered counts as a change, never as a downgrade: kfaws protects the
// data and lets the apply go on.
func Decide(in Input) Decision {
	running := in.Running
	if running == "" && in.HeldData {
		running = Unknown
	}
	kfp := decide(KFP, Versions{running, in.Target}, in, true)
	if kfp.Action == Refuse {
		return kfp
	}
	mlmd := decide(MLMD, in.MLMD, in, true)
	if mlmd.Action == Refuse || kfp.Action == Proceed && mlmd.Action != Proceed {
		return mlmd
	}
	if kfp.Action != Proceed {
		return kfp
	}
	if katib := decide(Katib, in.Katib, in, false); katib.Action != Proceed {
		return katib
	}
	return kfp
}

func decide(component string, v Versions, in Input, refuseDowngrade bool) Decision {
	d := Decision{Component: component, From: v.Running, To: v.Target}
	if v.Running == "" || v.Target == "" || v.Running == v.Target {
		return d
	}
	switch c, err := detect.CompareKFP(v.Target, v.Running); {
	case err != nil:
		d.Unordered = true
	case c == 0:
		return d // the same version spelled differently (v2.5.0, 2.5.0+build)
	case c < 0:
		d.Downgrade = true
		if refuseDowngrade && !in.AllowDowngrade {
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
	// Component is KFP or MLMD.
	Component string
	From, To  string
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
	if e.Component == MLMD {
		msg = fmt.Sprintf("the manifests pin MLMD's metadata server %s, older than %s running on the cluster (the image of "+
			"Deployment metadata-grpc-deployment); %s has moved the metadata database's schema (MLMDEnv.schema_version) "+
			"past what %s knows, and MLMD refuses to start on a newer schema, so nothing was changed", e.To, e.From, e.From, e.To)
	}
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
