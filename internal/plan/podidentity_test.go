package plan_test

import (
	"slices"
	"testing"

	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/plan/plantest"
	"github.com/kfaws/kfaws/internal/policy"
	"github.com/kfaws/kfaws/internal/state"
)

var boundAccounts = []string{"kubeflow/ml-pipeline", "kubeflow/ml-pipeline-ui", "kubeflow-user-example-com/default-editor",
	"kubeflow/kubeflow-secrets-manager-sa"}

func TestPodIdentityInstallNeedsNoOIDCProvider(t *testing.T) {
	s := plantest.Fresh("aws", "us-west-2")
	s.Cluster.OIDCIssuer = "" // pod identity does not need one
	p, err := plan.Build(plantest.Config("us-west-2", plantest.PodIdentity), s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Resource(plan.KeyOIDCProvider); ok {
		t.Error("pod-identity plans the IAM OIDC provider")
	}
	if _, ok := p.Binding.(identity.PodIdentity); !ok {
		t.Fatalf("binding %T", p.Binding)
	}
	steps := map[string]plan.Step{}
	for _, st := range p.Steps {
		steps[st.ID] = st
		if er, ok := st.Params.(plan.EnsureRole); ok && !(identity.PodIdentity{}).Trusts(er.Binding.TrustPolicy(er.ServiceAccount), er.ServiceAccount) {
			t.Errorf("%s: the role would not trust pods.eks.amazonaws.com", st.ID)
		}
	}
	if a, ok := steps[plan.KeyPodIdentityAgent+":create"]; !ok || a.Params.(plan.CreateAddon).Name != "eks-pod-identity-agent" {
		t.Errorf("agent add-on step: %+v", a)
	}
	roles := map[string]string{"kubeflow/ml-pipeline": plan.KeyBackendRole, "kubeflow/ml-pipeline-ui": plan.KeyBackendRole,
		"kubeflow-user-example-com/default-editor": plan.KeyProfileRole, "kubeflow/kubeflow-secrets-manager-sa": plan.KeySecretsRole}
	for _, sa := range boundAccounts {
		st, ok := steps["eks/pod-identity/"+sa+":create"]
		if !ok {
			t.Errorf("no association for %s", sa)
			continue
		}
		role, _ := p.Resource(roles[sa])
		if c := st.Params.(plan.CreateAssociation); c.RoleARN != role.ARN || c.ServiceAccount.String() != sa || c.Cluster != "prod" {
			t.Errorf("%s: %+v, want role %s", sa, c, role.ARN)
		}
		if !slices.Contains(st.After, roles[sa]+":create") {
			t.Errorf("%s is associated before its role exists: after %v", sa, st.After)
		}
	}
}

// installedWithPodIdentity is a complete pod-identity installation as observe and the state see it.
func installedWithPodIdentity(t *testing.T) (*observe.Snapshot, state.State) {
	t.Helper()
	c := plantest.Config("us-west-2", plantest.PodIdentity)
	p, err := plan.Build(c, plantest.Fresh("aws", "us-west-2"), state.State{})
	if err != nil {
		t.Fatal(err)
	}
	s := plantest.Fresh("aws", "us-west-2")
	ours := observe.Presence{Exists: true, Installation: plantest.Installation}
	s.PodIdentity.Agent = observe.Addon{Presence: ours, Status: "ACTIVE", Offered: "v1.3.10-eksbuild.3"}
	rec := state.State{Resources: map[string]state.Resource{}, Outputs: state.Outputs{ProfileRoleARNs: map[string]string{}}}
	for ns, key := range p.ProfileRoles {
		r, _ := p.Resource(key)
		rec.Outputs.ProfileRoleARNs[ns] = r.ARN
	}
	for i, st := range p.Steps {
		switch v := st.Params.(type) {
		case plan.CreateAssociation:
			arn := "arn:aws:eks:us-west-2:123456789012:podidentityassociation/prod/a-" + string(rune('a'+i))
			s.PodIdentity.Associations = append(s.PodIdentity.Associations, observe.Association{
				Presence: observe.Presence{Exists: true, Installation: plantest.Installation, ARN: arn},
				ID:       "a-" + string(rune('a'+i)), ServiceAccount: v.ServiceAccount, RoleARN: v.RoleARN})
			rec.Resources[st.Resource] = state.Resource{Kind: "EKS pod identity association", ID: v.ServiceAccount.String(), ARN: arn, Owned: true}
		case plan.EnsureRole:
			role := observe.Role{Presence: ours, TrustPolicy: v.Binding.TrustPolicy(v.ServiceAccount),
				AttachedPolicies: v.AttachPolicies, InlineDocuments: map[string]string{}}
			for _, in := range v.InlinePolicies {
				role.InlineDocuments[in.Name] = in.Document
			}
			switch st.Resource {
			case plan.KeyBackendRole:
				s.BackendRole = role
			case plan.KeyProfileRole:
				s.ProfileRole = role
			case plan.KeySecretsRole:
				s.SecretsRole = role
			}
		}
	}
	s.Bucket = observe.Bucket{Presence: ours, Region: "us-west-2", PublicAccessBlocked: true, Encrypted: true,
		Policy: policy.Document{Version: policy.Version, Statement: []policy.Statement{plan.TLSOnlyStatement("aws", c.S3.Bucket)}}.String()}
	s.S3Policy = observe.Policy{Presence: ours, Document: plan.S3Policy("aws", c.S3.Bucket)}
	return s, rec
}

func TestPodIdentityAssociationsOwnedOrInConflict(t *testing.T) {
	c := plantest.Config("us-west-2", plantest.PodIdentity)
	s, rec := installedWithPodIdentity(t)
	p, err := plan.Build(c, s, rec)
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range boundAccounts {
		if r, _ := p.Resource("eks/pod-identity/" + sa); r.Action != plan.Exists || !r.Owned {
			t.Errorf("%s: %+v", sa, r)
		}
	}
	if r, _ := p.Resource(plan.KeyPodIdentityAgent); r.Action != plan.Exists || !r.Owned {
		t.Errorf("agent: %+v", r)
	}

	// Untagged, but the state records that very association: still ours. Recorded under another ARN: not ours.
	untagged := *s
	untagged.PodIdentity.Associations = slices.Clone(s.PodIdentity.Associations)
	untagged.PodIdentity.Associations[0].Installation = ""
	untagged.PodIdentity.Associations[1].Installation = ""
	untagged.PodIdentity.Associations[1].RoleARN = "arn:aws:iam::123456789012:role/users-role"
	k1 := plan.AssociationKey(untagged.PodIdentity.Associations[1].ServiceAccount)
	r1 := rec.Resources[k1]
	r1.ARN += "-deleted-and-made-again"
	rec.Resources[k1] = r1
	p, err = plan.Build(c, &untagged, rec)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(plan.AssociationKey(untagged.PodIdentity.Associations[0].ServiceAccount)); r.Action != plan.Exists || !r.Owned {
		t.Errorf("recorded untagged association: %+v", r)
	}
	if r, _ := p.Resource(k1); r.Action != plan.Conflict || r.Owned {
		t.Errorf("someone else's association to another role: %+v", r)
	}
}

func TestPodIdentityOwnedAssociationMovedBack(t *testing.T) {
	sc := plantest.Scenarios()
	i := slices.IndexFunc(sc, func(s plantest.Scenario) bool { return s.Name == "pod identity association moved to another role" })
	p, err := plan.Build(sc[i].Config, sc[i].Snapshot, sc[i].Recorded)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.Resource("eks/pod-identity/kubeflow/ml-pipeline")
	if r.Action != plan.Update {
		t.Fatalf("%+v", r)
	}
	for _, st := range p.Steps {
		if u, ok := st.Params.(plan.UpdateAssociation); ok && (u.ID != "a-0000000000000000a" || roleName(u.RoleARN) != "kfaws-prod-kfp-backend") {
			t.Errorf("%+v", u)
		}
	}
}

func roleName(arn string) string { return arn[len("arn:aws:iam::123456789012:role/"):] }

func TestDownDeletesOnlyItsAssociationsThenRolesAndAgent(t *testing.T) {
	c := plantest.Config("us-west-2", plantest.PodIdentity)
	s, rec := installedWithPodIdentity(t)
	// An association someone else made for another account, and the agent someone else installed.
	s.PodIdentity.Associations = append(s.PodIdentity.Associations, observe.Association{
		Presence: observe.Presence{Exists: true, ARN: "arn:aws:eks:us-west-2:123456789012:podidentityassociation/prod/a-other"},
		ID:       "a-other", ServiceAccount: identity.ServiceAccount{Namespace: "team", Name: "app"}, RoleARN: "arn:aws:iam::123456789012:role/app"})
	p := plan.BuildDown(c, s, rec, plan.DownOptions{})
	deleted := map[string]plan.Step{}
	for _, st := range p.Steps {
		deleted[st.Resource] = st
	}
	var assocSteps []string
	for _, sa := range boundAccounts {
		st, ok := deleted["eks/pod-identity/"+sa]
		if !ok {
			t.Errorf("%s's association is not deleted", sa)
			continue
		}
		assocSteps = append(assocSteps, st.ID)
	}
	for _, st := range p.Steps {
		if d, ok := st.Params.(plan.DeleteAssociation); ok && d.ID == "a-other" {
			t.Error("down deletes an association kfaws did not create")
		}
	}
	for _, k := range []string{plan.KeyBackendRole, plan.KeyPodIdentityAgent} {
		st, ok := deleted[k]
		if !ok {
			t.Errorf("%s not deleted", k)
			continue
		}
		for _, a := range assocSteps {
			if !slices.Contains(st.After, a) {
				t.Errorf("%s does not wait for %s", k, a)
			}
		}
	}

	s.PodIdentity.Agent.Installation = ""
	p = plan.BuildDown(c, s, rec, plan.DownOptions{})
	if r, _ := p.Resource(plan.KeyPodIdentityAgent); r.Action != plan.Keep {
		t.Errorf("an agent kfaws did not install: %+v", r)
	}
}

func TestAssociationsOfAnUnboundAccountAreOrphans(t *testing.T) {
	c := plantest.Config("us-west-2", plantest.PodIdentity)
	s, rec := installedWithPodIdentity(t)
	c.IAM.ProfileNamespace = "team-b"
	// Without the cluster, the profile the state records keeps its access beside the configured one.
	p, err := plan.Build(c, s, rec)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource("eks/pod-identity/kubeflow-user-example-com/default-editor"); r.Action != plan.Exists || !r.Owned {
		t.Errorf("recorded profile's association, cluster not read: %+v", r)
	}
	if r, _ := p.Resource("eks/pod-identity/team-b/default-editor"); r.Action != plan.Create {
		t.Errorf("new profile's association: %+v", r)
	}
	// The cluster read, and the old profile gone from it: its association is kept as an orphan, for down.
	s.Profiles = observe.Profiles{Discovered: true, Namespaces: []string{"team-b"}}
	if p, err = plan.Build(c, s, rec); err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource("eks/pod-identity/kubeflow-user-example-com/default-editor"); r.Action != plan.Orphan || !r.Owned {
		t.Errorf("old profile's association: %+v", r)
	}
}
