package identity

import (
	"encoding/json"
	"slices"

	"github.com/kfaws/kfaws/internal/policy"
)

// PodIdentityPrincipal is the service principal of EKS Pod Identity: the EKS Pod Identity Agent assumes roles
// that trust it on behalf of the service accounts associated with them.
const PodIdentityPrincipal = "pods.eks.amazonaws.com"

// podIdentityActions are what the trust must allow: sts:TagSession because the agent tags every session with the
// cluster, namespace and service account (eks-cluster-name, kubernetes-namespace, kubernetes-service-account).
var podIdentityActions = []string{"sts:AssumeRole", "sts:TagSession"}

// PodIdentity binds service accounts to roles through EKS Pod Identity: the role trusts the EKS service, and an
// association in the EKS API names the cluster, namespace, service account and role. Nothing in the cluster
// names the role, and no OIDC provider is needed.
type PodIdentity struct{}

var _ Binding = PodIdentity{}

// Kind is "Pod Identity".
func (PodIdentity) Kind() string { return "Pod Identity" }

// TrustPolicy lets EKS Pod Identity assume the role and tag the session. It is the same for every service
// account: which account gets the role is decided by the association, which only a caller allowed to pass the
// role (iam:PassRole) can create.
func (PodIdentity) TrustPolicy(...ServiceAccount) string {
	return podIdentityTrust().String()
}

// Trusts reports whether doc has an Allow statement for the Pod Identity principal with both actions.
func (PodIdentity) Trusts(doc string, _ ServiceAccount) bool {
	var d struct {
		Statement []struct {
			Effect    string
			Principal json.RawMessage
			Action    stringOrList
		}
	}
	if json.Unmarshal([]byte(doc), &d) != nil {
		return false
	}
	for _, s := range d.Statement {
		var p struct{ Service stringOrList }
		if s.Effect != "Allow" || json.Unmarshal(s.Principal, &p) != nil || !slices.Contains(p.Service, PodIdentityPrincipal) {
			continue // "*" or another principal
		}
		if allows(s.Action, podIdentityActions) {
			return true
		}
	}
	return false
}

// Annotations are none: the association lives in EKS.
func (PodIdentity) Annotations(string) map[string]string { return nil }

// Associations are the one association that binds sa to roleARN.
func (PodIdentity) Associations(sa ServiceAccount, roleARN string) []Association {
	return []Association{{ServiceAccount: sa, RoleARN: roleARN}}
}

// allows reports whether granted covers every action in want, "sts:*" and "*" included.
func allows(granted, want []string) bool {
	for _, w := range want {
		if !slices.Contains(granted, w) && !slices.Contains(granted, "sts:*") && !slices.Contains(granted, "*") {
			return false
		}
	}
	return true
}

// stringOrList reads an IAM policy element that is a string or a list of strings.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

func podIdentityTrust() policy.Document {
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{{
		Effect:    "Allow",
		Principal: map[string]string{"Service": PodIdentityPrincipal},
		Action:    podIdentityActions,
	}}}
}
