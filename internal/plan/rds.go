package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
)

// Family returns the DB parameter group family for a MySQL engine version ("8.4.3" -> "mysql8.4").
func Family(engineVersion string) string {
	parts := strings.SplitN(engineVersion, ".", 3)
	if len(parts) < 2 {
		return "mysql" + engineVersion
	}
	return "mysql" + parts[0] + "." + parts[1]
}

// Parameters returns what kfaws's parameter group sets: users (the master included) on mysql_native_password
// because KFP's metadata server forces that plugin, utf8mb4 so every component's tables get it, and no forced TLS
// because Katib's MySQL client cannot use TLS.
func Parameters(engineVersion string) map[string]string {
	p := map[string]string{
		"character_set_server":     "utf8mb4",
		"require_secure_transport": "0",
	}
	if Family(engineVersion) == "mysql8.0" {
		p["default_authentication_plugin"] = "mysql_native_password"
	} else {
		p["authentication_policy"] = "*:mysql_native_password"
	}
	return p
}

func (b *builder) rds() error {
	if err := b.subnetGroup(); err != nil {
		return err
	}
	b.parameterGroup()
	b.securityGroup()
	b.instanceAndSecret()
	b.componentUsers()
	return nil
}

// instanceAndSecret applies the reference's two rules and kfaws's resume rule to the DB instance and its secret.
func (b *builder) instanceAndSecret() {
	c, in, sec := b.cfg, b.snap.Instance, b.snap.RDSSecret
	ir := Resource{Key: KeyInstance, Kind: "DB instance", Name: c.RDS.InstanceName, Field: "rds.instanceName", ARN: in.ARN}
	sr := Resource{Key: KeyRDSSecret, Kind: "secret", Name: c.RDS.SecretName, Field: "rds.secretName", ARN: sec.ARN}
	secretOwned := b.owned(KeyRDSSecret, c.RDS.SecretName, sec.Presence)
	restored := b.restoreSecret(KeyRDSSecret, c.RDS.SecretName, sec)
	sec.Deleted = sec.Deleted && !restored
	_, instanceOwned := b.existingInstance()
	deps := []string{KeySubnetGroup, KeyParameterGroup, KeySecurityGroup, KeyRDSSecret, KeyKMSKey}
	switch {
	case sec.Deleted:
		sr.Action, sr.Detail = Conflict, "secret is scheduled for deletion; restore it (aws secretsmanager restore-secret) or choose another rds.secretName"
		ir.Action = existsOrCreate(in.Exists)
	case b.foreign(in.Presence) || b.foreign(sec.Presence):
		ir.Action, sr.Action = existsOrCreate(in.Exists), existsOrCreate(sec.Exists)
		if b.foreign(in.Presence) {
			belongsToAnother(&ir, in.Installation, "instance")
		}
		if b.foreign(sec.Presence) {
			belongsToAnother(&sr, sec.Installation, "secret")
		}
	case !in.Exists && b.renamedInstance(&ir):
		sr.Action = existsOrCreate(sec.Exists)
	case b.badSnapshot(&ir):
		sr.Action = existsOrCreate(sec.Exists)
	case !in.Exists && sec.Exists && !secretOwned:
		sr.Action = Conflict
		sr.Detail = "secret exists but DB instance " + c.RDS.InstanceName + " does not: it may hold another installation's credentials " +
			"and kfaws will not overwrite it; delete it or choose another rds.secretName"
		ir.Action, ir.Detail = Create, "blocked by the secret conflict"
	case !in.Exists:
		sr.Owned, ir.Owned = true, true
		if sec.Exists {
			sr.Action, sr.Detail = Exists, "created by an interrupted run; its password is reused"
			b.p.ReuseSecretPassword = !b.givenPassword(&sr, true, false)
		} else {
			sr.Action, sr.Detail = Create, "master credentials; endpoint added once the instance is available"
			sr.Detail += b.secretEncryption()
			b.step(KeyRDSSecret, "create", b.rdsSecretParams(),
				fmt.Sprintf("generate the master password into secret %q", c.RDS.SecretName), KeyKMSKey)
		}
		if b.restoring() {
			b.restoreInstance(&ir, deps...)
		} else {
			ir.Action, ir.Detail = Create, b.instanceDetail()
			b.step(KeyInstance, "create", b.instanceParams(), fmt.Sprintf("create DB instance %q (MySQL %s, %s)", c.RDS.InstanceName, c.RDS.EngineVersion, c.RDS.InstanceClass), deps...)
		}
		b.waitAndRecord(in.Status, b.restoring())
	case noNativePassword(in):
		ir.Action, sr.Action = Conflict, existsOrCreate(sec.Exists)
		ir.Detail = fmt.Sprintf("instance runs MySQL %s, which has no mysql_native_password, the only plugin KFP's metadata "+
			"server (MLMD) logs in with (kubeflow/pipelines#9549); choose an instance on MySQL 8.4 or 8.0 "+
			"(another rds.instanceName)", in.Settings.EngineVersion)
	case !sec.Exists && c.RDS.MasterPassword == "":
		ir.Action = Conflict
		ir.Detail = "instance exists but secret " + c.RDS.SecretName + " does not, and its master password cannot be recovered; " +
			"set " + config.EnvDBMasterPassword + " to record it, or choose another rds.instanceName"
		if old := b.kept(KeyRDSSecret); len(old) > 0 && instanceOwned {
			ir.Detail = fmt.Sprintf("the master password of the instance is in secret %q, which kfaws created under the old "+
				"rds.secretName: set rds.secretName back to %q, or set %s to record the password under the new name",
				old[0].ID, old[0].ID, config.EnvDBMasterPassword)
		}
		sr.Action = Create
	case !sec.Exists:
		ir.Action, ir.Owned = Exists, instanceOwned
		sr.Action, sr.Owned, sr.Detail = Create, true, "from "+config.EnvDBMasterPassword+" and the existing instance, once the password logs in to it"
		b.testGivenPassword()
		b.step(KeyRDSSecret, "create", b.rdsSecretParams(),
			fmt.Sprintf("record the master password given in %s, which logged in to DB instance %q, in secret %q",
				config.EnvDBMasterPassword, c.RDS.InstanceName, c.RDS.SecretName), KeyKMSKey)
		b.instanceSettings(&ir)
		b.waitAndRecord(in.Status, b.passwordPending(instanceOwned))
	default:
		ir.Action, ir.Owned, sr.Action, sr.Owned = Exists, instanceOwned, Exists, secretOwned
		if !instanceOwned {
			ir.Detail = "not created by kfaws: used as is, never changed or deleted"
			b.useAdopted(&ir, in.Presence)
		}
		if !secretOwned {
			b.useAdopted(&sr, sec.Presence)
		}
		if bad := unusableStatus(in.Status); bad {
			ir.Action, ir.Detail = Conflict, "instance is "+in.Status+"; fix it in the RDS console, then run again"
			break
		}
		b.instanceSettings(&ir)
		stored := b.givenPassword(&sr, secretOwned, true)
		pending := b.passwordPending(instanceOwned)
		if secretOwned && (in.Status != "available" || !b.snap.RDSSecret.Complete || pending) {
			sr.Action, sr.Detail = Update, joinDetail(sr.Detail, stored, "add the instance endpoint")
			b.waitAndRecord(in.Status, pending)
		}
	}
	if restored && sr.Action == Exists {
		sr.Action, sr.Detail = Update, "restored from the deletion kfaws down scheduled; its password is reused"
	}
	if sec.Exists {
		b.secretKey(&sr, sec, secretOwned)
	}
	b.instanceKey(&ir)
	b.ignoredSnapshot()
	b.add(sr)
	b.add(ir)
}

// restoreSecret plans the restore of a secret this installation created that an earlier kfaws down scheduled for
// deletion, and reports whether it did; one kfaws did not create stays a conflict.
func (b *builder) restoreSecret(key, name string, s observe.Secret) bool {
	if !s.Deleted || !b.owned(key, name, s.Presence) {
		return false
	}
	b.step(key, "restore", RestoreSecret{Name: name}, fmt.Sprintf("restore secret %q, which kfaws down scheduled for deletion", name))
	return true
}

// renamedInstance refuses a new instance name while the instance kfaws created under the old one exists: it
// holds Kubeflow's databases, and kfaws neither moves them nor starts over empty beside them.
func (b *builder) renamedInstance(ir *Resource) bool {
	old := b.kept(KeyInstance)
	if len(old) == 0 {
		return false
	}
	for _, f := range old {
		f.refused = true
	}
	ir.Action = Conflict
	ir.Detail = fmt.Sprintf("DB instance %q, which kfaws created under the old rds.instanceName, holds Kubeflow's databases; kfaws "+
		"does not create a second, empty instance beside it, nor move the data: set rds.instanceName back to %q", old[0].ID, old[0].ID)
	return true
}

// waitAndRecord adds the steps that wait for the instance and write its endpoint into the secret; before that,
// when setPassword, the step that gives a restored instance the secret's master password.
func (b *builder) waitAndRecord(status string, setPassword bool) {
	c := b.cfg
	if status != "available" {
		b.step(KeyInstance, "wait", WaitInstance{Identifier: c.RDS.InstanceName}, fmt.Sprintf("wait for DB instance %q to become available", c.RDS.InstanceName), KeyInstance)
	}
	if setPassword {
		b.setMasterPassword()
	}
	b.step(KeyRDSSecret, "endpoint", RecordEndpoint{SecretName: c.RDS.SecretName, Instance: c.RDS.InstanceName}, fmt.Sprintf("record the endpoint of %q in secret %q", c.RDS.InstanceName, c.RDS.SecretName), KeyInstance, KeyRDSSecret)
}

// joinDetail adds more to a detail that an update already set (set), or replaces it.
func joinDetail(detail string, set bool, more string) string {
	if set {
		return detail + "; " + more
	}
	return more
}

// existsOrCreate is the action shown for the other half of a blocked instance/secret pair.
func existsOrCreate(exists bool) Action {
	if exists {
		return Exists
	}
	return Create
}

func (b *builder) instanceDetail() string {
	r := b.cfg.RDS
	enc := "encrypted"
	if b.key != "" {
		enc = "encrypted with KMS key " + b.keyName
	}
	return fmt.Sprintf("MySQL %s, %s, %d GiB %s (autoscaling to %d), multi-AZ %t, %s, private, deletion protection %t, backups %d days",
		r.EngineVersion, r.InstanceClass, r.AllocatedStorage, r.StorageType, config.Value(r.MaxAllocatedStorage),
		config.Value(r.MultiAZ), enc, config.Value(r.DeletionProtection), config.Value(r.BackupRetentionPeriod))
}

// unusableStatus reports RDS statuses from which kfaws cannot continue on its own.
// noNativePassword reports whether an existing MySQL instance runs, or will after a pending upgrade, MySQL 9 or
// later, which removed mysql_native_password. MariaDB numbers its versions 10 and 11 and keeps the plugin.
func noNativePassword(in observe.Instance) bool {
	if !in.Exists || in.Engine != "" && in.Engine != "mysql" {
		return false
	}
	major, _, _ := strings.Cut(in.Settings.EngineVersion, ".")
	n, err := strconv.Atoi(major)
	return err == nil && n >= 9
}

func unusableStatus(status string) bool {
	switch status {
	case "failed", "deleting", "incompatible-parameters", "incompatible-network", "incompatible-restore",
		"incompatible-option-group", "inaccessible-encryption-credentials", "restore-error", "storage-full", "stopped", "stopping":
		return true
	}
	return false
}

// rdsSecretParams write the configured master password, or a generated one when none is configured.
func (b *builder) rdsSecretParams() CreateRDSSecret {
	r := b.cfg.RDS
	user := r.MasterUsername
	if s := b.snap.SourceSnapshot; b.restoring() && s.MasterUsername != "" {
		user = s.MasterUsername // a restored instance keeps the snapshot's master user
	}
	return CreateRDSSecret{Name: r.SecretName, Username: user, Database: r.DatabaseName, Generate: r.MasterPassword == "", KMSKey: b.key}
}

// instanceParams are the instance's settings from the configuration and the security group it joins: the one
// brought by id, the observed one, or ("") the one this run creates.
func (b *builder) instanceParams() CreateInstance {
	r := b.cfg.RDS
	sg := r.SecurityGroupID
	if sg == "" {
		sg = b.snap.SecurityGroup.ID
	}
	return CreateInstance{
		Identifier: r.InstanceName, Class: r.InstanceClass, EngineVersion: r.EngineVersion, Database: r.DatabaseName,
		MasterUsername: r.MasterUsername, AllocatedStorage: r.AllocatedStorage, MaxAllocatedStorage: config.Value(r.MaxAllocatedStorage),
		StorageType: r.StorageType, BackupRetentionPeriod: r.BackupRetentionPeriod, MultiAZ: r.MultiAZ,
		DeletionProtection: r.DeletionProtection, SubnetGroup: r.SubnetGroupName, ParameterGroup: r.ParameterGroupName,
		SecurityGroupID: sg, SecretName: r.SecretName, KMSKey: b.key,
	}
}
