package verify

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/csidriver"
)

// missingPodIdentityAudience explains, with what to do, a CSIDriver whose tokenRequests lack the EKS Pod
// Identity audience: the AWS provider 3.0 and later takes pods' tokens only from there and fails every mount
// of a SecretProviderClass with usePodIdentity without it (provider-aws@3.1.1:utils/token_parser.go). Empty
// when the audience is there.
func missingPodIdentityAudience(driver *unstructured.Unstructured) (detail, action string) {
	trs, _, _ := unstructured.NestedSlice(driver.Object, "spec", "tokenRequests")
	var audiences []string
	for _, tr := range trs {
		if a, _ := tr.(map[string]any)["audience"].(string); a != "" {
			audiences = append(audiences, a)
		}
	}
	if slices.Contains(audiences, csidriver.AudiencePodIdentity) {
		return "", ""
	}
	detail = fmt.Sprintf("CSIDriver %q requests no token for audience %q (its tokenRequests: %v); the AWS provider 3.0 "+
		"and later needs it for EKS Pod Identity, and mounting kfaws's SecretProviderClasses fails without it",
		csiDriverName, csidriver.AudiencePodIdentity, audiences)
	if driver.GetLabels()[apply.LabelManagedBy] == apply.ManagedByValue {
		return detail, "run kfaws apply: it updates the driver it installed to " + csidriver.DriverVersion + " with both audiences"
	}
	return detail, fmt.Sprintf("kfaws does not change a driver it did not install: add tokenRequests audiences %q and %q "+
		"to CSIDriver %q (Helm chart secrets-store-csi-driver: --set tokenRequests[0].audience=%s --set "+
		"tokenRequests[1].audience=%s), update the EKS add-on %s, or let kfaws manage it (kfaws apply --adopt)",
		csidriver.AudienceIRSA, csidriver.AudiencePodIdentity, csiDriverName, csidriver.AudienceIRSA,
		csidriver.AudiencePodIdentity, csidriver.AddonName)
}
