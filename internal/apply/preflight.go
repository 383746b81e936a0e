package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"

	"github.com/kfaws/kfaws/internal/kube"
)

// MinMinor is the oldest Kubernetes 1.x minor version kfaws installs on: the
// oldest EKS version still in standard support when this was written, and the
// first with every API the KFP and Katib manifests use at v1.
const MinMinor = 30

// providers names the software that serves kinds an install uses but does
// not install itself, so a missing kind can be reported with its remedy.
var providers = map[string]string{
	"cert-manager.io":            "cert-manager",
	"networking.istio.io":        "Istio",
	"security.istio.io":          "Istio",
	"telemetry.istio.io":         "Istio",
	"install.istio.io":           "Istio",
	"secrets-store.csi.x-k8s.io": "the Secrets Store CSI driver (kfaws installs it with --csi-driver)",
}

// PreflightError lists everything preflight found; nothing was changed.
type PreflightError struct {
	Problems []string
}

func (e *PreflightError) Error() string {
	return "preflight found problems, nothing was changed:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Preflight checks, before any change, that the cluster is reachable, runs a
// supported Kubernetes version, serves every kind objs use that objs do not
// define themselves (cert-manager's and Istio's, typically), has the
// namespaces objs use but do not create, and lets the current user create and
// patch every resource type involved. provided are objects installed
// separately before objs (the CSI driver's CRDs): their kinds count as
// defined.
func Preflight(ctx context.Context, c *kube.Client, objs []*unstructured.Unstructured, provided ...*unstructured.Unstructured) error {
	v, err := c.Discovery.ServerVersion()
	if err != nil {
		return unreachable(c, err)
	}
	var problems []string
	major, _ := strconv.Atoi(strings.TrimRight(v.Major, "+"))
	minor, _ := strconv.Atoi(strings.TrimRight(v.Minor, "+"))
	if major != 1 || minor < MinMinor {
		problems = append(problems, fmt.Sprintf("Kubernetes %s.%s is not supported; kfaws needs 1.%d or later "+
			"(upgrade the cluster: eksctl upgrade cluster)", v.Major, v.Minor, MinMinor))
	}
	missing, err := missingKinds(c, objs, provided)
	if err != nil {
		return err
	}
	problems = append(problems, missing...)
	namespaces, err := missingNamespaces(ctx, c, objs)
	if err != nil {
		return err
	}
	problems = append(problems, namespaces...)
	denied, err := deniedAccess(ctx, c, objs)
	if err != nil {
		return err
	}
	problems = append(problems, denied...)
	if len(problems) > 0 {
		return &PreflightError{Problems: problems}
	}
	return nil
}

func unreachable(c *kube.Client, err error) error {
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("cluster %q rejected the credentials: %w (refresh them; for EKS: aws eks update-kubeconfig)", c.Config.Host, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("cluster %q refused to tell its version: %w (the context's user lacks basic discovery rights)", c.Config.Host, err)
	}
	return fmt.Errorf("cannot reach the cluster at %q: %w (check --kubeconfig and --context, and that this machine can reach the API endpoint)", c.Config.Host, err)
}

// missingKinds lists kinds neither served by the cluster nor defined by a CRD
// among objs, grouped by the software that provides them.
func missingKinds(c *kube.Client, objs, provided []*unstructured.Unstructured) ([]string, error) {
	_, lists, err := c.Discovery.ServerGroupsAndResources()
	var partial *discovery.ErrGroupDiscoveryFailed
	if err != nil && !errors.As(err, &partial) {
		return nil, unreachable(c, err)
	}
	served := map[string]bool{} // "group/version/Kind"
	for _, l := range lists {
		for _, r := range l.APIResources {
			served[l.GroupVersion+"/"+r.Kind] = true
		}
	}
	defined := map[string]bool{} // "group/Kind", any version
	for _, u := range append(provided[:len(provided):len(provided)], objs...) {
		if StageOf(u) != StageCRDs {
			continue
		}
		group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
		defined[group+"/"+kind] = true
	}
	byProvider := map[string]map[string]bool{}
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		if served[gvk.GroupVersion().String()+"/"+gvk.Kind] || defined[gvk.Group+"/"+gvk.Kind] {
			continue
		}
		p, ok := providers[gvk.Group]
		if !ok {
			p = "the CRD or API service for group " + strconv.Quote(gvk.Group)
		}
		if byProvider[p] == nil {
			byProvider[p] = map[string]bool{}
		}
		byProvider[p][fmt.Sprintf("%s (%s)", gvk.Kind, gvk.GroupVersion())] = true
	}
	var out []string
	for p, kinds := range byProvider {
		ks := make([]string, 0, len(kinds))
		for k := range kinds {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		out = append(out, fmt.Sprintf("the cluster does not serve %s, which the manifests use; install %s first",
			strings.Join(ks, ", "), p))
	}
	sort.Strings(out)
	return out, nil
}
