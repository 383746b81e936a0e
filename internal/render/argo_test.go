package render

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/resmap"

	"github.com/kfaws/kfaws/internal/config"
)

func controllerWith(t *testing.T, container string) resmap.ResMap {
	t.Helper()
	doc := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: workflow-controller, namespace: kubeflow}\n" +
		"spec:\n  template:\n    spec:\n      containers:\n" + container
	m, err := resmap.NewFactory(provider.NewDefaultDepProvider().GetResourceFactory()).NewResMapFromBytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Argo's executor reads the bucket with the pod's credentials: before 3.6 it cannot take Pod Identity's.
func TestArgoPodIdentityByExecutorVersion(t *testing.T) {
	v := testValues(config.OptionRDSS3, config.CredentialsIRSA)
	v.Identity = config.IdentityPodIdentity
	for _, c := range []struct {
		container string
		refused   bool
		warned    bool
	}{
		// manifests@v1.10.2: the executor image in the controller's args.
		{"      - name: workflow-controller\n        image: quay.io/argoproj/workflow-controller:v3.5.14\n" +
			"        args: [--configmap, workflow-controller-configmap, --executor-image, quay.io/argoproj/argoexec:v3.5.14]\n", true, false},
		{"      - name: workflow-controller\n        image: quay.io/argoproj/workflow-controller:v3.7.3\n" +
			"        args: [--executor-image=quay.io/argoproj/argoexec:v3.7.3]\n", false, false},
		// No executor argument: the controller's own tag tells the release.
		{"      - name: workflow-controller\n        image: quay.io/argoproj/workflow-controller:v3.4.16-license-compliance\n", true, false},
		{"      - name: workflow-controller\n        image: quay.io/argoproj/workflow-controller:latest\n", false, true},
	} {
		warn, err := checkArgoPodIdentity(controllerWith(t, c.container), v)
		if (err != nil) != c.refused || (warn != "") != c.warned {
			t.Errorf("%q: err %v, warning %q", c.container, err, warn)
		}
		if err != nil && (!strings.Contains(err.Error(), "argoproj/argo-workflows#12949") || !strings.Contains(err.Error(), "--identity irsa")) {
			t.Errorf("refusal without the issue or the way out: %v", err)
		}
	}
	old := controllerWith(t, "      - name: workflow-controller\n        image: quay.io/argoproj/workflow-controller:v3.5.14\n")
	for _, ok := range []Values{testValues(config.OptionRDSS3, config.CredentialsIRSA), func() Values {
		s := v
		s.Credentials = config.CredentialsStatic // Argo reads the synced keys, not the pod's identity
		return s
	}()} {
		if warn, err := checkArgoPodIdentity(old, ok); err != nil || warn != "" {
			t.Errorf("%s/%s: %q %v", ok.Identity, ok.Credentials, warn, err)
		}
	}
}
