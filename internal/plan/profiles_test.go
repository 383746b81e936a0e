package plan_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/plan/plantest"
	"github.com/kfaws/kfaws/internal/state"
)

// roleSteps are the plan's EnsureRole steps by resource key.
func roleSteps(p *plan.Plan) map[string]plan.EnsureRole {
	out := map[string]plan.EnsureRole{}
	for _, st := range p.Steps {
		if er, ok := st.Params.(plan.EnsureRole); ok {
			out[st.Resource] = er
		}
	}
	return out
}

// Under IRSA every profile the cluster has gets a role of its own, trusted by its default-editor only and
// allowed only its own prefix; the configured profile keeps iam.profileRoleName.
func TestEveryProfileGetsItsOwnIRSARole(t *testing.T) {
	c := plantest.Config("us-west-2")
	s := plantest.Fresh("aws", "us-west-2")
	s.Profiles = observe.Profiles{Discovered: true, Namespaces: []string{"team-a", "team-b"}}
	p, err := plan.Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		c.IAM.ProfileNamespace: plan.KeyProfileRole,
		"team-a":               "iam/profile-role/team-a",
		"team-b":               "iam/profile-role/team-b",
	}
	if !maps.Equal(p.ProfileRoles, want) {
		t.Fatalf("profile roles %v, want %v", p.ProfileRoles, want)
	}
	steps := roleSteps(p)
	for ns, key := range want {
		er, ok := steps[key]
		if !ok {
			t.Errorf("no role step for %s", ns)
			continue
		}
		if er.Name != c.ProfileRoleFor(ns) || er.ServiceAccount != (identity.ServiceAccount{Namespace: ns, Name: "default-editor"}) {
			t.Errorf("%s: role %q for %s", ns, er.Name, er.ServiceAccount)
		}
		if len(er.AttachPolicies) != 0 || len(er.InlinePolicies) != 1 || er.InlinePolicies[0].Name != plan.ProfilePolicyName {
			t.Errorf("%s: %+v, want only the profile's inline policy", ns, er)
			continue
		}
		doc := er.InlinePolicies[0].Document
		if doc != plan.ProfilePolicy("aws", "us-west-2", c.S3.Bucket, "", ns) {
			t.Errorf("%s: policy %s", ns, doc)
		}
		trust := er.Binding.TrustPolicy(er.ServiceAccount)
		for other := range want {
			if other != ns && er.Binding.Trusts(trust, identity.ServiceAccount{Namespace: other, Name: "default-editor"}) {
				t.Errorf("role of %s trusts %s's default-editor", ns, other)
			}
		}
	}
	if r, _ := p.Resource("iam/profile-role/team-a"); r.Action != plan.Create || r.Name != "kfaws-prod-kfp-profile-team-a" {
		t.Errorf("team-a's role line: %+v", r)
	}
}

// A profile role kfaws attached the bucket-wide policy to, before it confined profiles, is updated: the policy
// detached, the inline policy written.
func TestBucketWideProfileRoleIsConfined(t *testing.T) {
	c := plantest.Config("us-west-2")
	s := plantest.Fresh("aws", "us-west-2")
	p0, err := plan.Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	er := roleSteps(p0)[plan.KeyProfileRole]
	bucketWide := p0.ARNs().Policy(c.IAM.S3PolicyName)
	s.ProfileRole = observe.Role{Presence: observe.Presence{Exists: true, Installation: plantest.Installation},
		TrustPolicy: er.Binding.TrustPolicy(er.ServiceAccount), AttachedPolicies: []string{bucketWide}}
	p, err := plan.Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.Resource(plan.KeyProfileRole)
	if r.Action != plan.Update || !strings.Contains(r.Detail, "bucket-wide policy detached") {
		t.Errorf("profile role: %+v", r)
	}
	if got := roleSteps(p)[plan.KeyProfileRole]; !slices.Equal(got.DetachPolicies, []string{bucketWide}) {
		t.Errorf("detaches %v", got.DetachPolicies)
	}
	// Once confined, nothing is left to do for it.
	s.ProfileRole.AttachedPolicies = nil
	s.ProfileRole.InlineDocuments = map[string]string{plan.ProfilePolicyName: er.InlinePolicies[0].Document}
	if p, err = plan.Build(c, s, state.State{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource(plan.KeyProfileRole); r.Action != plan.Exists {
		t.Errorf("confined profile role: %+v", r)
	}
}

// Under Pod Identity one role serves every profile through the namespace session tag, and each profile's
// default-editor gets an association with it.
func TestPodIdentityProfilesShareOneTaggedRole(t *testing.T) {
	c := plantest.Config("us-west-2", plantest.PodIdentity)
	s := plantest.Fresh("aws", "us-west-2")
	s.Profiles = observe.Profiles{Discovered: true, Namespaces: []string{"team-a", "team-b"}}
	p, err := plan.Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	steps := roleSteps(p)
	er := steps[plan.KeyProfileRole]
	if len(er.InlinePolicies) != 1 || er.InlinePolicies[0].Document != plan.ProfilePolicy("aws", "us-west-2", c.S3.Bucket, "", plan.NamespaceTag) {
		t.Errorf("profile role: %+v", er)
	}
	for k := range steps {
		if strings.HasPrefix(k, plan.KeyProfileRolePrefix) {
			t.Errorf("a role per profile under Pod Identity: %s", k)
		}
	}
	for _, ns := range []string{c.IAM.ProfileNamespace, "team-a", "team-b"} {
		if r, _ := p.Resource("eks/pod-identity/" + ns + "/default-editor"); r.Action != plan.Create || !strings.Contains(r.Detail, c.IAM.ProfileRoleName) {
			t.Errorf("association of %s: %+v", ns, r)
		}
	}
}

// A profile gone from the cluster keeps its role (an orphan: up never deletes it), and down deletes it; a role of
// that name kfaws did not create is neither.
func TestRoleOfAGoneProfile(t *testing.T) {
	c := plantest.Config("us-west-2")
	name := c.ProfileRoleFor("team-a")
	arn := "arn:aws:iam::123456789012:role/" + name
	rec := state.State{Resources: map[string]state.Resource{
		"iam/profile-role/team-a": {Kind: "IAM role", ID: name, ARN: arn, Owned: true}},
		Outputs: state.Outputs{ProfileRoleARNs: map[string]string{"team-a": arn}}}
	s := plantest.Fresh("aws", "us-west-2")
	s.Profiles = observe.Profiles{Discovered: true}
	if got := plan.ProfileRolesToObserve(c, s.Profiles, rec); !slices.Equal(got, []string{name}) {
		t.Fatalf("observes %v, want the recorded role", got)
	}
	s.ProfileRoles = map[string]observe.Role{name: {Presence: observe.Presence{Exists: true, ARN: arn, Installation: plantest.Installation}}}
	p, err := plan.Build(c, s, rec)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource("iam/profile-role/team-a"); r.Action != plan.Orphan || !r.Owned {
		t.Errorf("gone profile's role: %+v", r)
	}
	if _, ok := roleSteps(p)["iam/profile-role/team-a"]; ok {
		t.Error("up changes the gone profile's role")
	}
	d := plan.BuildDown(c, s, rec, plan.DownOptions{})
	if r, _ := d.Resource("iam/profile-role/team-a"); r.Action != plan.Delete {
		t.Errorf("down: %+v", r)
	}
	var deletes []string
	for _, st := range d.Steps {
		if dr, ok := st.Params.(plan.DeleteRole); ok {
			deletes = append(deletes, dr.Name)
		}
	}
	if !slices.Contains(deletes, name) {
		t.Errorf("down deletes roles %v, not %q", deletes, name)
	}

	// Without the cluster the recorded profile keeps its role as it is.
	s.Profiles = observe.Profiles{Why: "no route to host"}
	if p, err = plan.Build(c, s, rec); err != nil {
		t.Fatal(err)
	}
	if p.ProfileRoles["team-a"] != "iam/profile-role/team-a" {
		t.Errorf("recorded profile dropped without the cluster: %v", p.ProfileRoles)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "no route to host") }) {
		t.Errorf("warnings %q do not say the cluster was not read", p.Warnings)
	}
	// Once an up has left it out (the cluster read, team-a gone), a later plan without the cluster does not bring
	// it back: the state's role record is an orphan's, not a profile's.
	rec.Outputs.ProfileRoleARNs = map[string]string{c.IAM.ProfileNamespace: "arn:aws:iam::123456789012:role/" + c.IAM.ProfileRoleName}
	if p, err = plan.Build(c, s, rec); err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource("iam/profile-role/team-a"); r.Action != plan.Orphan || p.ProfileRoles["team-a"] != "" {
		t.Errorf("gone profile without the cluster: %+v, profiles %v", r, p.ProfileRoles)
	}

	// Not kfaws's: an untagged role of that name the state does not record is neither kept nor deleted.
	s.ProfileRoles[name] = observe.Role{Presence: observe.Presence{Exists: true, ARN: "arn:aws:iam::123456789012:role/other"}}
	s.Profiles = observe.Profiles{Discovered: true, Namespaces: []string{"team-a"}}
	d = plan.BuildDown(c, s, state.State{}, plan.DownOptions{})
	if r, _ := d.Resource("iam/profile-role/team-a"); r.Action != plan.Keep {
		t.Errorf("down of a role kfaws did not create: %+v", r)
	}
}

func TestProfileRoleNamesFitIAM(t *testing.T) {
	c := plantest.Config("us-west-2")
	long1, long2 := strings.Repeat("a", 60)+"-one", strings.Repeat("a", 60)+"-two"
	n1, n2 := c.ProfileRoleFor(long1), c.ProfileRoleFor(long2)
	if len(n1) > 64 || len(n2) > 64 || n1 == n2 {
		t.Errorf("%q and %q", n1, n2)
	}
	if got := c.ProfileRoleFor(c.IAM.ProfileNamespace); got != c.IAM.ProfileRoleName {
		t.Errorf("configured profile's role %q", got)
	}
	// Static keys confine nothing: no role is planned for any profile.
	c.S3.Credentials = config.CredentialsStatic
	if got := plan.ProfileRolesToObserve(c, observe.Profiles{Discovered: true, Namespaces: []string{"team-a"}}, state.State{}); len(got) != 0 {
		t.Errorf("static: observes %v", got)
	}
}

// A new iam.profileRoleName: each profile gets a role under the new name, the old one is kept as an orphan under
// its own key (so the new role's record does not overwrite it), and down deletes both.
func TestRenamedProfileRoles(t *testing.T) {
	c := plantest.Config("us-west-2")
	old := c.ProfileRoleFor("team-a")
	rec := state.State{Resources: map[string]state.Resource{
		"iam/profile-role/team-a": {Kind: "IAM role", ID: old, ARN: "arn:aws:iam::123456789012:role/" + old, Owned: true}}}
	c.IAM.ProfileRoleName = "kfaws-prod-profiles-v2"
	renamed := c.ProfileRoleFor("team-a")
	s := plantest.Fresh("aws", "us-west-2")
	s.Profiles = observe.Profiles{Discovered: true, Namespaces: []string{"team-a"}}
	if got := plan.ProfileRolesToObserve(c, s.Profiles, rec); !slices.Equal(got, slices.Sorted(slices.Values([]string{old, renamed}))) {
		t.Fatalf("observes %v, want %s and %s", got, old, renamed)
	}
	ours := observe.Presence{Exists: true, Installation: plantest.Installation}
	s.ProfileRoles = map[string]observe.Role{old: {Presence: ours}}
	p, err := plan.Build(c, s, rec)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := p.Resource("iam/profile-role/team-a"); r.Action != plan.Create || r.Name != renamed {
		t.Errorf("new role: %+v", r)
	}
	if r, _ := p.Resource(plan.OrphanKey("iam/profile-role/team-a", old)); r.Action != plan.Orphan || r.Name != old {
		t.Errorf("old role: %+v", r)
	}
	// After up: the old record under its orphan key, the new one under the key.
	rec.Resources[plan.OrphanKey("iam/profile-role/team-a", old)] = rec.Resources["iam/profile-role/team-a"]
	rec.Resources["iam/profile-role/team-a"] = state.Resource{Kind: "IAM role", ID: renamed, Owned: true}
	s.ProfileRoles[renamed] = observe.Role{Presence: ours}
	d := plan.BuildDown(c, s, rec, plan.DownOptions{})
	var deletes []string
	for _, st := range d.Steps {
		if dr, ok := st.Params.(plan.DeleteRole); ok {
			deletes = append(deletes, dr.Name)
		}
	}
	if !slices.Contains(deletes, old) || !slices.Contains(deletes, renamed) {
		t.Errorf("down deletes %v, want %s and %s", deletes, old, renamed)
	}
}

// A profile whose derived role name is another of kfaws's roles is a conflict naming the field to change, not a
// role two decisions fight over.
func TestProfileRoleNamedLikeAnotherRole(t *testing.T) {
	c := plantest.Config("us-west-2")
	c.IAM.BackendRoleName = strings.ToUpper(c.ProfileRoleFor("team-a"))
	s := plantest.Fresh("aws", "us-west-2")
	s.Profiles = observe.Profiles{Discovered: true, Namespaces: []string{"team-a"}}
	p, err := plan.Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.Resource("iam/profile-role/team-a")
	if r.Action != plan.Conflict || r.Field != "iam.profileRoleName" || !strings.Contains(r.Detail, "iam.backendRoleName") {
		t.Errorf("profile role named like the backend role: %+v", r)
	}
}

// Profiles read through a kubeconfig that points at another EKS cluster are not this installation's: none is
// planned from them, and the plan says why. The configured cluster's own endpoint is taken.
func TestProfilesOfAnotherEKSCluster(t *testing.T) {
	c := plantest.Config("us-west-2")
	s := plantest.Fresh("aws", "us-west-2")
	s.Cluster.Endpoint = "https://ABCDEF.gr7.us-west-2.eks.amazonaws.com"
	s.Profiles = observe.Profiles{Discovered: true, Namespaces: []string{"team-a"}, Host: "https://123456.yl4.us-west-2.eks.amazonaws.com"}
	p, err := plan.Build(c, s, state.State{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.ProfileRoles["team-a"]; ok {
		t.Error("a role planned for a profile of another cluster")
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "123456.yl4") && strings.Contains(w, "ABCDEF.gr7") }) {
		t.Errorf("warnings %q do not name both clusters", p.Warnings)
	}
	s.Profiles.Host = "https://abcdef.gr7.us-west-2.eks.amazonaws.com:443"
	if p, err = plan.Build(c, s, state.State{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.ProfileRoles["team-a"]; !ok {
		t.Error("no role for a profile of the configured cluster")
	}
}
