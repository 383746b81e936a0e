package identity

import (
	"strings"
	"testing"
)

func TestIRSATrustPolicy(t *testing.T) {
	b := IRSA{Issuer: "https://oidc.example/id/X", ProviderARN: "arn:aws:iam::1:oidc-provider/oidc.example/id/X"}
	sa := ServiceAccount{Namespace: "kubeflow", Name: "ml-pipeline"}
	tr := b.TrustPolicy(sa)
	if !strings.Contains(tr, `"oidc.example/id/X:sub":"system:serviceaccount:kubeflow:ml-pipeline"`) || !strings.Contains(tr, `"oidc.example/id/X:aud":"sts.amazonaws.com"`) {
		t.Errorf("trust policy: %s", tr)
	}
	if !strings.Contains(tr, `"Federated":"arn:aws:iam::1:oidc-provider/oidc.example/id/X"`) || !strings.Contains(tr, `"sts:AssumeRoleWithWebIdentity"`) {
		t.Errorf("trust policy: %s", tr)
	}
	if !b.Trusts(tr, sa) {
		t.Error("the trust policy IRSA writes does not trust its own service account")
	}
	if b.Trusts(tr, ServiceAccount{Namespace: "kubeflow", Name: "other"}) || b.Trusts(`{"Statement":[]}`, sa) {
		t.Error("trusts an account the policy does not name")
	}
	// KFP's UI shares the API server's role: one statement per account, each trusted, and a name that only
	// starts another's is not trusted.
	ui := ServiceAccount{Namespace: "kubeflow", Name: "ml-pipeline-ui"}
	both := b.TrustPolicy(sa, ui)
	if !b.Trusts(both, sa) || !b.Trusts(both, ui) || strings.Count(both, "sts:AssumeRoleWithWebIdentity") != 2 {
		t.Errorf("trust policy for two accounts: %s", both)
	}
	if b.Trusts(b.TrustPolicy(ui), sa) {
		t.Error("a trust of ml-pipeline-ui counts as trusting ml-pipeline")
	}
}

func TestIRSABindsByAnnotation(t *testing.T) {
	b := IRSA{}
	if got := b.Annotations("arn:aws-cn:iam::1:role/r"); len(got) != 1 || got["eks.amazonaws.com/role-arn"] != "arn:aws-cn:iam::1:role/r" {
		t.Errorf("annotations: %v", got)
	}
	if a := b.Associations(ServiceAccount{"kubeflow", "ml-pipeline"}, "arn:aws:iam::1:role/r"); len(a) != 0 {
		t.Errorf("IRSA needs no EKS associations, got %v", a)
	}
	if s := (ServiceAccount{"kubeflow", "ml-pipeline"}); s.String() != "kubeflow/ml-pipeline" || s.Subject() != "system:serviceaccount:kubeflow:ml-pipeline" {
		t.Errorf("%s %s", s, s.Subject())
	}
}
