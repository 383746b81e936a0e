package operation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/render"
	"github.com/kfaws/kfaws/internal/render/detect"
	"github.com/kfaws/kfaws/internal/render/rendertest"
)

// podSecurityTrees are the synthetic trees of every release users run. The kubeflow namespace gets the Pod
// Security label the tree's common/kubeflow-namespace gives it; profile namespaces get baseline where Kubeflow's
// profile controller labels them (its pss overlay, from v1.10, the release where kubeflow gets a label too).
var podSecurityTrees = []string{"v1.7-aws", "v1.8", "v1.9", "v1.9.1", "v1.10", "v1.11", "26.03", "26.03.1"}

// TestEveryReleaseAppliesUnderPodSecurity renders every synthetic release for every option and credential mode,
// applies it to a real apiserver whose namespaces carry the Pod Security labels that release gives them, and
// creates (as a server-side dry run, so admission runs in full) a Pod from every pod template the stream holds,
// and the verify relay pod: a template the PodSecurity admission plugin forbids fails the test, as it would stop
// the install on a real cluster, where the Deployment is admitted and its pods are not.
func TestEveryReleaseAppliesUnderPodSecurity(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	k := env.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// No controllers run here: kubetest releases PVCs and finalizes what removal deletes between cases.
	kubetest.ActAsControllers(ctx, t, k, "")
	installCSIPrerequisites(t, k)
	cs := kubernetes.NewForConfigOrDie(k.Config)
	mirror := rendertest.ArgoMirror(t)
	const profileNS = "kubeflow-user-example-com"
	for _, tree := range podSecurityTrees {
		l, err := detect.Detect(rendertest.Tree(t, tree))
		if err != nil {
			t.Fatal(err)
		}
		level, profileLevel := l.PodSecurity(), ""
		if level != "" {
			profileLevel = "baseline"
		}
		kubetest.SetPodSecurity(ctx, t, cs, kubeflow.Namespace, level)
		kubetest.CreateProfile(ctx, t, cs, profileNS)
		kubetest.SetPodSecurity(ctx, t, cs, profileNS, profileLevel)
		for _, c := range []struct {
			opt   config.Option
			creds config.CredentialMode
		}{
			{config.OptionRDSS3, config.CredentialsIRSA}, {config.OptionRDSS3, config.CredentialsStatic},
			{config.OptionRDSOnly, config.CredentialsIRSA}, {config.OptionS3Only, config.CredentialsIRSA},
			{config.OptionS3Only, config.CredentialsStatic},
		} {
			name := fmt.Sprintf("%s/%s-%s", tree, c.opt, c.creds)
			t.Run(name, func(t *testing.T) {
				objs := renderRelease(t, tree, c.opt, c.creds, mirror, profileNS)
				if objs == nil {
					return
				}
				installation := "psa" + strings.NewReplacer(".", "", "/", "", "-", "").Replace(tree) +
					fmt.Sprint(time.Now().UnixNano()%1e6)
				cfg := config.New()
				cfg.Name, cfg.CSIDriver = installation, config.CSISkip
				op := &operation.Apply{Configuration: &operation.Configuration{Config: cfg, Kube: k}, Objects: objs,
					Timeout: 2 * time.Minute}
				if _, err := op.Run(ctx); err != nil {
					t.Fatalf("applying %s with Pod Security %q (kubeflow) and %q (profile): %v", tree, level, profileLevel, err)
				}
				defer removeInstallation(t, k, installation)
				checked := 0
				for _, o := range objs {
					p, ok, err := kubetest.PodTemplate(o)
					if err != nil {
						t.Fatal(err)
					}
					if !ok {
						continue
					}
					checked++
					admit(ctx, t, cs, o.GetNamespace(), fmt.Sprintf("%s %q", o.GetKind(), o.GetName()), p)
				}
				if checked == 0 {
					t.Fatal("the stream has no pod template")
				}
				relay := dbaccess.Relay{Installation: installation, Target: "db.example.com:3306"}.Pod()
				admit(ctx, t, cs, relay.Namespace, "the verify relay pod", relay)
			})
		}
	}
}

// renderRelease renders a synthetic tree with the values up would record; nil when kfaws refuses the
// combination (the render tests assert those refusals).
func renderRelease(t *testing.T, tree string, opt config.Option, creds config.CredentialMode, mirror, profileNS string) []*unstructured.Unstructured {
	t.Helper()
	r := &render.Render{
		Manifests:  rendertest.Tree(t, tree),
		GitMirrors: map[string]string{rendertest.ArgoRepo: mirror},
		Values: render.Values{
			Option: opt, Credentials: creds, Region: "us-west-2",
			DBHost: "kubeflow-db.abcdefghij.us-west-2.rds.amazonaws.com", DBPort: 3306,
			RDSSecretName: "rds-secret", SecretsRoleARN: "arn:aws:iam::123456789012:role/secrets-reader",
			Bucket: "kfaws-test-artifacts", S3SecretName: "s3-secret",
			BackendRoleARN:   "arn:aws:iam::123456789012:role/kfp-backend",
			ProfileRoleARN:   "arn:aws:iam::123456789012:role/kfp-profile",
			ProfileNamespace: profileNS,
		},
	}
	res, err := r.Run(context.Background())
	if err != nil {
		t.Logf("not rendered (refused): %v", err)
		return nil
	}
	data, err := res.YAML()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := apply.Decode(strings.NewReader(string(data)), tree)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// admit creates p in namespace ns as a server-side dry run: admission, PodSecurity included, runs in full and
// nothing is stored.
func admit(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns, what string, p *corev1.Pod) {
	t.Helper()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "psa-", Namespace: ns, Labels: p.Labels,
		Annotations: p.Annotations}, Spec: p.Spec}
	_, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if apierrors.IsForbidden(err) {
		t.Errorf("%s: its pods are forbidden in namespace %q: %v", what, ns, err)
	} else if err != nil {
		t.Fatalf("%s: creating a pod from its template: %v", what, err)
	}
}

// removeInstallation deletes what the installation applied, so the next release starts from a clean namespace.
func removeInstallation(t *testing.T, k *kube.Client, installation string) {
	t.Helper()
	r := &apply.Remover{Client: k, Installation: installation, Timeout: time.Minute}
	if _, err := r.Remove(context.Background()); err != nil {
		t.Errorf("removing %s: %v", installation, err)
	}
}
