package verify

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/kfaws/kfaws/internal/identity"
)

// EKSAPI is what the pod identity checks read of the EKS API.
type EKSAPI interface {
	ListPodIdentityAssociations(context.Context, *eks.ListPodIdentityAssociationsInput, ...func(*eks.Options)) (*eks.ListPodIdentityAssociationsOutput, error)
	DescribePodIdentityAssociation(context.Context, *eks.DescribePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.DescribePodIdentityAssociationOutput, error)
	DescribeAddon(context.Context, *eks.DescribeAddonInput, ...func(*eks.Options)) (*eks.DescribeAddonOutput, error)
}

// AssociationsInput is what CheckAssociations needs: the cluster, and the association each service account must
// have (role "" when kfaws recorded none: any role will do).
type AssociationsInput struct {
	EKS     EKSAPI
	Cluster string
	Want    []identity.Association
}

// podIdentityAgent is the EKS add-on whose agent hands pods their associated role's credentials.
const podIdentityAgent = "eks-pod-identity-agent"

// CheckAssociations checks, in pod-identity mode, that the agent add-on is ACTIVE and that each service account
// has an EKS Pod Identity association to its role: without one the account's pods get no AWS credentials.
func CheckAssociations(ctx context.Context, r *Report, in AssociationsInput) {
	w := recorder{r: r, area: AreaCluster}
	agent, err := in.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(in.Cluster),
		AddonName: aws.String(podIdentityAgent)})
	switch {
	case err != nil:
		w.add("EKS Pod Identity Agent", Fail, fmt.Sprintf("EKS add-on %q of cluster %q: %v", podIdentityAgent, in.Cluster, err),
			"run kfaws up (it installs the add-on)")
	case agent.Addon.Status != "ACTIVE":
		w.add("EKS Pod Identity Agent", Fail, fmt.Sprintf("EKS add-on %q is %s", podIdentityAgent, agent.Addon.Status),
			fmt.Sprintf("see its health: aws eks describe-addon --cluster-name %s --addon-name %s", in.Cluster, podIdentityAgent))
	default:
		w.ok("EKS Pod Identity Agent", fmt.Sprintf("add-on %s %s is ACTIVE", podIdentityAgent, aws.ToString(agent.Addon.AddonVersion)))
	}
	for _, want := range in.Want {
		checkAssociation(ctx, w, in, want)
	}
}

func checkAssociation(ctx context.Context, w recorder, in AssociationsInput, want identity.Association) {
	sa := want.ServiceAccount
	name := "pod identity " + sa.String()
	list, err := in.EKS.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(in.Cluster),
		Namespace: aws.String(sa.Namespace), ServiceAccount: aws.String(sa.Name)})
	if err != nil {
		w.add(name, Fail, fmt.Sprintf("listing the associations of %s: %v", sa, err), "")
		return
	}
	if len(list.Associations) == 0 {
		w.add(name, Fail, fmt.Sprintf("no EKS Pod Identity association binds %s on cluster %q, so its pods get no AWS credentials", sa, in.Cluster),
			"run kfaws up (it creates the association)")
		return
	}
	id := aws.ToString(list.Associations[0].AssociationId)
	got, err := in.EKS.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String(in.Cluster),
		AssociationId: aws.String(id)})
	if err != nil {
		w.add(name, Fail, fmt.Sprintf("reading association %s: %v", id, err), "")
		return
	}
	role := aws.ToString(got.Association.RoleArn)
	if want.RoleARN != "" && role != want.RoleARN {
		w.add(name, Fail, fmt.Sprintf("association %s binds %s to %q, not kfaws's role %q", id, sa, role, want.RoleARN),
			"run kfaws plan: an association kfaws created is pointed back by kfaws up; another one must be deleted first")
		return
	}
	w.ok(name, fmt.Sprintf("assumes IAM role %q (association %s)", role, id))
}
