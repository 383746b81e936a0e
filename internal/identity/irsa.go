package identity

import (
	"strings"

	"github.com/kfaws/kfaws/internal/policy"
)

// RoleARNAnnotation is the ServiceAccount annotation that EKS's pod identity webhook reads to give a pod the
// role's web identity credentials (amazon-eks-pod-identity-webhook).
const RoleARNAnnotation = "eks.amazonaws.com/role-arn"

// Audience is the audience of the projected token IRSA exchanges with STS; the OIDC provider lists it as its
// client id.
const Audience = "sts.amazonaws.com"

// IRSA binds service accounts to roles through the cluster's OIDC issuer: the role trusts the IAM OIDC provider
// registered for the issuer, for one token subject, and the ServiceAccount names the role in an annotation.
type IRSA struct {
	// Issuer is the cluster's OIDC issuer URL (https://oidc.eks.REGION.amazonaws.com/id/ID).
	Issuer string
	// ProviderARN is the ARN of the IAM OIDC provider registered for Issuer.
	ProviderARN string
}

var _ Binding = IRSA{}

// Kind is "IRSA".
func (IRSA) Kind() string { return "IRSA" }

// IssuerHost is the issuer without its scheme, the prefix of the trust policy's condition keys.
func (b IRSA) IssuerHost() string { return strings.TrimPrefix(b.Issuer, "https://") }

// TrustPolicy lets exactly the accounts sas assume the role with a token of the cluster's issuer meant for STS,
// one statement per account.
func (b IRSA) TrustPolicy(sas ...ServiceAccount) string {
	host := b.IssuerHost()
	d := policy.Document{Version: policy.Version}
	for _, sa := range sas {
		d.Statement = append(d.Statement, policy.Statement{
			Effect:    "Allow",
			Principal: map[string]string{"Federated": b.ProviderARN},
			Action:    []string{"sts:AssumeRoleWithWebIdentity"},
			Condition: map[string]map[string]string{"StringEquals": {
				host + ":aud": Audience,
				host + ":sub": sa.Subject(),
			}},
		})
	}
	return d.String()
}

// Trusts reports whether doc names sa's token subject, as a whole name: ml-pipeline-ui's subject does not name
// ml-pipeline's. It is the rule kfaws has always applied; it does not check which issuer the trust names.
func (IRSA) Trusts(doc string, sa ServiceAccount) bool {
	subject := sa.Subject()
	for rest := doc; ; {
		i := strings.Index(rest, subject)
		if i < 0 {
			return false
		}
		rest = rest[i+len(subject):]
		if rest == "" || !nameByte(rest[0]) {
			return true
		}
	}
}

// nameByte says whether c can continue a Kubernetes name (DNS label characters and dots).
func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.'
}

// Annotations name the role on the ServiceAccount.
func (IRSA) Annotations(roleARN string) map[string]string {
	return map[string]string{RoleARNAnnotation: roleARN}
}

// Associations are none: IRSA binds through the annotation.
func (IRSA) Associations(ServiceAccount, string) []Association { return nil }
