package csidriver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
	"github.com/kfaws/kfaws/internal/ownership"
)

// AddonAPI is the part of the EKS API the cluster side uses: it looks at the
// add-on kfaws up created (plan and execute create and configure it) and
// removes it; *eks.Client implements it.
type AddonAPI interface {
	DescribeAddon(context.Context, *eks.DescribeAddonInput, ...func(*eks.Options)) (*eks.DescribeAddonOutput, error)
	DeleteAddon(context.Context, *eks.DeleteAddonInput, ...func(*eks.Options)) (*eks.DeleteAddonOutput, error)
}

// AddonName is the EKS add-on with the driver and the AWS provider.
const AddonName = eksaddon.Name

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

// RemoveAddon deletes the add-on if this installation created it (its
// installation tag says so, or, untagged, the state file records this very
// add-on: rec, see ownership.OwnsAWS) and waits until it is gone. An add-on
// someone else installed is left alone; the result says which happened:
// "deleted", "absent" or "not created by kfaws".
func RemoveAddon(ctx context.Context, api AddonAPI, cluster, installation string, rec ownership.Record, timeout time.Duration) (string, error) {
	cur, err := addonState(ctx, api, cluster)
	if err != nil {
		return "", err
	}
	if cur == nil {
		return "absent", nil
	}
	obs := ownership.Observed{Name: AddonName, ARN: aws.ToString(cur.AddonArn), Tag: cur.Tags[ownership.TagInstallation]}
	if !ownership.OwnsAWS(installation, obs, rec) {
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
