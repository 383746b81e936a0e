package render

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/api/resmap"

	"github.com/kfaws/kfaws/internal/render/detect"
)

// argoPodIdentity is the first Argo release whose executor reads EKS Pod Identity credentials: 3.5 fails to
// (argoproj/argo-workflows#12949).
const argoPodIdentity = "3.6.0"

// argoVersion is the version of Argo's executor in the built objects: the tag of the workflow controller's
// --executor-image argument, else of the controller's own image (both come from one release); "" when neither
// has a tag.
func argoVersion(m resmap.ResMap) string {
	for _, r := range m.Resources() {
		if r.GetKind() != "Deployment" || r.GetName() != "workflow-controller" {
			continue
		}
		containers, err := r.GetSlice("spec.template.spec.containers")
		if err != nil {
			return ""
		}
		var controller string
		for _, c := range containers {
			cm, _ := c.(map[string]any)
			args, _ := cm["args"].([]any)
			for i, a := range args {
				s, _ := a.(string)
				if v, ok := strings.CutPrefix(s, "--executor-image="); ok {
					return imageTag(v)
				}
				if s == "--executor-image" && i+1 < len(args) {
					next, _ := args[i+1].(string)
					return imageTag(next)
				}
			}
			if img, _ := cm["image"].(string); strings.Contains(img, "workflow-controller") {
				controller = imageTag(img)
			}
		}
		return controller
	}
	return ""
}

// imageTag is the tag of an image reference, "" without one.
func imageTag(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ""
	}
	return ref[i+1:]
}

// checkArgoPodIdentity refuses an Argo whose executor cannot read Pod Identity credentials, when Argo reads the
// bucket with the pod's credentials (pod-identity with S3 roles), and warns when its version cannot be told.
func checkArgoPodIdentity(m resmap.ResMap, v Values) (warning string, err error) {
	if !v.podIdentity() || !v.Option.UsesS3() || !v.usesRoles() {
		return "", nil
	}
	tag := argoVersion(m)
	c, cmpErr := detect.CompareKFP(tag, argoPodIdentity)
	switch {
	case tag == "" || cmpErr != nil:
		return fmt.Sprintf("could not tell the Argo Workflows release of the tree (executor image tag %q); pod "+
			"identity needs Argo %s or later (argoproj/argo-workflows#12949)", tag, argoPodIdentity), nil
	case c < 0:
		return "", fmt.Errorf("the executor of Argo Workflows %s, which reads and writes "+
			"pipeline artifacts, cannot use EKS Pod Identity: it does not read its credentials (argoproj/argo-workflows#12949; fixed in "+
			"%s); use --identity irsa, or a tree with Argo %s or later", tag, argoPodIdentity, argoPodIdentity)
	}
	return "", nil
}
