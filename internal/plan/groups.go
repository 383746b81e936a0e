package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kfaws/kfaws/internal/observe"
)

// The DB subnet, parameter and security groups. While the instance does not exist they are the groups the
// configuration names, which kfaws creates or reuses for the instance it will create. Once it exists they are
// the groups it uses (observe reads those): kfaws does not move an instance it created to other groups, and
// for an instance it did not create it uses the instance's groups as they are and creates none.

// existingInstance says whether the instance exists and whether it is this installation's.
func (b *builder) existingInstance() (exists, ours bool) {
	in := b.snap.Instance
	return in.Exists, in.Exists && b.owned(KeyInstance, b.cfg.RDS.InstanceName, in.Presence)
}

// keepsGroup decides the line of a group the existing instance uses (name; configured when it is the one the
// configuration names) where the instance decides it, and reports whether it did. It does not when the normal
// rules apply: no instance yet, or kfaws's instance in the configured group.
func (b *builder) keepsGroup(r *Resource, name string, configured bool, g observe.Presence) bool {
	exists, ours := b.existingInstance()
	if !exists || (ours && (configured || name == "")) {
		return false
	}
	instance := b.cfg.RDS.InstanceName
	r.Name, r.ARN = name, g.ARN
	switch {
	case name == "":
		// The instance reports no such group: nothing to show, and nothing to create.
	case ours:
		// The group the instance uses is not orphaned by a new name: the rename is refused.
		for _, f := range b.kept(r.Key) {
			f.refused = f.refused || f.ID == name
		}
		r.Action = Conflict
		r.Detail = fmt.Sprintf("DB instance %q, which kfaws created, uses %s %q; kfaws does not move an instance to another "+
			"group: set %s back to %q", instance, r.Kind, name, r.Field, name)
	case b.foreign(g):
		belongsToAnother(r, g.Installation, r.Kind)
	default:
		r.Action, r.Owned = Exists, b.owned(r.Key, name, g)
		r.Detail = fmt.Sprintf("used by DB instance %q, which kfaws did not create: used as is", instance)
		if !r.Owned {
			b.useAdopted(r, g)
		}
	}
	if r.Action != "" {
		b.add(*r)
	}
	return true
}

func (b *builder) subnetGroup() error {
	c, g, in := b.cfg, b.snap.SubnetGroup, b.snap.Instance
	r := Resource{Key: KeySubnetGroup, Kind: "DB subnet group", Name: c.RDS.SubnetGroupName, Field: "rds.subnetGroupName", ARN: g.ARN}
	if b.keepsGroup(&r, in.SubnetGroup, in.SubnetGroup == c.RDS.SubnetGroupName, g.Presence) {
		if r.Action == Exists {
			b.warnPublic(g)
		}
		return nil
	}
	switch {
	case b.foreign(g.Presence):
		belongsToAnother(&r, g.Installation, "subnet group")
	case g.Exists && g.VPCID != b.snap.Cluster.VPCID:
		r.Action, r.Detail = Conflict, fmt.Sprintf("subnet group is in VPC %s, the cluster in %s; choose another rds.subnetGroupName", g.VPCID, b.snap.Cluster.VPCID)
	case g.Exists:
		r.Action, r.Owned, r.Detail = Exists, b.owned(KeySubnetGroup, g.Name, g.Presence), "subnets "+strings.Join(g.Subnets, ", ")
		if !r.Owned {
			b.useAdopted(&r, g.Presence)
			b.warnPublic(g)
		}
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

// warnPublic warns about a subnet group kfaws did not create that has public subnets. kfaws's instances are
// never publicly accessible, so this is a warning, not a refusal; kfaws's own groups hold private subnets only.
func (b *builder) warnPublic(g observe.SubnetGroup) {
	if len(g.Public) == 0 {
		return
	}
	b.warn("DB subnet group %q, which kfaws did not create, has public subnets (%s: their route tables route to an internet "+
		"gateway); a database belongs in private subnets only, as kfaws's own groups have. Remove them from the group, or "+
		"choose another rds.subnetGroupName", g.Name, strings.Join(g.Public, ", "))
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
	c, g, in := b.cfg, b.snap.ParameterGroup, b.snap.Instance
	family := Family(c.RDS.EngineVersion)
	r := Resource{Key: KeyParameterGroup, Kind: "DB parameter group", Name: c.RDS.ParameterGroupName, Field: "rds.parameterGroupName", ARN: g.ARN}
	used := ""
	if len(in.ParameterGroups) > 0 {
		used = in.ParameterGroups[0]
	}
	if b.keepsGroup(&r, used, used == c.RDS.ParameterGroupName, g.Presence) {
		if r.Action == Exists {
			b.warnNativePassword(g)
		}
		return
	}
	missing := missingParameters(g.Parameters, Parameters(c.RDS.EngineVersion))
	switch {
	case !g.Exists:
		r.Action, r.Owned, r.Detail = Create, true, family+": "+formatParameters(Parameters(c.RDS.EngineVersion))
		params := CreateParameterGroup{Name: c.RDS.ParameterGroupName, Family: family, Parameters: Parameters(c.RDS.EngineVersion)}
		b.step(KeyParameterGroup, "create", params, fmt.Sprintf("create DB parameter group %q (%s, mysql_native_password, utf8mb4)", c.RDS.ParameterGroupName, family))
	case b.foreign(g.Presence):
		belongsToAnother(&r, g.Installation, "parameter group")
	case g.Family != family:
		r.Action, r.Detail = Conflict, fmt.Sprintf("group is for %s, engine %s needs %s; choose another rds.parameterGroupName", g.Family, c.RDS.EngineVersion, family)
	case len(missing) == 0:
		r.Action, r.Owned = Exists, b.owned(KeyParameterGroup, g.Name, g.Presence)
	case b.owned(KeyParameterGroup, g.Name, g.Presence):
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

// warnNativePassword warns when the parameter group of an instance kfaws did not create leaves new users off
// mysql_native_password, which KFP's metadata server needs, and says how to fix it; kfaws changes neither.
func (b *builder) warnNativePassword(g observe.ParameterGroup) {
	in := b.snap.Instance
	want := Parameters(in.EngineVersion)
	name, value := "authentication_policy", want["authentication_policy"]
	if value == "" {
		name, value = "default_authentication_plugin", want["default_authentication_plugin"]
	}
	if !g.Exists || g.Parameters[name] == value {
		return
	}
	fix := fmt.Sprintf("aws rds modify-db-parameter-group --db-parameter-group-name %s --parameters "+
		"'ParameterName=%s,ParameterValue=%s,ApplyMethod=pending-reboot'", g.Name, name, value)
	if strings.HasPrefix(g.Name, "default.") {
		fix = fmt.Sprintf("a default group cannot be changed: create a parameter group of family %s with %s=%s, attach it "+
			"(aws rds modify-db-instance --db-instance-identifier %s --db-parameter-group-name GROUP)", g.Family, name, value, b.cfg.RDS.InstanceName)
	}
	b.warn("DB instance %q, which kfaws did not create, uses DB parameter group %q without %s=%s: KFP's metadata server "+
		"connects only with mysql_native_password. kfaws does not change the instance; fix it yourself: %s, reboot the "+
		"instance, and move existing users with ALTER USER ... IDENTIFIED WITH mysql_native_password",
		b.cfg.RDS.InstanceName, g.Name, name, value, fix)
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
	c, g, cl, in := b.cfg, b.snap.SecurityGroup, b.snap.Cluster, b.snap.Instance
	r := Resource{Key: KeySecurityGroup, Kind: "security group", Name: c.RDS.SecurityGroupName, Field: "rds.securityGroupName", ARN: g.ID}
	if c.RDS.SecurityGroupID != "" {
		r.Field = "rds.securityGroupID"
	}
	if c.RDS.SecurityGroupID == "" {
		b.p.DBIngress = []string{cl.SecurityGroupID}
		if cl.SecurityGroupID == "" {
			b.p.DBIngress = cl.VPCCIDRs
		}
	}
	// The instance's groups are compared by id when the configuration brings one, else by kfaws's group's name.
	configured, used := slices.Contains(in.SecurityGroups, c.RDS.SecurityGroupID), strings.Join(in.SecurityGroups, ", ")
	if c.RDS.SecurityGroupID == "" && len(in.SecurityGroups) <= 1 {
		configured, used = g.Name == c.RDS.SecurityGroupName, firstOf(g.Name, used)
	}
	if b.keepsGroup(&r, used, configured, g.Presence) {
		if r.Action == Exists {
			if missing := missingIngress(g.MySQLFrom, b.p.DBIngress); len(missing) > 0 {
				b.warn("the security groups of DB instance %q (%s), which kfaws did not create, do not admit MySQL (3306) from %s; "+
					"KFP and Katib cannot reach the database until they do", c.RDS.InstanceName, strings.Join(in.SecurityGroups, ", "),
					strings.Join(missing, ", "))
			}
		}
		return
	}
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
	from := "cluster security group " + cl.SecurityGroupID
	if cl.SecurityGroupID == "" {
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
	case b.foreign(g.Presence):
		belongsToAnother(&r, g.Installation, "security group")
	case !b.owned(KeySecurityGroup, c.RDS.SecurityGroupName, g.Presence):
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
		if !slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	return out
}
