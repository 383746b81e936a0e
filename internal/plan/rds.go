package plan

import (
	"fmt"
	"sort"
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
	return nil
}

func (b *builder) subnetGroup() error {
	c, g := b.cfg, b.snap.SubnetGroup
	r := Resource{Key: KeySubnetGroup, Kind: "DB subnet group", Name: c.RDS.SubnetGroupName}
	switch {
	case g.Exists && g.VPCID != b.snap.Cluster.VPCID:
		r.Action, r.Detail = Conflict, fmt.Sprintf("subnet group is in VPC %s, the cluster in %s; choose another rds.subnetGroupName", g.VPCID, b.snap.Cluster.VPCID)
	case g.Exists:
		r.Action, r.Owned, r.Detail = Exists, b.owned(g.Presence, KeySubnetGroup), "subnets "+strings.Join(g.Subnets, ", ")
	default:
		subnets, zones := privateSubnets(b.snap.Cluster.Subnets)
		if len(zones) < 2 {
			return &PreflightError{fmt.Sprintf("RDS needs private subnets in at least two availability zones, and EKS cluster %q has "+
				"%d (%s) among its subnets; a subnet is private when its route table has no route to an internet gateway. "+
				"Add private subnets to the cluster, or create DB subnet group %q yourself and run again",
				b.snap.Cluster.Name, len(zones), strings.Join(zones, ", "), c.RDS.SubnetGroupName)}
		}
		b.p.DBSubnets = subnets
		r.Action, r.Owned = Create, true
		r.Detail = fmt.Sprintf("private subnets %s in %s", strings.Join(subnets, ", "), strings.Join(zones, ", "))
		params := CreateSubnetGroup{Name: c.RDS.SubnetGroupName, Subnets: subnets, Cluster: b.snap.Cluster.Name}
		b.step(KeySubnetGroup, "create", params, fmt.Sprintf("create DB subnet group %q from %d private subnets", c.RDS.SubnetGroupName, len(subnets)))
	}
	b.add(r)
	return nil
}

// privateSubnets returns the ids of the private subnets and the sorted zones they cover.
func privateSubnets(all []observe.Subnet) (ids, zones []string) {
	seen := map[string]bool{}
	for _, s := range all {
		if !s.Private {
			continue
		}
		ids = append(ids, s.ID)
		if !seen[s.AZ] {
			seen[s.AZ] = true
			zones = append(zones, s.AZ)
		}
	}
	sort.Strings(zones)
	return ids, zones
}

func (b *builder) parameterGroup() {
	c, g := b.cfg, b.snap.ParameterGroup
	family := Family(c.RDS.EngineVersion)
	r := Resource{Key: KeyParameterGroup, Kind: "DB parameter group", Name: c.RDS.ParameterGroupName}
	missing := missingParameters(g.Parameters, Parameters(c.RDS.EngineVersion))
	switch {
	case !g.Exists:
		r.Action, r.Owned, r.Detail = Create, true, family+": "+formatParameters(Parameters(c.RDS.EngineVersion))
		params := CreateParameterGroup{Name: c.RDS.ParameterGroupName, Family: family, Parameters: Parameters(c.RDS.EngineVersion)}
		b.step(KeyParameterGroup, "create", params, fmt.Sprintf("create DB parameter group %q (%s, mysql_native_password, utf8mb4)", c.RDS.ParameterGroupName, family))
	case g.Family != family:
		r.Action, r.Detail = Conflict, fmt.Sprintf("group is for %s, engine %s needs %s; choose another rds.parameterGroupName", g.Family, c.RDS.EngineVersion, family)
	case len(missing) == 0:
		r.Action, r.Owned = Exists, b.owned(g.Presence, KeyParameterGroup)
	case b.owned(g.Presence, KeyParameterGroup):
		r.Action, r.Owned, r.Detail = Update, true, "set "+strings.Join(missing, ", ")
		params := SetParameters{Name: c.RDS.ParameterGroupName, Parameters: Parameters(c.RDS.EngineVersion)}
		b.step(KeyParameterGroup, "update", params, fmt.Sprintf("set %s in DB parameter group %q", strings.Join(missing, ", "), c.RDS.ParameterGroupName))
	default:
		r.Action = Conflict
		r.Detail = "group was not created by kfaws and lacks " + strings.Join(missing, ", ") +
			" (KFP's metadata server needs mysql_native_password); set them yourself or choose another rds.parameterGroupName"
	}
	b.add(r)
}

func missingParameters(have, want map[string]string) []string {
	var out []string
	for k, v := range want {
		if have[k] != v {
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

func formatParameters(p map[string]string) string {
	return strings.Join(missingParameters(nil, p), ", ")
}

func (b *builder) securityGroup() {
	c, g, cl := b.cfg, b.snap.SecurityGroup, b.snap.Cluster
	r := Resource{Key: KeySecurityGroup, Kind: "security group", Name: c.RDS.SecurityGroupName}
	if c.RDS.SecurityGroupID != "" {
		r.Name = c.RDS.SecurityGroupID
		switch {
		case !g.Exists:
			r.Action, r.Detail = Conflict, "security group not found; check rds.securityGroupID"
		case g.VPCID != "":
			r.Action, r.Detail = Conflict, fmt.Sprintf("security group is in VPC %s, the cluster in %s", g.VPCID, cl.VPCID)
		default:
			r.Action, r.Detail = Exists, "brought by you: kfaws does not change its rules"
		}
		b.add(r)
		return
	}
	b.p.DBIngress = []string{cl.SecurityGroupID}
	from := "cluster security group " + cl.SecurityGroupID
	if cl.SecurityGroupID == "" {
		b.p.DBIngress = cl.VPCCIDRs
		from = "VPC " + strings.Join(cl.VPCCIDRs, ", ")
		b.warn("EKS cluster %q reports no cluster security group; the DB security group admits MySQL from the whole VPC (%s). "+
			"Set rds.securityGroupID to use a narrower group", cl.Name, strings.Join(cl.VPCCIDRs, ", "))
	}
	missing := missingIngress(g.MySQLFrom, b.p.DBIngress)
	switch {
	case !g.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "MySQL (3306) from "+from
		params := CreateSecurityGroup{Name: c.RDS.SecurityGroupName, VPCID: cl.VPCID, Cluster: cl.Name, Ingress: b.p.DBIngress}
		b.step(KeySecurityGroup, "create", params, fmt.Sprintf("create security group %q admitting MySQL from %s", c.RDS.SecurityGroupName, from))
	case !b.owned(g.Presence, KeySecurityGroup):
		r.Action, r.Detail = Conflict, "a security group of this name exists in the VPC and was not created by kfaws; set rds.securityGroupID to use it"
	case len(missing) > 0:
		r.Action, r.Owned, r.Detail = Update, true, "admit MySQL from "+strings.Join(missing, ", ")
		b.step(KeySecurityGroup, "update", AdmitMySQL{GroupID: g.ID, Ingress: b.p.DBIngress}, fmt.Sprintf("admit MySQL from %s in security group %q", strings.Join(missing, ", "), c.RDS.SecurityGroupName))
	default:
		r.Action, r.Owned = Exists, true
	}
	b.add(r)
}

func missingIngress(have, want []string) []string {
	var out []string
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			out = append(out, w)
		}
	}
	return out
}

// instanceAndSecret applies the reference's two rules and kfaws's resume rule to the DB instance and its secret.
func (b *builder) instanceAndSecret() {
	c, in, sec := b.cfg, b.snap.Instance, b.snap.RDSSecret
	ir := Resource{Key: KeyInstance, Kind: "DB instance", Name: c.RDS.InstanceName}
	sr := Resource{Key: KeyRDSSecret, Kind: "secret", Name: c.RDS.SecretName}
	secretOwned := b.owned(sec.Presence, KeyRDSSecret)
	instanceOwned := b.owned(in.Presence, KeyInstance)
	deps := []string{KeySubnetGroup, KeyParameterGroup, KeySecurityGroup, KeyRDSSecret}
	switch {
	case sec.Deleted:
		sr.Action, sr.Detail = Conflict, "secret is scheduled for deletion; restore it (aws secretsmanager restore-secret) or choose another rds.secretName"
		ir.Action = existsOrCreate(in.Exists)
	case b.foreign(in.Presence):
		ir.Action, ir.Detail = Conflict, fmt.Sprintf("instance belongs to kfaws installation %q", in.Installation)
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
			b.p.ReuseSecretPassword = true
		} else {
			sr.Action, sr.Detail = Create, "master credentials; endpoint added once the instance is available"
			b.step(KeyRDSSecret, "create", b.rdsSecretParams(),
				fmt.Sprintf("generate the master password into secret %q", c.RDS.SecretName))
		}
		ir.Action, ir.Detail = Create, b.instanceDetail()
		b.step(KeyInstance, "create", b.instanceParams(), fmt.Sprintf("create DB instance %q (MySQL %s, %s)", c.RDS.InstanceName, c.RDS.EngineVersion, c.RDS.InstanceClass), deps...)
		b.waitAndRecord(in.Status)
	case !sec.Exists && c.RDS.MasterPassword == "":
		ir.Action = Conflict
		ir.Detail = "instance exists but secret " + c.RDS.SecretName + " does not, and its master password cannot be recovered; " +
			"set " + config.EnvDBMasterPassword + " to record it, or choose another rds.instanceName"
		sr.Action = Create
	case !sec.Exists:
		ir.Action, ir.Owned = Exists, instanceOwned
		sr.Action, sr.Owned, sr.Detail = Create, true, "from "+config.EnvDBMasterPassword+" and the existing instance"
		b.step(KeyRDSSecret, "create", b.rdsSecretParams(),
			fmt.Sprintf("record the given master password in secret %q", c.RDS.SecretName))
		b.waitAndRecord(in.Status)
	default:
		ir.Action, ir.Owned, sr.Action, sr.Owned = Exists, instanceOwned, Exists, secretOwned
		if !instanceOwned {
			ir.Detail = "not created by kfaws: used as is, never changed or deleted"
		}
		if bad := unusableStatus(in.Status); bad {
			ir.Action, ir.Detail = Conflict, "instance is "+in.Status+"; fix it in the RDS console, then run again"
		} else if secretOwned && (in.Status != "available" || !b.snap.RDSSecret.Complete) {
			sr.Action, sr.Detail = Update, "add the instance endpoint"
			b.waitAndRecord(in.Status)
		}
	}
	b.add(sr)
	b.add(ir)
}

// waitAndRecord adds the steps that wait for the instance and write its endpoint into the secret.
func (b *builder) waitAndRecord(status string) {
	c := b.cfg
	if status != "available" {
		b.step(KeyInstance, "wait", WaitInstance{Identifier: c.RDS.InstanceName}, fmt.Sprintf("wait for DB instance %q to become available", c.RDS.InstanceName), KeyInstance)
	}
	b.step(KeyRDSSecret, "endpoint", RecordEndpoint{SecretName: c.RDS.SecretName, Instance: c.RDS.InstanceName}, fmt.Sprintf("record the endpoint of %q in secret %q", c.RDS.InstanceName, c.RDS.SecretName), KeyInstance, KeyRDSSecret)
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
	return fmt.Sprintf("MySQL %s, %s, %d GiB %s (autoscaling to %d), multi-AZ %t, encrypted, private, deletion protection %t, backups %d days",
		r.EngineVersion, r.InstanceClass, r.AllocatedStorage, r.StorageType, config.Value(r.MaxAllocatedStorage),
		config.Value(r.MultiAZ), config.Value(r.DeletionProtection), config.Value(r.BackupRetentionPeriod))
}

// unusableStatus reports RDS statuses from which kfaws cannot continue on its own.
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
	return CreateRDSSecret{Name: r.SecretName, Username: r.MasterUsername, Database: r.DatabaseName, Generate: r.MasterPassword == ""}
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
		SecurityGroupID: sg, SecretName: r.SecretName,
	}
}
