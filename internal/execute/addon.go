package execute

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
	"github.com/kfaws/kfaws/internal/plan"
)

// addonTimeout bounds the wait for an add-on to become ACTIVE; EKS installs one in a few minutes.
const addonTimeout = 20 * time.Minute

// createAddon installs the add-on, tagged as this installation's, and waits until it is ACTIVE. An add-on an
// interrupted run created is waited for, not created again.
func (e *Executor) createAddon(ctx context.Context, s plan.Step, p plan.CreateAddon) error {
	if err := e.intend(s.Resource, p.Name); err != nil {
		return err
	}
	in := &eks.CreateAddonInput{
		ClusterName: aws.String(p.Cluster), AddonName: aws.String(p.Name), AddonVersion: aws.String(p.Version),
		ResolveConflicts: ekstypes.ResolveConflictsNone, Tags: e.eksTags(),
	}
	if p.Configuration != "" {
		in.ConfigurationValues = aws.String(p.Configuration)
	}
	out, err := e.AWS.EKS.CreateAddon(ctx, in)
	var inUse *ekstypes.ResourceInUseException
	switch {
	case errors.As(err, &inUse): // an interrupted run created it: wait for it below
	case err != nil:
		hint := "if the driver was installed another way, remove it or set csiDriver to manifests"
		if p.Name != eksaddon.Name {
			hint = "if it was installed another way, remove it or install it as an EKS add-on"
		}
		return fmt.Errorf("eks:CreateAddon %q on cluster %q: %w (%s)", p.Name, p.Cluster, err, hint)
	default:
		if err := e.record(s.Resource, aws.ToString(out.Addon.AddonArn)); err != nil {
			return err
		}
	}
	e.progress(s, "waiting until EKS reports the add-on ACTIVE")
	if err := waitAddonActive(ctx, e.AWS.EKS, p.Cluster, p.Name); err != nil {
		return err
	}
	got, err := e.AWS.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(p.Cluster),
		AddonName: aws.String(p.Name)})
	if err != nil {
		return fmt.Errorf("eks:DescribeAddon %q of cluster %q: %w", p.Name, p.Cluster, err)
	}
	return e.record(s.Resource, aws.ToString(got.Addon.AddonArn))
}

// configureAddon writes the add-on's configuration and waits until it is ACTIVE again.
func (e *Executor) configureAddon(ctx context.Context, s plan.Step, p plan.ConfigureAddon) error {
	_, err := e.AWS.EKS.UpdateAddon(ctx, &eks.UpdateAddonInput{
		ClusterName: aws.String(p.Cluster), AddonName: aws.String(p.Name),
		ConfigurationValues: aws.String(p.Configuration), ResolveConflicts: ekstypes.ResolveConflictsPreserve,
	})
	if err != nil {
		return fmt.Errorf("eks:UpdateAddon %q of cluster %q: %w", p.Name, p.Cluster, err)
	}
	e.progress(s, "waiting until EKS reports the add-on ACTIVE")
	return waitAddonActive(ctx, e.AWS.EKS, p.Cluster, p.Name)
}

func waitAddonActive(ctx context.Context, api *eks.Client, cluster, name string) error {
	w := eks.NewAddonActiveWaiter(api, func(o *eks.AddonActiveWaiterOptions) { o.MinDelay = 2 * time.Second })
	err := w.Wait(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)}, addonTimeout)
	if err != nil {
		return fmt.Errorf("waiting for EKS add-on %q of cluster %q to become ACTIVE: %w (see its health issues: aws eks "+
			"describe-addon --cluster-name %s --addon-name %s)", name, cluster, err, cluster, name)
	}
	return nil
}
