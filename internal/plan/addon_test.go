package plan

import (
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

func TestCSIAddonDecisions(t *testing.T) {
	synced := `{"secrets-store-csi-driver":{"syncSecret":{"enabled":true}}}`
	cases := []struct {
		name     string
		mode     config.CSIDriver
		addon    observe.Addon
		recorded bool
		action   Action // "" means no resource
		owned    bool
		step     StepKind
		detail   string
	}{
		{name: "offered, absent", mode: config.CSIAuto, addon: observe.Addon{Offered: "v1"}, action: Create, owned: true,
			step: KindCreateAddon},
		{name: "not offered, auto", mode: config.CSIAuto, addon: observe.Addon{}},
		{name: "not offered, eks-addon", mode: config.CSIAddon, addon: observe.Addon{}, action: Conflict,
			detail: "EKS offers no version"},
		{name: "manifests", mode: config.CSIManifests, addon: observe.Addon{Offered: "v1"}},
		{name: "ours, synced", mode: config.CSIAuto, addon: observe.Addon{Presence: owned("prod"), SyncEnabled: true,
			Configuration: synced}, action: Exists, owned: true},
		{name: "ours by the state, untagged", mode: config.CSIAuto, addon: observe.Addon{Presence: untagged,
			SyncEnabled: true}, recorded: true, action: Exists, owned: true},
		{name: "ours, sync off", mode: config.CSIAuto, addon: observe.Addon{Presence: owned("prod")}, action: Update,
			owned: true, step: KindConfigureAddon},
		{name: "another installation's", mode: config.CSIAuto, addon: observe.Addon{Presence: owned("other"),
			SyncEnabled: true}, action: Conflict, detail: `installation "other"`},
		{name: "someone else's, synced", mode: config.CSIAuto, addon: observe.Addon{Presence: untagged,
			SyncEnabled: true}, action: Exists, detail: "used as is"},
		{name: "someone else's, sync off", mode: config.CSIAuto, addon: observe.Addon{Presence: untagged},
			action: Conflict, detail: "without secret syncing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.CSIDriver = c.mode
			s := freshSnapshot()
			s.CSIAddon = c.addon
			rec := state.State{}
			if c.recorded {
				rec.Resources = map[string]state.Resource{KeyCSIAddon: {ID: eksaddon.Name, Owned: true}}
			}
			p, err := Build(cfg, s, rec)
			if err != nil {
				t.Fatal(err)
			}
			r, ok := p.Resource(KeyCSIAddon)
			if c.action == "" {
				if ok {
					t.Fatalf("want no add-on resource, got %+v", r)
				}
				return
			}
			if !ok || r.Action != c.action || r.Owned != c.owned || !strings.Contains(r.Detail, c.detail) {
				t.Fatalf("got %+v, want %s owned=%v detail ~%q", r, c.action, c.owned, c.detail)
			}
			var kinds []StepKind
			for _, st := range p.Steps {
				if st.Resource == KeyCSIAddon {
					kinds = append(kinds, st.Kind())
				}
			}
			if (c.step == "" && len(kinds) != 0) || (c.step != "" && (len(kinds) != 1 || kinds[0] != c.step)) {
				t.Errorf("steps %v, want %q", kinds, c.step)
			}
		})
	}
	// Without a secret to sync the driver is not needed at all.
	cfg := testConfig()
	cfg.Option, cfg.S3.Credentials = config.OptionS3Only, config.CredentialsIRSA
	p, err := Build(cfg, freshSnapshot(), state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Resource(KeyCSIAddon); ok {
		t.Error("s3-only with IRSA syncs no secret, yet plans the CSI driver's add-on")
	}
}
