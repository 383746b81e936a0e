package csidriver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// AddonAPI is the part of the EKS API the add-on path uses; *eks.Client
// implements it.
type AddonAPI interface {
	DescribeAddonVersions(context.Context, *eks.DescribeAddonVersionsInput, ...func(*eks.Options)) (*eks.DescribeAddonVersionsOutput, error)
	DescribeAddon(context.Context, *eks.DescribeAddonInput, ...func(*eks.Options)) (*eks.DescribeAddonOutput, error)
	CreateAddon(context.Context, *eks.CreateAddonInput, ...func(*eks.Options)) (*eks.CreateAddonOutput, error)
	UpdateAddon(context.Context, *eks.UpdateAddonInput, ...func(*eks.Options)) (*eks.UpdateAddonOutput, error)
	DeleteAddon(context.Context, *eks.DeleteAddonInput, ...func(*eks.Options)) (*eks.DeleteAddonOutput, error)
}

// addonConfig turns on secret syncing in the add-on's driver subchart: KFP's
// mysql-secret and mlpipeline-minio-artifact are synced Secrets.
const addonConfig = `{"secrets-store-csi-driver":{"syncSecret":{"enabled":true}}}`

// addonVersion returns the add-on version EKS marks as default for the
// cluster's Kubernetes version (else the newest compatible one), or "" when
// EKS offers the add-on for no version of this cluster.
func addonVersion(ctx context.Context, api AddonAPI, k8sVersion string) (string, error) {
	var versions []string
	var def string
	p := eks.NewDescribeAddonVersionsPaginator(api, &eks.DescribeAddonVersionsInput{
		AddonName: aws.String(AddonName), KubernetesVersion: aws.String(k8sVersion),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("asking EKS for versions of add-on %q on Kubernetes %s: %w", AddonName, k8sVersion, err)
		}
		for _, a := range page.Addons {
			for _, v := range a.AddonVersions {
				for _, c := range v.Compatibilities {
					if aws.ToString(c.ClusterVersion) != k8sVersion {
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

// addonState is the add-on as installed on the cluster, nil when absent.
func addonState(ctx context.Context, api AddonAPI, cluster string) (*ekstypes.Addon, error) {
	out, err := api.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(AddonName)})
	var nf *ekstypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describing EKS add-on %q of cluster %q: %w", AddonName, cluster, err)
	}
	return out.Addon, nil
}

// syncEnabled reports whether an add-on's configuration turns secret syncing on.
func syncEnabled(config string) bool {
	var c struct {
		Driver struct {
			SyncSecret struct {
				Enabled bool `json:"enabled"`
			} `json:"syncSecret"`
		} `json:"secrets-store-csi-driver"`
	}
	if strings.TrimSpace(config) == "" || json.Unmarshal([]byte(config), &c) != nil {
		return false
	}
	return c.Driver.SyncSecret.Enabled
}

// ensureAddon creates the add-on with secret syncing, or turns syncing on in
// an existing one, and reports what it did ("created", "updated",
// "unchanged").
func ensureAddon(ctx context.Context, api AddonAPI, cluster, version string, tags map[string]string) (string, error) {
	cur, err := addonState(ctx, api, cluster)
	if err != nil {
		return "", err
	}
	switch {
	case cur == nil:
		_, err = api.CreateAddon(ctx, &eks.CreateAddonInput{
			ClusterName: aws.String(cluster), AddonName: aws.String(AddonName), AddonVersion: aws.String(version),
			ConfigurationValues: aws.String(addonConfig), ResolveConflicts: ekstypes.ResolveConflictsNone, Tags: tags,
		})
		if err != nil {
			return "", fmt.Errorf("creating EKS add-on %q on cluster %q: %w (if the driver was installed another way, "+
				"remove it or use --csi-driver=manifests)", AddonName, cluster, err)
		}
		return "created", nil
	case !syncEnabled(aws.ToString(cur.ConfigurationValues)):
		_, err = api.UpdateAddon(ctx, &eks.UpdateAddonInput{
			ClusterName: aws.String(cluster), AddonName: aws.String(AddonName),
			ConfigurationValues: aws.String(mergeSync(aws.ToString(cur.ConfigurationValues))),
			ResolveConflicts:    ekstypes.ResolveConflictsPreserve,
		})
		if err != nil {
			return "", fmt.Errorf("turning on secret syncing in EKS add-on %q of cluster %q: %w", AddonName, cluster, err)
		}
		return "updated", nil
	}
	return "unchanged", nil
}

// mergeSync adds syncSecret.enabled=true to an add-on configuration, keeping
// the user's other settings.
func mergeSync(config string) string {
	m := map[string]any{}
	if strings.TrimSpace(config) != "" {
		_ = json.Unmarshal([]byte(config), &m)
	}
	driver, _ := m["secrets-store-csi-driver"].(map[string]any)
	if driver == nil {
		driver = map[string]any{}
	}
	driver["syncSecret"] = map[string]any{"enabled": true}
	m["secrets-store-csi-driver"] = driver
	b, _ := json.Marshal(m)
	return string(b)
}

// waitAddonActive waits until EKS reports the add-on ACTIVE.
func waitAddonActive(ctx context.Context, api AddonAPI, cluster string, timeout time.Duration) error {
	w := eks.NewAddonActiveWaiter(api, func(o *eks.AddonActiveWaiterOptions) { o.MinDelay = 2 * time.Second })
	err := w.Wait(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(AddonName)}, timeout)
	if err != nil {
		return fmt.Errorf("waiting for EKS add-on %q of cluster %q to become ACTIVE: %w (see its health issues: "+
			"aws eks describe-addon --cluster-name %s --addon-name %s)", AddonName, cluster, err, cluster, AddonName)
	}
	return nil
}

// RemoveAddon deletes the add-on if this installation created it (its
// kfaws.dev/installation tag says so) and waits until it is gone. An add-on
// someone else installed is left alone; the result says which happened:
// "deleted", "absent" or "not created by kfaws".
func RemoveAddon(ctx context.Context, api AddonAPI, cluster, installation string, timeout time.Duration) (string, error) {
	cur, err := addonState(ctx, api, cluster)
	if err != nil {
		return "", err
	}
	if cur == nil {
		return "absent", nil
	}
	if cur.Tags[installationTag] != installation {
		return "not created by kfaws", nil
	}
	_, err = api.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(AddonName)})
	var nf *ekstypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "absent", nil
	}
	if err != nil {
		return "", fmt.Errorf("deleting EKS add-on %q of cluster %q: %w", AddonName, cluster, err)
	}
	w := eks.NewAddonDeletedWaiter(api, func(o *eks.AddonDeletedWaiterOptions) { o.MinDelay = 2 * time.Second })
	if err := w.Wait(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(AddonName)}, timeout); err != nil {
		return "", fmt.Errorf("waiting for EKS add-on %q of cluster %q to be deleted: %w", AddonName, cluster, err)
	}
	return "deleted", nil
}
