package operation_test

import (
	"context"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/verify"
)

func s3Only(c *config.Config) { c.Option = config.OptionS3Only }

// discovering is the install's configuration reading profiles from k, as the CLI's plan, up and down do.
func (in *install) discovering(k *kube.Client) *operation.Configuration {
	conf := in.on(k)
	conf.DiscoverProfiles = true
	return conf
}

// inlinePolicy reads a role's inline policy, decoded.
func (in *install) inlinePolicy(ctx context.Context, role, name string) string {
	in.t.Helper()
	out, err := in.clients.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: &name})
	if err != nil {
		in.t.Fatalf("inline policy %s of %s: %v", name, role, err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(out.PolicyDocument))
	return doc
}

// unlabel makes ns no profile namespace any more (its Profile deleted, as far as KFP is concerned).
func unlabel(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	delete(n.Labels, "pipelines.kubeflow.org/enabled")
	if _, err := cs.CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// IRSA on the local stack and a real apiserver with two profiles besides the configured one: up finds them and
// gives each a role of its own, trusted by its default-editor only and allowed its own prefix only, and records
// them for render; a second plan has nothing to do; a profile that goes keeps its role (an orphan) until down,
// which deletes every profile role.
func TestUpConfinesEveryProfileIRSA(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	k := env.Client(t)
	cs := kubernetes.NewForConfigOrDie(k.Config)
	ctx := context.Background()
	for _, ns := range []string{"team-a", "team-b"} {
		kubetest.CreateProfile(ctx, t, cs, ns)
	}
	in := newInstall(t, s3Only)
	c := in.cfg
	res, err := (&operation.Up{Configuration: in.discovering(k), Reporter: &recorder{}}).Run(ctx)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	want := []string{"kubeflow-user-example-com", "team-a", "team-b"}
	if got := slices.Sorted(maps.Keys(res.Plan.ProfileRoles)); !slices.Equal(got, want) {
		t.Fatalf("profiles %v, want %v", got, want)
	}
	outputs := in.configuration().State.Snapshot().Outputs
	for _, ns := range want {
		role := c.ProfileRoleFor(ns)
		if outputs.ProfileRoleARNs[ns] != "arn:aws:iam::123456789012:role/"+role {
			t.Errorf("state records %q for %s", outputs.ProfileRoleARNs[ns], ns)
		}
		trust := in.trustOf(ctx, role)
		irsa := res.Plan.Binding
		for _, other := range want {
			if got := irsa.Trusts(trust, identity.ServiceAccount{Namespace: other, Name: "default-editor"}); got != (other == ns) {
				t.Errorf("role %s trusts %s/default-editor: %t", role, other, got)
			}
		}
		if doc := in.inlinePolicy(ctx, role, plan.ProfilePolicyName); !plan.SameGrants(doc, plan.ProfilePolicy("aws", c.Region, c.S3.Bucket, "", ns)) {
			t.Errorf("role %s has policy %s", role, doc)
		}
		att, err := in.clients.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &role})
		if err != nil || len(att.AttachedPolicies) != 0 {
			t.Errorf("role %s has attached policies %+v (%v), want none", role, att, err)
		}
	}
	if p, err := (&operation.Plan{Configuration: in.discovering(k)}).Run(ctx); err != nil || p.Plan.HasChanges() {
		t.Fatalf("plan after up: %v %+v", err, p)
	}
	// verify evaluates each profile's role: its own prefix, no other's.
	r, err := (&operation.Verify{Configuration: in.configuration(), Only: []verify.Area{verify.AreaS3}}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCheck(t, r, "profile team-a S3 access", verify.OK, "private-artifacts/team-a/")
	wantCheck(t, r, "profile team-b S3 access", verify.OK, "private-artifacts/team-b/")
	wantCheck(t, r, "profile kubeflow-user-example-com S3 access", verify.OK, "private-artifacts/kubeflow-user-example-com/")

	unlabel(ctx, t, cs, "team-b")
	p, err := (&operation.Plan{Configuration: in.discovering(k)}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Plan.Resource("iam/profile-role/team-b"); r.Action != plan.Orphan || p.Plan.HasChanges() {
		t.Errorf("team-b gone: %+v, changes %t", r, p.Plan.HasChanges())
	}
	// up keeps the orphan and its record, so that down still finds it.
	if _, err := (&operation.Up{Configuration: in.discovering(k), Reporter: &recorder{}}).Run(ctx); err != nil {
		t.Fatalf("up after team-b went: %v", err)
	}
	if r := in.configuration().State.Snapshot().Resources["iam/profile-role/team-b"]; r.ID != c.ProfileRoleFor("team-b") || !r.Owned {
		t.Errorf("state record of team-b's role after up: %+v", r)
	}
	if got := in.configuration().State.Snapshot().Outputs.ProfileRoleARNs; len(got) != 2 || got["team-b"] != "" {
		t.Errorf("recorded profiles after team-b went: %v", got)
	}

	if _, err := in.down(ctx, in.discovering(k)); err != nil {
		t.Fatalf("down: %v", err)
	}
	for _, ns := range want {
		if _, err := in.clients.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(c.ProfileRoleFor(ns))}); err == nil {
			t.Errorf("role of %s left after down", ns)
		}
	}
	for k := range in.configuration().State.Snapshot().Resources {
		if k == plan.KeyProfileRole || strings.HasPrefix(k, plan.KeyProfileRolePrefix) {
			t.Errorf("state after down still records %s", k)
		}
	}
}

// Pod Identity: one profile role with the namespace session-tag policy, and an association for every
// profile's default-editor with it.
func TestUpConfinesEveryProfilePodIdentity(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	k := env.Client(t)
	cs := kubernetes.NewForConfigOrDie(k.Config)
	ctx := context.Background()
	kubetest.CreateProfile(ctx, t, cs, "team-a")
	in := newInstall(t, s3Only, podIdentity)
	c := in.cfg
	if _, err := (&operation.Up{Configuration: in.discovering(k), Reporter: &recorder{}}).Run(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	if doc := in.inlinePolicy(ctx, c.IAM.ProfileRoleName, plan.ProfilePolicyName); !plan.SameGrants(doc,
		plan.ProfilePolicy("aws", c.Region, c.S3.Bucket, "", plan.NamespaceTag)) {
		t.Errorf("profile role policy %s", doc)
	}
	got := in.associationsOf(ctx)
	for _, ns := range []string{"kubeflow-user-example-com", "team-a"} {
		if got[ns+"/default-editor"] != c.IAM.ProfileRoleName+" tag="+c.Name {
			t.Errorf("association of %s: %q", ns, got[ns+"/default-editor"])
		}
	}
	rec := in.configuration().State.Snapshot()
	arn := rec.Outputs.ProfileRoleARN
	if want := map[string]string{"kubeflow-user-example-com": arn, "team-a": arn}; !maps.Equal(rec.Outputs.ProfileRoleARNs, want) {
		t.Errorf("state records %v, want %v", rec.Outputs.ProfileRoleARNs, want)
	}
	if _, ok := rec.Resources["iam/profile-role/team-a"]; ok {
		t.Error("a role of its own for team-a under Pod Identity")
	}
	if p, err := (&operation.Plan{Configuration: in.discovering(k)}).Run(ctx); err != nil || p.Plan.HasChanges() {
		t.Fatalf("plan after up: %v %+v", err, p)
	}
	r, err := (&operation.Verify{Configuration: in.configuration(), Only: []verify.Area{verify.AreaS3}}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCheck(t, r, "profile team-a S3 access", verify.OK, "private-artifacts/team-a/")
	wantCheck(t, r, "profile kubeflow-user-example-com S3 access", verify.OK, "private-artifacts/kubeflow-user-example-com/")
}
