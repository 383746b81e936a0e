// Package identity is how a Kubernetes service account gets AWS credentials: the trust an IAM role needs so the
// account can assume it, and how the account is bound to the role: IRSA (IAM roles for service accounts: trust
// in the cluster's OIDC provider, an annotation on the ServiceAccount) or EKS Pod Identity (trust in
// pods.eks.amazonaws.com, an association in the EKS API).
package identity

// ServiceAccount is a Kubernetes service account.
type ServiceAccount struct {
	Namespace string
	Name      string
}

// String is "namespace/name", as kubectl writes it.
func (s ServiceAccount) String() string { return s.Namespace + "/" + s.Name }

// Subject is the subject of the account's Kubernetes tokens ("system:serviceaccount:NAMESPACE:NAME").
func (s ServiceAccount) Subject() string {
	return "system:serviceaccount:" + s.Namespace + ":" + s.Name
}

// Binding lets service accounts assume IAM roles.
type Binding interface {
	// Kind names the mechanism for messages and role descriptions, e.g. "IRSA".
	Kind() string
	// TrustPolicy is the trust policy (assume-role policy document) that lets exactly the accounts sas assume a
	// role.
	TrustPolicy(sas ...ServiceAccount) string
	// Trusts reports whether an existing role's trust policy document already lets sa assume the role.
	Trusts(doc string, sa ServiceAccount) bool
	// Annotations are what the ServiceAccount object must carry to use roleARN; none when the binding lives
	// outside the cluster.
	Annotations(roleARN string) map[string]string
	// Associations are the bindings to create in EKS (outside the cluster) for sa to use roleARN; none for IRSA.
	Associations(sa ServiceAccount, roleARN string) []Association
}

// Association binds a service account to a role in the EKS API (an EKS Pod Identity association).
type Association struct {
	ServiceAccount ServiceAccount
	RoleARN        string
}
