package proxy_test

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

var reAssociationID = regexp.MustCompile(`^a-[0-9a-z]{17}$`)

func TestPodIdentityAssociations(t *testing.T) {
	h := newEKSHarness(t)
	c := h.client("us-west-2")
	ctx := context.Background()
	cluster := newCluster(t, c, "1.33")
	role := func(name string) *string { return aws.String("arn:aws:iam::123456789012:role/" + name) }
	create := func(ns, sa string, tags map[string]string) (*ekstypes.PodIdentityAssociation, error) {
		out, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(cluster),
			Namespace: aws.String(ns), ServiceAccount: aws.String(sa), RoleArn: role(sa), Tags: tags})
		if err != nil {
			return nil, err
		}
		return out.Association, nil
	}
	pairs := [][2]string{{"kubeflow", "ml-pipeline"}, {"kubeflow", "kubeflow-secrets-manager-sa"}, {"team-a", "default-editor"},
		{"kubeflow", "ml-pipeline-ui"}, {"team-b", "default-editor"}}
	var first *ekstypes.PodIdentityAssociation
	for i, p := range pairs {
		var tags map[string]string
		if i == 0 {
			tags = map[string]string{"kfaws.dev/installation": "demo"}
		}
		as, err := create(p[0], p[1], tags)
		if err != nil {
			t.Fatalf("creating %s/%s: %v", p[0], p[1], err)
		}
		if i == 0 {
			first = as
		}
	}
	id := aws.ToString(first.AssociationId)
	if !reAssociationID.MatchString(id) || aws.ToString(first.AssociationArn) != "arn:aws:eks:us-west-2:123456789012:podidentityassociation/"+cluster+"/"+id ||
		aws.ToString(first.RoleArn) != aws.ToString(role("ml-pipeline")) || first.Tags["kfaws.dev/installation"] != "demo" ||
		aws.ToString(first.ClusterName) != cluster || !first.CreatedAt.Equal(h.clock.Now()) || first.OwnerArn != nil {
		t.Errorf("created association %+v", first)
	}

	_, err := create("kubeflow", "ml-pipeline", nil)
	wantErr[*ekstypes.ResourceInUseException](t, "second association of kubeflow/ml-pipeline", err, "Association already exists: "+id)
	_, err = create("Kubeflow", "ml-pipeline", nil)
	wantErr[*ekstypes.InvalidParameterException](t, "namespace with capitals", err, `namespace "Kubeflow"`)
	_, err = c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(cluster),
		Namespace: aws.String("kubeflow"), ServiceAccount: aws.String("other"), RoleArn: aws.String("kfp-role")})
	wantErr[*ekstypes.InvalidParameterException](t, "role that is no ARN", err, "not an IAM role ARN")
	_, err = c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("no-such-cluster"),
		Namespace: aws.String("kubeflow"), ServiceAccount: aws.String("other"), RoleArn: role("other")})
	wantErr[*ekstypes.ResourceNotFoundException](t, "association on an unknown cluster", err, "No cluster found for name: no-such-cluster.")

	got, err := c.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
	if err != nil || aws.ToString(got.Association.ServiceAccount) != "ml-pipeline" || aws.ToString(got.Association.Namespace) != "kubeflow" {
		t.Errorf("DescribePodIdentityAssociation = %+v, %v", got, err)
	}

	list := func(in eks.ListPodIdentityAssociationsInput) (names []string, pages int) {
		in.ClusterName = aws.String(cluster)
		p := eks.NewListPodIdentityAssociationsPaginator(c, &in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("listing %+v: %v", in, err)
			}
			pages++
			for _, s := range page.Associations {
				names = append(names, aws.ToString(s.Namespace)+"/"+aws.ToString(s.ServiceAccount))
			}
		}
		return names, pages
	}
	all, pages := list(eks.ListPodIdentityAssociationsInput{MaxResults: aws.Int32(2)})
	want := []string{"kubeflow/kubeflow-secrets-manager-sa", "kubeflow/ml-pipeline", "kubeflow/ml-pipeline-ui", "team-a/default-editor", "team-b/default-editor"}
	if !slices.Equal(all, want) || pages != 3 {
		t.Errorf("all associations in pages of 2: %v in %d pages, want %v in 3", all, pages, want)
	}
	if got, _ := list(eks.ListPodIdentityAssociationsInput{Namespace: aws.String("kubeflow")}); len(got) != 3 {
		t.Errorf("namespace kubeflow: %v", got)
	}
	if got, _ := list(eks.ListPodIdentityAssociationsInput{ServiceAccount: aws.String("default-editor")}); !slices.Equal(got, want[3:]) {
		t.Errorf("service account default-editor: %v", got)
	}
	if got, _ := list(eks.ListPodIdentityAssociationsInput{Namespace: aws.String("team-a"), ServiceAccount: aws.String("default-editor")}); !slices.Equal(got, want[3:4]) {
		t.Errorf("team-a/default-editor: %v", got)
	}
	_, err = c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster), NextToken: aws.String("%%not-ours")})
	wantErr[*ekstypes.InvalidParameterException](t, "foreign nextToken", err, "nextToken")

	h.clock.Add(time.Minute)
	up, err := c.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{ClusterName: aws.String(cluster),
		AssociationId: aws.String(id), RoleArn: role("ml-pipeline-v2")})
	if err != nil || aws.ToString(up.Association.RoleArn) != aws.ToString(role("ml-pipeline-v2")) ||
		!up.Association.ModifiedAt.Equal(h.clock.Now()) || !up.Association.CreatedAt.Equal(*first.CreatedAt) {
		t.Errorf("UpdatePodIdentityAssociation = %+v, %v; want the new role, modifiedAt now, createdAt kept", up, err)
	}

	del, err := c.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
	if err != nil || aws.ToString(del.Association.AssociationId) != id {
		t.Errorf("DeletePodIdentityAssociation = %+v, %v", del, err)
	}
	for what, call := range map[string]func() error{
		"describe": func() error {
			_, err := c.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
			return err
		},
		"update": func() error {
			_, err := c.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id), RoleArn: role("x")})
			return err
		},
		"delete": func() error {
			_, err := c.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: aws.String(id)})
			return err
		},
	} {
		wantErr[*ekstypes.ResourceNotFoundException](t, what+" of a deleted association", call(), "No association found for id: "+id)
	}
	if _, err := create("kubeflow", "ml-pipeline", nil); err != nil {
		t.Errorf("re-creating a deleted association: %v", err)
	}
}

// TestAddonOwnedAssociations: associations an add-on creates carry its ARN
// as owner, change only through the add-on and go with it.
func TestAddonOwnedAssociations(t *testing.T) {
	h := newEKSHarness(t)
	c := h.client("us-west-2")
	ctx := context.Background()
	cluster := newCluster(t, c, "1.33")
	out, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon),
		PodIdentityAssociations: []ekstypes.AddonPodIdentityAssociations{{ServiceAccount: aws.String("secrets-store-csi-driver-provider-aws"),
			RoleArn: aws.String("arn:aws:iam::123456789012:role/ascp")}}})
	if err != nil {
		t.Fatal(err)
	}
	addonARN := aws.ToString(out.Addon.AddonArn)
	list, err := c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster)})
	if err != nil || len(list.Associations) != 1 {
		t.Fatalf("associations after CreateAddon: %+v, %v", list, err)
	}
	s := list.Associations[0]
	if aws.ToString(s.OwnerArn) != addonARN || aws.ToString(s.Namespace) != "kube-system" ||
		!slices.Equal(out.Addon.PodIdentityAssociations, []string{aws.ToString(s.AssociationArn)}) {
		t.Errorf("add-on's association %+v, add-on lists %v", s, out.Addon.PodIdentityAssociations)
	}
	_, err = c.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: s.AssociationId})
	wantErr[*ekstypes.InvalidRequestException](t, "deleting an add-on's association", err, "owned by "+addonARN)
	_, err = c.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{ClusterName: aws.String(cluster), AssociationId: s.AssociationId,
		RoleArn: aws.String("arn:aws:iam::123456789012:role/other")})
	wantErr[*ekstypes.InvalidRequestException](t, "updating an add-on's association", err, "change it through UpdateAddon")

	// Another add-on cannot take the same service account.
	_, err = c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(agentAddon),
		PodIdentityAssociations: []ekstypes.AddonPodIdentityAssociations{{ServiceAccount: aws.String("secrets-store-csi-driver-provider-aws"),
			RoleArn: aws.String("arn:aws:iam::123456789012:role/ascp")}}})
	wantErr[*ekstypes.ResourceInUseException](t, "second owner of a service account", err, "Association already exists: "+aws.ToString(s.AssociationId))

	h.clock.Add(testDelay + time.Second)
	if _, err := c.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon)}); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(testDelay + time.Second)
	list, err = c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster)})
	if err != nil || len(list.Associations) != 0 {
		t.Errorf("associations after the add-on was deleted: %+v, %v", list, err)
	}
}
