package plan

import (
	"fmt"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
)

// csiAddon decides the Secrets Store CSI driver's EKS add-on: kfaws creates it where EKS offers it (so the
// driver is an AWS resource with a plan line and a state record), uses one someone else installed as it is,
// and leaves the driver to kfaws apply's manifests where EKS offers none (csiDriver auto).
func (b *builder) csiAddon() {
	c, a := b.cfg, b.snap.CSIAddon
	if !config.SyncsSecrets(c.Option, c.S3.Credentials) || !c.CSIDriver.UsesAddon() {
		return
	}
	cluster := b.snap.Cluster
	r := Resource{Key: KeyCSIAddon, Kind: "EKS add-on", Name: eksaddon.Name, ARN: a.ARN}
	switch {
	case !a.Exists && a.Offered == "":
		why := fmt.Sprintf("EKS offers no version for Kubernetes %s", cluster.Version)
		if a.OfferUnknown != nil {
			why = fmt.Sprintf("EKS could not be asked which versions it offers (%v)", a.OfferUnknown)
		}
		if c.CSIDriver == config.CSIAddon {
			r.Action, r.Detail = Conflict, why+"; set csiDriver (--csi-driver) to manifests"
			b.add(r)
			return
		}
		b.warn("EKS add-on %s: %s; kfaws apply installs the driver from kfaws's pinned manifests", eksaddon.Name, why)
		return
	case !a.Exists:
		r.Action, r.Owned = Create, true
		r.Detail = "the Secrets Store CSI driver and its AWS provider " + a.Offered + ", secret syncing on"
		b.step(KeyCSIAddon, "create", CreateAddon{Cluster: cluster.Name, Name: eksaddon.Name, Version: a.Offered,
			Configuration: eksaddon.WithSync("")},
			fmt.Sprintf("install EKS add-on %s %s on cluster %q (secret syncing on)", eksaddon.Name, a.Offered, cluster.Name))
	case b.foreign(a.Presence):
		r.Action, r.Owner, r.Detail = Conflict, a.Installation, fmt.Sprintf("add-on belongs to kfaws installation %q", a.Installation)
	case b.owned(KeyCSIAddon, eksaddon.Name, a.Presence) && !a.SyncEnabled:
		r.Action, r.Owned, r.Detail = Update, true, "turn secret syncing back on"
		b.step(KeyCSIAddon, "configure", ConfigureAddon{Cluster: cluster.Name, Name: eksaddon.Name,
			Configuration: eksaddon.WithSync(a.Configuration)},
			fmt.Sprintf("turn on secret syncing in EKS add-on %s", eksaddon.Name))
	case b.owned(KeyCSIAddon, eksaddon.Name, a.Presence):
		r.Action, r.Owned = Exists, true
	case !a.SyncEnabled:
		r.Action, r.Detail = Conflict, "installed by someone else without secret syncing, which KFP's synced Secrets "+
			"need; turn it on (aws eks update-addon --configuration-values with syncSecret.enabled) or set csiDriver "+
			"(--csi-driver) to manifests"
	default:
		r.Action, r.Detail = Exists, "not created by kfaws: used as is, never changed or deleted"
	}
	b.add(r)
}
