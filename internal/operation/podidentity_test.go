package operation_test

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
	"github.com/kfaws/kfaws/internal/verify"
)

func podIdentity(c *config.Config) { c.Identity = config.IdentityPodIdentity }

// associationsOf lists the cluster's pod identity associations as "namespace/account -> role name", with the
// installation tag each carries.
func (in *install) associationsOf(ctx context.Context) map[string]string {
	in.t.Helper()
	out, err := in.clients.EKS.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: &in.cfg.Cluster})
	if err != nil {
		in.t.Fatalf("listing associations: %v", err)
	}
	got := map[string]string{}
	for _, s := range out.Associations {
		d, err := in.clients.EKS.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{
			ClusterName: &in.cfg.Cluster, AssociationId: s.AssociationId})
		if err != nil {
			in.t.Fatal(err)
		}
		a := d.Association
		role := aws.ToString(a.RoleArn)
		got[aws.ToString(a.Namespace)+"/"+aws.ToString(a.ServiceAccount)] = role[strings.LastIndex(role, "/")+1:] +
			" tag=" + a.Tags[ownership.TagInstallation]
	}
	return got
}

func (in *install) trustOf(ctx context.Context, role string) string {
	in.t.Helper()
	out, err := in.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		in.t.Fatalf("role %s: %v", role, err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	return doc
}

// A pod-identity install on the local stack: roles that trust EKS Pod Identity, one tagged association per
// service account to its role, the agent add-on installed and recorded, no OIDC provider; a second plan finds
// nothing to do; verify's association and role checks pass; down removes the associations, the roles and the
// agent it installed.
func TestUpPodIdentity(t *testing.T) {
	in := newInstall(t, podIdentity)
	ctx := context.Background()
	c := in.cfg

	before := in.plan(ctx)
	if _, ok := before.Resource(plan.KeyOIDCProvider); ok {
		t.Error("pod-identity plans the IAM OIDC provider")
	}
	if r, _ := before.Resource(plan.KeyPodIdentityAgent); r.Action != plan.Create {
		t.Errorf("agent add-on: %+v", r)
	}
	in.mustUp(ctx)

	for _, role := range []string{c.IAM.BackendRoleName, c.IAM.ProfileRoleName, c.IAM.SecretsRoleName} {
		doc := in.trustOf(ctx, role)
		if !(identity.PodIdentity{}).Trusts(doc, identity.ServiceAccount{}) || strings.Contains(doc, "Federated") {
			t.Errorf("role %s does not trust only EKS Pod Identity: %s", role, doc)
		}
	}
	tag := " tag=" + c.Name
	want := map[string]string{
		"kubeflow/ml-pipeline":                     c.IAM.BackendRoleName + tag,
		"kubeflow/ml-pipeline-ui":                  c.IAM.BackendRoleName + tag,
		"kubeflow-user-example-com/default-editor": c.IAM.ProfileRoleName + tag,
		"kubeflow/kubeflow-secrets-manager-sa":     c.IAM.SecretsRoleName + tag,
	}
	got := in.associationsOf(ctx)
	if len(got) != len(want) {
		t.Errorf("associations: %v, want %v", got, want)
	}
	for sa, w := range want {
		if got[sa] != w {
			t.Errorf("association of %s: %q, want %q", sa, got[sa], w)
		}
	}
	agent, err := in.clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: &c.Cluster,
		AddonName: aws.String("eks-pod-identity-agent")})
	if err != nil || agent.Addon.Status != "ACTIVE" || agent.Addon.Tags[ownership.TagInstallation] != c.Name {
		t.Fatalf("agent add-on: %+v %v", agent, err)
	}

	st, err := state.Open(c.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	rec := st.Snapshot()
	var recorded []string
	for k, r := range rec.Resources {
		if strings.HasPrefix(k, plan.KeyAssociationPrefix) {
			recorded = append(recorded, r.ID)
			if !r.Owned || !strings.Contains(r.ARN, ":podidentityassociation/"+c.Cluster+"/a-") {
				t.Errorf("state record %s: %+v", k, r)
			}
		}
	}
	sort.Strings(recorded)
	if len(recorded) != 4 {
		t.Errorf("state records associations %v", recorded)
	}
	if r := rec.Resources[plan.KeyPodIdentityAgent]; !r.Owned || r.ARN != aws.ToString(agent.Addon.AddonArn) {
		t.Errorf("state record of the agent: %+v", r)
	}
	if _, ok := rec.Resources[plan.KeyOIDCProvider]; ok || rec.Outputs.OIDCProvider != "" {
		t.Errorf("pod-identity recorded an OIDC provider: %+v", rec.Outputs)
	}

	after := in.plan(ctx)
	if after.HasChanges() {
		t.Errorf("plan after up has steps: %+v", after.Steps)
	}
	for key, a := range actions(after) {
		if a != plan.Exists {
			t.Errorf("plan after up: %s is %s, want exists", key, a)
		}
	}

	// verify: the agent and each association point at kfaws's roles; the S3 role check evaluates Pod Identity trust.
	r := &verify.Report{}
	verify.CheckAssociations(ctx, r, verify.AssociationsInput{EKS: in.clients.EKS, Cluster: c.Cluster, Want: []identity.Association{
		{ServiceAccount: identity.ServiceAccount{Namespace: "kubeflow", Name: "ml-pipeline"}, RoleARN: rec.Outputs.BackendRoleARN},
		{ServiceAccount: identity.ServiceAccount{Namespace: "kubeflow-user-example-com", Name: "default-editor"}, RoleARN: rec.Outputs.ProfileRoleARN},
	}})
	for _, ch := range r.Checks {
		if ch.Status != verify.OK {
			t.Errorf("verify %s: %s %s", ch.Name, ch.Status, ch.Detail)
		}
	}
	if len(r.Checks) != 3 {
		t.Errorf("verify checks: %+v", r.Checks)
	}
	rep, err := (&operation.Verify{Configuration: in.configuration(), Only: []verify.Area{verify.AreaS3}}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range rep.Checks {
		if ch.Name == "Pod Identity role permissions" && ch.Status != verify.OK {
			t.Errorf("role check: %s %s", ch.Status, ch.Detail)
		}
	}
	if !hasCheck(rep, "Pod Identity role permissions") {
		t.Errorf("no Pod Identity role check: %+v", rep.Checks)
	}
	// An association pointing elsewhere fails verify.
	r = &verify.Report{}
	verify.CheckAssociations(ctx, r, verify.AssociationsInput{EKS: in.clients.EKS, Cluster: c.Cluster, Want: []identity.Association{
		{ServiceAccount: identity.ServiceAccount{Namespace: "kubeflow", Name: "ml-pipeline"}, RoleARN: rec.Outputs.ProfileRoleARN},
		{ServiceAccount: identity.ServiceAccount{Namespace: "team-x", Name: "default-editor"}},
	}})
	if fails := countStatus(r, verify.Fail); fails != 2 {
		t.Errorf("verify against wrong bindings: %d failures in %+v", fails, r.Checks)
	}

	res, err := in.down(ctx, in.configuration())
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	if n := len(in.associationsOf(ctx)); n != 0 {
		t.Errorf("%d associations left after down", n)
	}
	if _, err := in.clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: &c.Cluster,
		AddonName: aws.String("eks-pod-identity-agent")}); err == nil {
		t.Error("the agent kfaws installed is still there after down")
	}
	if r, _ := res.Plan.Resource(plan.KeyPodIdentityAgent); r.Action != plan.Delete {
		t.Errorf("down's agent decision: %+v", r)
	}
	st, _ = state.Open(c.StatePath())
	for k, r := range st.Snapshot().Resources {
		if r.Owned {
			t.Errorf("state still records %s after down: %+v", k, r)
		}
	}
}

func hasCheck(r *verify.Report, name string) bool {
	for _, c := range r.Checks {
		if c.Name == name {
			return true
		}
	}
	return false
}

func countStatus(r *verify.Report, s verify.Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// An association someone else made for one of kfaws's service accounts to another role is a conflict: up
// changes nothing, and down, after an install, leaves that association and an agent it did not install alone.
func TestPodIdentityForeignAssociationAndAgent(t *testing.T) {
	in := newInstall(t, podIdentity, func(c *config.Config) { c.Option = config.OptionS3Only })
	ctx := context.Background()
	c := in.cfg
	if _, err := in.clients.EKS.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: &c.Cluster,
		AddonName: aws.String("eks-pod-identity-agent")}); err != nil {
		t.Fatal(err)
	}
	other := "arn:aws:iam::123456789012:role/someone-elses-" + c.Name
	made, err := in.clients.EKS.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{
		ClusterName: &c.Cluster, Namespace: aws.String("kubeflow"), ServiceAccount: aws.String("ml-pipeline-ui"), RoleArn: &other})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = in.up(ctx, nil)
	var conflict *operation.ConflictError
	if !errors.As(err, &conflict) || len(conflict.Conflicts) != 1 || conflict.Conflicts[0].Key != "eks/pod-identity/kubeflow/ml-pipeline-ui" {
		t.Fatalf("up: %v", err)
	}
	if n := len(in.associationsOf(ctx)); n != 1 {
		t.Errorf("a refused up created associations: %v", in.associationsOf(ctx))
	}

	// Freed, up binds the account itself; down removes only what it made.
	if _, err := in.clients.EKS.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{
		ClusterName: &c.Cluster, AssociationId: made.Association.AssociationId}); err != nil {
		t.Fatal(err)
	}
	p := in.plan(ctx)
	if r, _ := p.Resource(plan.KeyPodIdentityAgent); r.Action != plan.Exists || r.Owned {
		t.Errorf("the user's agent: %+v", r)
	}
	in.mustUp(ctx)
	mine, err := in.clients.EKS.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{
		ClusterName: &c.Cluster, Namespace: aws.String("team"), ServiceAccount: aws.String("app"), RoleArn: &other})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.down(ctx, in.configuration()); err != nil {
		t.Fatalf("down: %v", err)
	}
	left := in.associationsOf(ctx)
	if len(left) != 1 || left["team/app"] == "" {
		t.Errorf("after down: %v, want only the user's team/app (%s)", left, aws.ToString(mine.Association.AssociationId))
	}
	if _, err := in.clients.EKS.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: &c.Cluster,
		AddonName: aws.String("eks-pod-identity-agent")}); err != nil {
		t.Errorf("down removed an agent kfaws did not install: %v", err)
	}
}

// An IRSA and a Pod Identity installation in one account, each on its own cluster: neither sees the other's
// resources as its own or in conflict, and tearing one down leaves the other complete.
func TestIRSAAndPodIdentitySideBySide(t *testing.T) {
	ctx := context.Background()
	irsa := newInstall(t, func(c *config.Config) { c.Option = config.OptionS3Only })
	pi := newInstall(t, podIdentity, func(c *config.Config) { c.Option = config.OptionS3Only })
	irsa.mustUp(ctx)
	pi.mustUp(ctx)

	if doc := irsa.trustOf(ctx, irsa.cfg.IAM.BackendRoleName); !strings.Contains(doc, "system:serviceaccount:kubeflow:ml-pipeline") {
		t.Errorf("IRSA role trust: %s", doc)
	}
	if doc := pi.trustOf(ctx, pi.cfg.IAM.BackendRoleName); !(identity.PodIdentity{}).Trusts(doc, identity.ServiceAccount{}) {
		t.Errorf("Pod Identity role trust: %s", doc)
	}
	if got := irsa.associationsOf(ctx); len(got) != 0 {
		t.Errorf("the IRSA installation's cluster has associations: %v", got)
	}
	if got := pi.associationsOf(ctx); len(got) != 3 {
		t.Errorf("the Pod Identity installation's associations: %v", got)
	}
	for _, in := range []*install{irsa, pi} {
		if p := in.plan(ctx); p.HasChanges() || len(p.Conflicts()) > 0 {
			t.Errorf("%s (%s): plan after both ups: steps %+v conflicts %+v", in.cfg.Name, in.cfg.Identity, p.Steps, p.Conflicts())
		}
	}

	if _, err := pi.down(ctx, pi.configuration()); err != nil {
		t.Fatalf("down pod-identity: %v", err)
	}
	if p := irsa.plan(ctx); p.HasChanges() {
		t.Errorf("the IRSA installation after the other's down: %+v", p.Steps)
	}
	if _, err := irsa.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &irsa.cfg.IAM.BackendRoleName}); err != nil {
		t.Errorf("the IRSA installation's role is gone: %v", err)
	}
}
