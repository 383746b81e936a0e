package plan

import (
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan/plantest"
	"github.com/kfaws/kfaws/internal/state"
)

func TestInstanceDrift(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(*config.Config, *observe.Instance)
		action  Action
		detail  string
		warning string
		check   func(*testing.T, ModifyInstance)
	}{
		{name: "in line with the configuration", mutate: func(c *config.Config, in *observe.Instance) {}, action: Exists},
		{name: "every setting differs", mutate: func(c *config.Config, in *observe.Instance) {
			in.Settings = observe.InstanceSettings{Class: "db.t3.micro", EngineVersion: "8.4.3", AllocatedStorage: 20,
				MaxAllocatedStorage: 0, BackupRetention: 1}
			c.RDS.EngineVersion = "8.4.6"
		}, action: Update, detail: "instance class db.t3.micro → db.m5.large; engine version 8.4.3 → 8.4.6; storage 20 → 50 GiB; " +
			"storage autoscaling ceiling none → 1000 GiB; backups 1 → 7 days; multi-AZ false → true; deletion protection false → true; " +
			"at the next maintenance window unless kfaws up --apply-immediately",
			check: func(t *testing.T, m ModifyInstance) {
				if m.Class != "db.m5.large" || m.EngineVersion != "8.4.6" || *m.AllocatedStorage != 50 || *m.MaxAllocatedStorage != 1000 ||
					*m.BackupRetentionPeriod != 7 || !*m.MultiAZ || !*m.DeletionProtection {
					t.Errorf("modify %+v", m)
				}
			}},
		{name: "only the class", mutate: func(c *config.Config, in *observe.Instance) { c.RDS.InstanceClass = "db.r6g.large" },
			action: Update, check: func(t *testing.T, m ModifyInstance) {
				if m.Class != "db.r6g.large" || m.AllocatedStorage != nil || m.MultiAZ != nil || m.EngineVersion != "" {
					t.Errorf("modify %+v", m)
				}
			}},
		{name: "storage smaller than the instance's, without autoscaling", mutate: func(c *config.Config, in *observe.Instance) {
			in.Settings.AllocatedStorage, in.Settings.MaxAllocatedStorage = 100, 0
			c.RDS.MaxAllocatedStorage = new(int32)
		}, action: Exists, warning: "RDS storage only grows"},
		{name: "storage grown by autoscaling", mutate: func(c *config.Config, in *observe.Instance) {
			in.Settings.AllocatedStorage = 120
		}, action: Exists},
		{name: "autoscaling turned off", mutate: func(c *config.Config, in *observe.Instance) {
			c.RDS.MaxAllocatedStorage = new(int32)
		}, action: Update, detail: "storage autoscaling ceiling 1000 GiB → none", check: func(t *testing.T, m ModifyInstance) {
			if *m.MaxAllocatedStorage != 50 {
				t.Errorf("turning autoscaling off sets the ceiling to the allocated storage, got %d", *m.MaxAllocatedStorage)
			}
		}},
		{name: "major version change refused", mutate: func(c *config.Config, in *observe.Instance) {
			in.Settings.EngineVersion, c.RDS.EngineVersion = "8.0.39", "8.4"
		}, action: Conflict, detail: "does not change the engine's major version"},
		{name: "minor newer than the configuration", mutate: func(c *config.Config, in *observe.Instance) {
			c.RDS.EngineVersion = "8.4.2"
		}, action: Exists, warning: "RDS cannot downgrade"},
		{name: "change pending for the maintenance window", mutate: func(c *config.Config, in *observe.Instance) {
			in.Pending = []string{"instance class db.m5.large"}
		}, action: Exists, detail: "pending until the next maintenance window: instance class db.m5.large"},
		{name: "not available yet", mutate: func(c *config.Config, in *observe.Instance) {
			in.Status, in.Settings.Class = "backing-up", "db.t3.micro"
		}, action: Exists},
		{name: "MySQL 9 has no plugin for MLMD", mutate: func(c *config.Config, in *observe.Instance) {
			in.Engine, in.Settings.EngineVersion = "mysql", "9.1.0"
		}, action: Conflict, detail: "instance runs MySQL 9.1.0, which has no mysql_native_password"},
		{name: "an upgrade to MySQL 9 pending", mutate: func(c *config.Config, in *observe.Instance) {
			in.Presence, in.Settings.EngineVersion = untagged, "9.4.0"
		}, action: Conflict, detail: "MySQL 8.4 or 8.0"},
		{name: "MariaDB 11 keeps the plugin", mutate: func(c *config.Config, in *observe.Instance) {
			in.Presence, in.Engine, in.Settings.EngineVersion = untagged, "mariadb", "11.4.5"
		}, action: Exists, detail: "not created by kfaws"},
		{name: "user's instance is never modified", mutate: func(c *config.Config, in *observe.Instance) {
			in.Presence, in.Settings.Class = untagged, "db.t3.micro"
		}, action: Exists, detail: "not created by kfaws"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := plantest.Config("us-west-2", func(c *config.Config) { c.Option = config.OptionRDSOnly })
			s := plantest.DriftedInstance("aws", "us-west-2")
			s.Instance.Settings = settingsOf(c)
			tc.mutate(c, &s.Instance)
			p, err := Build(c, s, state.State{})
			if err != nil {
				t.Fatal(err)
			}
			r, _ := p.Resource(KeyInstance)
			if r.Action != tc.action || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("instance: %s %q, want %s with %q", r.Action, r.Detail, tc.action, tc.detail)
			}
			if tc.warning != "" && !strings.Contains(strings.Join(p.Warnings, "\n"), tc.warning) {
				t.Errorf("warnings %q lack %q", p.Warnings, tc.warning)
			}
			var modify *ModifyInstance
			for _, st := range p.Steps {
				if m, ok := st.Params.(ModifyInstance); ok {
					modify = &m
				}
			}
			if (modify != nil) != (tc.action == Update) {
				t.Fatalf("modify step %+v for action %s", modify, r.Action)
			}
			if tc.check != nil {
				tc.check(t, *modify)
			}
		})
	}
}
