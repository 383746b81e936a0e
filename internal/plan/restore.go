package plan

import (
	"fmt"

	"github.com/kfaws/kfaws/internal/config"
)

// restoring reports whether up creates the instance from a DB snapshot (kfaws up --from-snapshot): the instance
// does not exist and a snapshot was asked for.
func (b *builder) restoring() bool {
	return !b.snap.Instance.Exists && b.snap.SourceSnapshot.Name != ""
}

// passwordPending reports whether the instance's master password must be set to the RDS secret's before its
// endpoint is recorded: up restores it now, or an interrupted run restored it and did not get that far.
func (b *builder) passwordPending(instanceOwned bool) bool {
	return b.restoring() || (b.snap.Instance.Exists && instanceOwned && b.recorded.Outputs.RestoringFrom != "")
}

// badSnapshot makes the instance a conflict when the snapshot to restore it from cannot give it: missing, not
// available, not MySQL, or of another major version than rds.engineVersion (a restore keeps the snapshot's
// engine version, and kfaws does not change the major one).
func (b *builder) badSnapshot(ir *Resource) bool {
	s, want := b.snap.SourceSnapshot, b.cfg.RDS.EngineVersion
	if !b.restoring() {
		return false
	}
	detail := ""
	switch {
	case !s.Exists:
		detail = fmt.Sprintf("DB snapshot %q (--from-snapshot) does not exist in %s; list them with aws rds describe-db-snapshots "+
			"--db-instance-identifier %s", s.Name, b.cfg.Region, b.cfg.RDS.InstanceName)
	case s.Status != "available":
		detail = fmt.Sprintf("DB snapshot %q (--from-snapshot) is %s; run kfaws up again once it is available", s.Name, s.Status)
	case s.Engine != "mysql":
		detail = fmt.Sprintf("DB snapshot %q (--from-snapshot) is of engine %s; kfaws restores RDS for MySQL snapshots only", s.Name, s.Engine)
	case Family(s.EngineVersion) != Family(want):
		detail = fmt.Sprintf("DB snapshot %q (--from-snapshot) holds MySQL %s and rds.engineVersion is %s; a restore keeps the "+
			"snapshot's major version: set rds.engineVersion to %s (upgrade the instance afterwards yourself)",
			s.Name, s.EngineVersion, want, majorMinor(s.EngineVersion))
	default:
		return false
	}
	ir.Action, ir.Detail = Conflict, detail
	return true
}

// restoreInstance plans the instance's creation from the snapshot in place of CreateInstance; waitAndRecord then
// sets its master password.
func (b *builder) restoreInstance(ir *Resource, deps ...string) {
	c, s := b.cfg.RDS, b.snap.SourceSnapshot
	ir.Action = Create
	ir.Detail = fmt.Sprintf("restored from DB snapshot %q with its master user %s, then given the secret's master password; %s",
		s.Name, s.MasterUsername, b.instanceDetail())
	if s.MasterUsername != c.MasterUsername {
		b.warn("DB snapshot %q has master user %q, not rds.masterUsername %q: the restored instance keeps %q, and secret %q records it",
			s.Name, s.MasterUsername, c.MasterUsername, s.MasterUsername, c.SecretName)
	}
	var storage *int32
	if c.AllocatedStorage >= s.AllocatedStorage {
		storage = &c.AllocatedStorage
	} else {
		b.warn("DB snapshot %q has %d GiB and rds.allocatedStorage is %d: the restored instance keeps %d GiB (RDS storage only grows)",
			s.Name, s.AllocatedStorage, c.AllocatedStorage, s.AllocatedStorage)
	}
	create := b.instanceParams()
	p := RestoreInstance{
		Identifier: c.InstanceName, Snapshot: s.Name, Class: c.InstanceClass, AllocatedStorage: storage,
		StorageType: c.StorageType, BackupRetentionPeriod: c.BackupRetentionPeriod, MultiAZ: c.MultiAZ,
		DeletionProtection: c.DeletionProtection, SubnetGroup: c.SubnetGroupName, ParameterGroup: c.ParameterGroupName,
		SecurityGroupID: create.SecurityGroupID,
	}
	b.step(KeyInstance, "create", p, fmt.Sprintf("restore DB instance %q from DB snapshot %q (MySQL %s, %s)",
		c.InstanceName, s.Name, s.EngineVersion, c.InstanceClass), deps...)
}

// setMasterPassword adds the step that makes the restored instance's master password the secret's.
func (b *builder) setMasterPassword() {
	c := b.cfg.RDS
	snapshot := b.snap.SourceSnapshot.Name
	if !b.restoring() {
		snapshot = b.recorded.Outputs.RestoringFrom
	}
	var ceiling *int32
	if v := config.Value(c.MaxAllocatedStorage); v > 0 {
		ceiling = &v
	}
	b.step(KeyInstance, "password", SetMasterPassword{Identifier: c.InstanceName, SecretName: c.SecretName, Snapshot: snapshot, MaxAllocatedStorage: ceiling},
		fmt.Sprintf("set the master password of DB instance %q, restored from DB snapshot %q, to the one in secret %q", c.InstanceName, snapshot, c.SecretName),
		KeyInstance, KeyRDSSecret)
}

// ignoredSnapshot warns that --from-snapshot does nothing to an instance that exists, unless that instance is
// the one an interrupted run restored from it.
func (b *builder) ignoredSnapshot() {
	name := b.snap.SourceSnapshot.Name
	if name == "" || !b.snap.Instance.Exists || b.recorded.Outputs.RestoringFrom == name {
		return
	}
	b.warn("DB instance %q exists: --from-snapshot %q is ignored, since kfaws restores a snapshot only into an instance it creates "+
		"(to restore, run kfaws down, then kfaws up --from-snapshot)", b.cfg.RDS.InstanceName, name)
}
