package execute

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
)

func (e *Executor) eksTags() map[string]string {
	tags := map[string]string{}
	for _, t := range e.tags() {
		tags[t.Key] = t.Value
	}
	return tags
}

// createAssociation creates the association, tagged as this installation's. One an interrupted run created (EKS
// allows one per service account) is found and recorded instead, when its tag says it is this installation's.
func (e *Executor) createAssociation(ctx context.Context, s plan.Step, p plan.CreateAssociation) error {
	if err := e.intend(s.Resource, p.ServiceAccount.String()); err != nil {
		return err
	}
	out, err := e.AWS.EKS.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{
		ClusterName: aws.String(p.Cluster), Namespace: aws.String(p.ServiceAccount.Namespace),
		ServiceAccount: aws.String(p.ServiceAccount.Name), RoleArn: aws.String(p.RoleARN), Tags: e.eksTags(),
	})
	var inUse *ekstypes.ResourceInUseException
	switch {
	case errors.As(err, &inUse):
		arn, err := e.ownAssociation(ctx, p)
		if err != nil {
			return err
		}
		return e.record(s.Resource, arn)
	case err != nil:
		return fmt.Errorf("eks:CreatePodIdentityAssociation for %s on cluster %q: %w", p.ServiceAccount, p.Cluster, err)
	}
	return e.record(s.Resource, aws.ToString(out.Association.AssociationArn))
}

// ownAssociation returns the ARN of the association of p's service account when this installation's tag is on
// it, and fails otherwise: someone else created it after the plan was made.
func (e *Executor) ownAssociation(ctx context.Context, p plan.CreateAssociation) (string, error) {
	list, err := e.AWS.EKS.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{
		ClusterName: aws.String(p.Cluster), Namespace: aws.String(p.ServiceAccount.Namespace),
		ServiceAccount: aws.String(p.ServiceAccount.Name)})
	if err != nil {
		return "", fmt.Errorf("eks:ListPodIdentityAssociations for %s on cluster %q: %w", p.ServiceAccount, p.Cluster, err)
	}
	for _, a := range list.Associations {
		got, err := e.AWS.EKS.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{
			ClusterName: aws.String(p.Cluster), AssociationId: a.AssociationId})
		if err != nil {
			return "", fmt.Errorf("eks:DescribePodIdentityAssociation %q: %w", aws.ToString(a.AssociationId), err)
		}
		if got.Association.Tags[ownership.TagInstallation] == e.Config.Name && aws.ToString(got.Association.RoleArn) == p.RoleARN {
			return aws.ToString(got.Association.AssociationArn), nil
		}
	}
	return "", fmt.Errorf("%s already has a pod identity association on cluster %q that this installation did not "+
		"create; run kfaws plan to see it", p.ServiceAccount, p.Cluster)
}

func (e *Executor) updateAssociation(ctx context.Context, _ plan.Step, p plan.UpdateAssociation) error {
	_, err := e.AWS.EKS.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{
		ClusterName: aws.String(p.Cluster), AssociationId: aws.String(p.ID), RoleArn: aws.String(p.RoleARN)})
	if err != nil {
		return fmt.Errorf("eks:UpdatePodIdentityAssociation %q (%s) on cluster %q: %w", p.ID, p.ServiceAccount, p.Cluster, err)
	}
	return nil
}

func (e *Executor) deleteAssociation(ctx context.Context, _ plan.Step, p plan.DeleteAssociation) error {
	_, err := e.AWS.EKS.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{
		ClusterName: aws.String(p.Cluster), AssociationId: aws.String(p.ID)})
	var gone *ekstypes.ResourceNotFoundException
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("eks:DeletePodIdentityAssociation %q (%s) on cluster %q: %w", p.ID, p.ServiceAccount, p.Cluster, err)
	}
	return nil
}
