package observe

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/ownership"
)

// PodIdentityAgentAddon is the EKS add-on that runs the EKS Pod Identity Agent, which hands the associated
// role's credentials to pods.
const PodIdentityAgentAddon = "eks-pod-identity-agent"

// Association is an EKS Pod Identity association on the cluster.
type Association struct {
	// Presence carries the association's ARN and its installation tag.
	Presence
	ID             string
	ServiceAccount identity.ServiceAccount
	RoleARN        string
	// OwnerARN is the add-on that owns the association (it changes only through the add-on), "" for none.
	OwnerARN string
}

// PodIdentity is what EKS Pod Identity has on the cluster.
type PodIdentity struct {
	Agent        Addon
	Associations []Association
}

// For returns the association of service account sa, if any (EKS allows one per namespace and account).
func (p PodIdentity) For(sa identity.ServiceAccount) (Association, bool) {
	for _, a := range p.Associations {
		if a.ServiceAccount == sa {
			return a, true
		}
	}
	return Association{}, false
}

// ByARN returns the association with this ARN, if it still exists.
func (p PodIdentity) ByARN(arn string) (Association, bool) {
	for _, a := range p.Associations {
		if arn != "" && a.ARN == arn {
			return a, true
		}
	}
	return Association{}, false
}

// podIdentity reads the agent add-on and every association of the cluster with its role and tags.
func (o *Observer) podIdentity(ctx context.Context, cl Cluster) (PodIdentity, error) {
	var p PodIdentity
	var err error
	if p.Agent, err = o.addon(ctx, cl, PodIdentityAgentAddon); err != nil {
		return p, err
	}
	pages := eks.NewListPodIdentityAssociationsPaginator(o.AWS.EKS, &eks.ListPodIdentityAssociationsInput{
		ClusterName: aws.String(cl.Name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return p, fmt.Errorf("listing EKS pod identity associations of cluster %q: %w", cl.Name, err)
		}
		for _, s := range page.Associations {
			a, ok, err := o.association(ctx, cl.Name, aws.ToString(s.AssociationId))
			if err != nil {
				return p, err
			}
			if ok {
				p.Associations = append(p.Associations, a)
			}
		}
	}
	return p, nil
}

// association reads one association; ok is false when it was deleted since it was listed.
func (o *Observer) association(ctx context.Context, cluster, id string) (Association, bool, error) {
	out, err := o.AWS.EKS.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{
		ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
	var nf *ekstypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return Association{}, false, nil
	case err != nil:
		return Association{}, false, fmt.Errorf("describing EKS pod identity association %q of cluster %q: %w", id, cluster, err)
	}
	a := out.Association
	return Association{
		Presence: Presence{Exists: true, Installation: a.Tags[ownership.TagInstallation], ARN: aws.ToString(a.AssociationArn)},
		ID:       id,
		ServiceAccount: identity.ServiceAccount{Namespace: aws.ToString(a.Namespace),
			Name: aws.ToString(a.ServiceAccount)},
		RoleARN:  aws.ToString(a.RoleArn),
		OwnerARN: aws.ToString(a.OwnerArn),
	}, true, nil
}
