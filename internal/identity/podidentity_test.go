package identity

import (
	"strings"
	"testing"
)

func TestPodIdentityTrustPolicy(t *testing.T) {
	b := PodIdentity{}
	sa := ServiceAccount{Namespace: "kubeflow", Name: "ml-pipeline"}
	tr := b.TrustPolicy(sa)
	for _, want := range []string{`"Service":"pods.eks.amazonaws.com"`, `"sts:AssumeRole"`, `"sts:TagSession"`} {
		if !strings.Contains(tr, want) {
			t.Errorf("trust policy lacks %s: %s", want, tr)
		}
	}
	if strings.Contains(tr, "Federated") || strings.Contains(tr, "AssumeRoleWithWebIdentity") {
		t.Errorf("pod identity trust names IRSA's principal or action: %s", tr)
	}
	if !b.Trusts(tr, sa) || !b.Trusts(tr, ServiceAccount{Namespace: "team-a", Name: "default-editor"}) {
		t.Error("the trust policy Pod Identity writes is not recognised")
	}
}

func TestPodIdentityTrustsOnlyThePrincipalWithBothActions(t *testing.T) {
	sa := ServiceAccount{Namespace: "kubeflow", Name: "ml-pipeline"}
	irsa := IRSA{Issuer: "https://oidc.example/id/X", ProviderARN: "arn:aws:iam::1:oidc-provider/oidc.example/id/X"}
	for name, doc := range map[string]string{
		"IRSA trust":       irsa.TrustPolicy(sa),
		"no TagSession":    `{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
		"deny":             `{"Statement":[{"Effect":"Deny","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
		"other service":    `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`,
		"everyone":         `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole","sts:TagSession"]}]}`,
		"not a document":   `system:serviceaccount:kubeflow:ml-pipeline`,
		"empty statements": `{"Statement":[]}`,
	} {
		if (PodIdentity{}).Trusts(doc, sa) {
			t.Errorf("%s: trusted %s", name, doc)
		}
	}
	// What a user may have written: the service in a list, the actions as sts:*.
	by := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","pods.eks.amazonaws.com"]},"Action":"sts:*"}]}`
	if !(PodIdentity{}).Trusts(by, sa) {
		t.Errorf("not trusted: %s", by)
	}
	if irsa.Trusts((PodIdentity{}).TrustPolicy(sa), sa) {
		t.Error("IRSA recognises a Pod Identity trust as its own")
	}
}

func TestPodIdentityBindsByAssociation(t *testing.T) {
	b := PodIdentity{}
	if a := b.Annotations("arn:aws:iam::1:role/r"); len(a) != 0 {
		t.Errorf("pod identity annotates nothing, got %v", a)
	}
	sa := ServiceAccount{"team-a", "default-editor"}
	got := b.Associations(sa, "arn:aws:iam::1:role/r")
	if len(got) != 1 || got[0].ServiceAccount != sa || got[0].RoleARN != "arn:aws:iam::1:role/r" {
		t.Errorf("associations: %v", got)
	}
}
