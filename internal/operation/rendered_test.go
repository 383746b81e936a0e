package operation_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/render"
)

func renderedValues(opt config.Option) render.Values {
	return render.Values{
		Option: opt, Credentials: config.CredentialsIRSA, Region: "us-west-2",
		DBHost: "kubeflow-db.abcdefghij.us-west-2.rds.amazonaws.com", DBPort: 3306,
		RDSSecretName: "rds-secret", SecretsRoleARN: "arn:aws:iam::123456789012:role/test-secrets-reader",
		Bucket: "test-artifacts", S3SecretName: "s3-secret",
		BackendRoleARN:   "arn:aws:iam::123456789012:role/test-kfp-backend",
		ProfileRoleARN:   "arn:aws:iam::123456789012:role/test-kfp-profile",
		ProfileNamespace: "kubeflow-user-example-com",
	}
}

// TestEachOptionAppliesReappliesAndRemoves renders the synthetic v1.10 tree
// of internal/render (real paths, kinds and names, fewer fields) for each
// option and, on one apiserver with the cert-manager, Istio and CSI driver
// CRDs present: applies it and waits for its workloads, re-applies with no
// resourceVersion moving, and removes it leaving nothing labelled.
func TestEachOptionAppliesReappliesAndRemoves(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	c := env.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	installCSIPrerequisites(t, c)
	kubetest.ActAsControllers(ctx, t, c, "") // no controllers or kubelets in the test apiserver
	tree, err := filepath.Abs("../render/testdata/trees/v1.10")
	if err != nil {
		t.Fatal(err)
	}
	for _, opt := range config.Options {
		t.Run(string(opt), func(t *testing.T) {
			res, err := (&render.Render{Manifests: tree, Values: renderedValues(opt)}).Run(ctx)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			data, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			objs, err := apply.Decode(bytes.NewReader(data), "render "+string(opt))
			if err != nil {
				t.Fatal(err)
			}
			kubetest.CreateNamespaces(t, c, objs)
			installation := "opt-" + string(opt)
			defer func() { // leave the apiserver clean for the next option even when this one fails
				_, _ = (&apply.Remover{Client: c, Installation: installation, Timeout: time.Minute}).Remove(ctx)
			}()
			if err := apply.Preflight(ctx, c, objs); err != nil {
				t.Fatalf("preflight: %v", err)
			}
			a := &apply.Applier{Client: c, Installation: installation, Wait: true, Timeout: 2 * time.Minute}
			out, err := a.Apply(ctx, objs)
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			// The profile's ServiceAccount belongs to the profile controller: patched (or already so), not created.
			if own := ownObjects(objs); out.Count(apply.Created) != own || out.Retries != 0 {
				t.Errorf("apply: %d of %d created, %d retries", out.Count(apply.Created), own, out.Retries)
			}
			before := versions(t, c, installation)
			if out, err = a.Apply(ctx, objs); err != nil || out.Count(apply.Unchanged) != len(objs) {
				t.Errorf("re-apply: %v, %d of %d unchanged", err, out.Count(apply.Unchanged), len(objs))
			}
			for ref, rv := range versions(t, c, installation) {
				if before[ref] != rv {
					t.Errorf("re-apply moved %s from %s to %s", ref, before[ref], rv)
				}
			}
			if _, err := (&apply.Remover{Client: c, Installation: installation, Timeout: time.Minute}).Remove(ctx); err != nil {
				t.Fatalf("remove: %v", err)
			}
			if left := versions(t, c, installation); len(left) != 0 {
				t.Errorf("labelled after removal: %v", left)
			}
		})
	}
}

func versions(t *testing.T, c *kube.Client, installation string) map[string]string {
	t.Helper()
	objs, err := apply.Labelled(context.Background(), c, installation)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range objs {
		out[f.Ref().String()] = f.Object().GetResourceVersion()
	}
	return out
}

// prerequisites installs what a cluster has before KFP and Katib: the
// cert-manager, Istio and metacontroller CRD stand-ins of kubetest and the
// Secrets Store CSI driver's CRDs, by another field manager.
// installCSIPrerequisites gives the apiserver what a cluster has before Kubeflow (kubetest's stand-ins) and the
// Secrets Store CSI driver's CRDs, which the rendered streams use.
func installCSIPrerequisites(t *testing.T, c *kube.Client) {
	t.Helper()
	csi, err := csidriver.Objects("")
	if err != nil {
		t.Fatal(err)
	}
	var crds []*unstructured.Unstructured
	for _, u := range csi {
		if apply.StageOf(u) == apply.StageCRDs {
			u.SetLabels(nil)
			crds = append(crds, u)
		}
	}
	kubetest.InstallPrerequisites(t, c, crds...)
}

// ownObjects counts the objects kfaws creates, leaving out patches of other controllers' objects.
func ownObjects(objs []*unstructured.Unstructured) int {
	n := 0
	for _, o := range objs {
		if !apply.IsPatch(o) {
			n++
		}
	}
	return n
}
