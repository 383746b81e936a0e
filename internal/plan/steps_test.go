package plan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/plan/plantest"
)

// Every step carries the parameters of one of the kinds plan lists, and the scenarios reach every listed kind,
// so the list execute is held to is the list of what Build emits.
func TestStepsCarryParamsOfListedKinds(t *testing.T) {
	listed := plan.StepKinds()
	seen := map[plan.StepKind]bool{}
	for _, sc := range plantest.Scenarios() {
		p, err := plan.Build(sc.Config, sc.Snapshot, sc.Recorded)
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		if len(p.Conflicts()) > 0 {
			t.Errorf("%s: conflicts %+v", sc.Name, p.Conflicts())
		}
		for _, s := range p.Steps {
			if s.Params == nil {
				t.Errorf("%s: step %s has no params", sc.Name, s.ID)
				continue
			}
			if !slices.Contains(listed, s.Kind()) {
				t.Errorf("%s: step %s is of kind %q, which StepKinds does not list", sc.Name, s.ID, s.Kind())
			}
			seen[s.Kind()] = true
		}
	}
	for _, td := range plantest.Teardowns("aws", "us-west-2") {
		p := plan.BuildDown(td.Config, td.Snapshot, td.Recorded, plan.DownOptions{DeleteData: td.DeleteData, FinalSnapshot: td.FinalSnapshot})
		for _, s := range p.Steps {
			if !slices.Contains(listed, s.Kind()) || !s.Kind().Deletes() {
				t.Errorf("%s: step %s is of kind %q, which StepKinds does not list as a deletion", td.Name, s.ID, s.Kind())
			}
			seen[s.Kind()] = true
		}
	}
	for _, k := range listed {
		if !seen[k] {
			t.Errorf("no scenario emits a %s step: add one to plantest", k)
		}
	}
	unique := map[plan.StepKind]bool{}
	for _, k := range listed {
		if unique[k] {
			t.Errorf("kind %s listed twice", k)
		}
		unique[k] = true
	}
}

// What plan decided is in the params, so execute has nothing to work out: the roles' accounts, policies and
// binding, the subnets and ingress of the database.
func TestParamsCarryDecisions(t *testing.T) {
	sc := plantest.Scenarios()[0]
	p, err := plan.Build(sc.Config, sc.Snapshot, sc.Recorded)
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]plan.Params{}
	for _, s := range p.Steps {
		params[s.ID] = s.Params
	}
	backend := params[plan.KeyBackendRole+":create"].(plan.EnsureRole)
	if backend.Name != sc.Config.IAM.BackendRoleName || backend.ServiceAccount != (identity.ServiceAccount{Namespace: "kubeflow", Name: "ml-pipeline"}) ||
		!slices.Equal(backend.AttachPolicies, []string{"arn:aws:iam::123456789012:policy/" + sc.Config.IAM.S3PolicyName}) {
		t.Errorf("backend role: %+v", backend)
	}
	profile := params[plan.KeyProfileRole+":create"].(plan.EnsureRole)
	if profile.ServiceAccount != (identity.ServiceAccount{Namespace: sc.Config.IAM.ProfileNamespace, Name: "default-editor"}) {
		t.Errorf("profile role: %+v", profile)
	}
	secrets := params[plan.KeySecretsRole+":create"].(plan.EnsureRole)
	if len(secrets.InlinePolicies) != 1 || secrets.InlinePolicies[0].Name != plan.SecretsInlinePolicy ||
		!strings.Contains(secrets.InlinePolicies[0].Document, ":secret:"+sc.Config.RDS.SecretName+"-??????") {
		t.Errorf("secrets role: %+v", secrets)
	}
	irsa, ok := secrets.Binding.(identity.IRSA)
	if !ok || irsa.Issuer != sc.Snapshot.Cluster.OIDCIssuer ||
		irsa.ProviderARN != "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC" {
		t.Errorf("binding: %#v", secrets.Binding)
	}
	if sg := params[plan.KeySubnetGroup+":create"].(plan.CreateSubnetGroup); !slices.Equal(sg.Subnets, p.DBSubnets) {
		t.Errorf("subnet group %+v, plan chose %v", sg, p.DBSubnets)
	}
	if sg := params[plan.KeySecurityGroup+":create"].(plan.CreateSecurityGroup); !slices.Equal(sg.Ingress, []string{"sg-cluster"}) || sg.VPCID != "vpc-1" {
		t.Errorf("security group %+v", sg)
	}
	if in := params[plan.KeyInstance+":create"].(plan.CreateInstance); in.SecurityGroupID != "" || in.Identifier != sc.Config.RDS.InstanceName {
		t.Errorf("a fresh instance joins the group this run creates: %+v", in)
	}
	if sec := params[plan.KeyRDSSecret+":create"].(plan.CreateRDSSecret); !sec.Generate {
		t.Errorf("no password configured, yet the secret step does not generate one: %+v", sec)
	}
}

// In GovCloud and China every ARN plan forms, in resources and in the documents and params of its steps, is in
// that partition.
func TestARNsInThePartition(t *testing.T) {
	for _, c := range []struct{ partition, region string }{{"aws-us-gov", "us-gov-west-1"}, {"aws-cn", "cn-north-1"}} {
		for _, sc := range plantest.ScenariosIn(c.partition, c.region) {
			p, err := plan.Build(sc.Config, sc.Snapshot, sc.Recorded)
			if err != nil {
				t.Fatalf("%s %s: %v", c.partition, sc.Name, err)
			}
			check := func(what, s string) {
				for _, part := range strings.Split(s, `"`) {
					if strings.HasPrefix(part, "arn:") && !strings.HasPrefix(part, "arn:"+c.partition+":") {
						t.Errorf("%s %s: %s has %q", c.partition, sc.Name, what, part)
					}
				}
			}
			for _, r := range p.Resources {
				check(r.Key, `"`+r.ARN+`"`)
			}
			for _, s := range p.Steps {
				switch v := s.Params.(type) {
				case plan.CreatePolicy:
					check(s.ID, v.Document)
				case plan.EnsureRole:
					check(s.ID, `"`+strings.Join(v.AttachPolicies, `"`)+`"`)
					for _, in := range v.InlinePolicies {
						check(s.ID, in.Document)
					}
					check(s.ID, v.Binding.TrustPolicy(v.ServiceAccount))
				}
			}
		}
	}
}
