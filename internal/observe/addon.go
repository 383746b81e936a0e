package observe

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
	"github.com/kfaws/kfaws/internal/ownership"
)

// Addon is an EKS add-on on the cluster (the Secrets Store CSI driver's, the Pod Identity Agent), and what EKS
// offers of it.
type Addon struct {
	Presence
	Version       string
	Status        string
	Configuration string
	// SyncEnabled is true when the installed add-on's configuration turns secret syncing on.
	SyncEnabled bool
	// Offered is the version EKS installs by default for the cluster's Kubernetes version (else the newest it
	// offers), "" when it offers none.
	Offered string
	// OfferUnknown says why EKS could not be asked what it offers (no permission, an endpoint without the add-on
	// API); the add-on is then treated as not offered.
	OfferUnknown error
}

// csiAddon reads the add-on and the versions EKS offers for the cluster's Kubernetes version.
func (o *Observer) csiAddon(ctx context.Context, cl Cluster) (Addon, error) {
	a, err := o.addon(ctx, cl, eksaddon.Name)
	a.SyncEnabled = a.Exists && eksaddon.SyncEnabled(a.Configuration)
	return a, err
}

// addon reads the add-on name and the versions EKS offers of it for the cluster's Kubernetes version.
func (o *Observer) addon(ctx context.Context, cl Cluster, name string) (Addon, error) {
	var a Addon
	out, err := o.AWS.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cl.Name),
		AddonName: aws.String(name)})
	var nf *ekstypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
	case err != nil:
		return a, fmt.Errorf("describing EKS add-on %q of cluster %q: %w", name, cl.Name, err)
	default:
		ad := out.Addon
		a.Presence = Presence{Exists: true, Installation: ad.Tags[ownership.TagInstallation], ARN: aws.ToString(ad.AddonArn)}
		a.Version, a.Status = aws.ToString(ad.AddonVersion), string(ad.Status)
		a.Configuration = aws.ToString(ad.ConfigurationValues)
	}
	a.Offered, a.OfferUnknown = o.addonOffered(ctx, name, cl.Version)
	return a, nil
}

// addonOffered returns the add-on version EKS marks as default for Kubernetes k8s, else the newest compatible
// one, or "" when it offers none.
func (o *Observer) addonOffered(ctx context.Context, name, k8s string) (string, error) {
	var versions []string
	var def string
	p := eks.NewDescribeAddonVersionsPaginator(o.AWS.EKS, &eks.DescribeAddonVersionsInput{
		AddonName: aws.String(name), KubernetesVersion: aws.String(k8s)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("asking EKS for versions of add-on %q on Kubernetes %s: %w", name, k8s, err)
		}
		for _, ad := range page.Addons {
			for _, v := range ad.AddonVersions {
				for _, c := range v.Compatibilities {
					if aws.ToString(c.ClusterVersion) != k8s {
						continue
					}
					versions = append(versions, aws.ToString(v.AddonVersion))
					if c.DefaultVersion {
						def = aws.ToString(v.AddonVersion)
					}
				}
			}
		}
	}
	if def != "" || len(versions) == 0 {
		return def, nil
	}
	sort.Strings(versions) // "vX.Y.Z-eksbuild.N" strings sort well enough within one major
	return versions[len(versions)-1], nil
}
