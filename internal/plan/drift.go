package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
)

// instanceSettings plans bringing the settings of an available instance kfaws created back to the configuration:
// class, storage, backups, Multi-AZ, deletion protection and the engine's minor version. RDS applies them at the
// next maintenance window unless `kfaws up --apply-immediately`. Storage only grows, and the engine's major
// version is never changed (that upgrade is one-way and the user's to make).
func (b *builder) instanceSettings(ir *Resource) {
	in := b.snap.Instance
	if !ir.Owned || in.Status != "available" {
		return
	}
	m, changes, conflict := b.settingsDrift(in)
	switch {
	case conflict != "":
		ir.Action, ir.Detail = Conflict, conflict
	case len(changes) > 0:
		ir.Action = Update
		ir.Detail = strings.Join(changes, "; ") + "; at the next maintenance window unless kfaws up --apply-immediately"
		b.step(KeyInstance, "modify", m, fmt.Sprintf("modify DB instance %q: %s", m.Identifier, strings.Join(changes, "; ")), KeyInstance)
	case len(in.Pending) > 0:
		ir.Detail = "pending until the next maintenance window: " + strings.Join(in.Pending, ", ")
	}
}

// settingsDrift compares the instance's settings (pending modifications included) with the configuration.
func (b *builder) settingsDrift(in observe.Instance) (m ModifyInstance, changes []string, conflict string) {
	r, have := b.cfg.RDS, in.Settings
	m.Identifier = r.InstanceName
	if have.Class != r.InstanceClass {
		m.Class = r.InstanceClass
		changes = append(changes, fmt.Sprintf("instance class %s → %s", have.Class, r.InstanceClass))
	}
	switch engine := b.engineChange(have.EngineVersion); {
	case engine == "":
	case strings.HasPrefix(engine, "refuse:"):
		return m, nil, strings.TrimPrefix(engine, "refuse:")
	default:
		m.EngineVersion = engine
		changes = append(changes, fmt.Sprintf("engine version %s → %s", have.EngineVersion, engine))
	}
	maxStorage := config.Value(r.MaxAllocatedStorage)
	autoscaling := have.MaxAllocatedStorage > have.AllocatedStorage
	switch {
	case r.AllocatedStorage > have.AllocatedStorage:
		m.AllocatedStorage = &r.AllocatedStorage
		changes = append(changes, fmt.Sprintf("storage %d → %d GiB", have.AllocatedStorage, r.AllocatedStorage))
	case r.AllocatedStorage < have.AllocatedStorage && !autoscaling:
		// With autoscaling, RDS growing the storage beyond the configuration is expected.
		b.warn("rds.allocatedStorage is %d GiB, and DB instance %q has %d GiB: RDS storage only grows; set rds.allocatedStorage to %d or more",
			r.AllocatedStorage, r.InstanceName, have.AllocatedStorage, have.AllocatedStorage)
	}
	if maxStorage != have.MaxAllocatedStorage && (maxStorage != 0 || autoscaling) {
		v := maxStorage
		if v == 0 {
			// RDS turns storage autoscaling off when the ceiling equals the allocated storage.
			v = max(have.AllocatedStorage, r.AllocatedStorage)
		}
		m.MaxAllocatedStorage = &v
		changes = append(changes, fmt.Sprintf("storage autoscaling ceiling %s → %s", ceiling(have.MaxAllocatedStorage, have.AllocatedStorage), ceiling(maxStorage, 0)))
	}
	if want := config.Value(r.BackupRetentionPeriod); want != have.BackupRetention {
		m.BackupRetentionPeriod = &want
		changes = append(changes, fmt.Sprintf("backups %d → %d days", have.BackupRetention, want))
	}
	if want := config.Value(r.MultiAZ); want != have.MultiAZ {
		m.MultiAZ = &want
		changes = append(changes, fmt.Sprintf("multi-AZ %t → %t", have.MultiAZ, want))
	}
	if want := config.Value(r.DeletionProtection); want != have.DeletionProtection {
		m.DeletionProtection = &want
		changes = append(changes, fmt.Sprintf("deletion protection %t → %t", have.DeletionProtection, want))
	}
	return m, changes, ""
}

func ceiling(maxStorage, allocated int32) string {
	if maxStorage == 0 || maxStorage == allocated {
		return "none"
	}
	return fmt.Sprintf("%d GiB", maxStorage)
}

// engineChange is the version to move the instance to ("" for none) or, after "refuse:", why kfaws will not.
// A configuration without a minor version accepts any minor of its major; RDS upgrades minors itself, so an
// instance ahead of the configuration gets a warning, not a downgrade (RDS has none).
func (b *builder) engineChange(have string) string {
	r := b.cfg.RDS
	want := r.EngineVersion
	if have == "" {
		return ""
	}
	if Family(have) != Family(want) {
		return fmt.Sprintf("refuse:DB instance runs MySQL %s and rds.engineVersion is %s; kfaws does not change the engine's major "+
			"version (the upgrade is one-way; test it, then run aws rds modify-db-instance --engine-version ... "+
			"--allow-major-version-upgrade yourself), or set rds.engineVersion to %s", have, want, majorMinor(have))
	}
	if strings.Count(want, ".") < 2 || want == have {
		return ""
	}
	if versionLess(want, have) {
		b.warn("DB instance %q runs MySQL %s, newer than rds.engineVersion %s (RDS upgrades minor versions), and RDS cannot "+
			"downgrade; set rds.engineVersion to %s or %s", r.InstanceName, have, want, have, majorMinor(have))
		return ""
	}
	return want
}

func majorMinor(v string) string { return strings.TrimPrefix(Family(v), "mysql") }

// versionLess compares dotted numeric versions.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}
