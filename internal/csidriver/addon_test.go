package csidriver

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/csidriver/eksaddon"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// localEKS starts a local AWS stack (moto behind the proxy in
// localstack/proxy, which answers the EKS add-on API moto lacks) for one
// test, and returns it with a real EKS client on it. The stack is the
// test's own: this package's TestMain belongs to kubetest.
func localEKS(t *testing.T) (*localstack.Stack, *eks.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test on the local AWS stack (moto, MariaDB); run without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := localstack.Start(ctx, localstack.Options{Region: "us-west-2"})
	if err != nil {
		t.Fatalf("starting the local AWS stack: %v (hack/test.sh installs what is missing)", err)
	}
	t.Cleanup(s.Close)
	cfg, err := s.AWSConfig(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, eks.NewFromConfig(cfg)
}

// offerAddon makes the local EKS offer the add-on on Kubernetes k8s in
// versions, the first of them the default.
func offerAddon(t *testing.T, s *localstack.Stack, k8s string, versions ...string) {
	t.Helper()
	var vs []proxy.AddonVersion
	for i, v := range versions {
		vs = append(vs, proxy.AddonVersion{AddonVersion: v,
			Compatibilities: []proxy.AddonCompatibility{{ClusterVersion: k8s, DefaultVersion: i == 0}}})
	}
	if err := s.SetEKSAddonCatalog([]proxy.AddonInfo{{AddonName: AddonName, AddonVersions: vs}}); err != nil {
		t.Fatal(err)
	}
}

// createCluster creates the EKS cluster in moto, on the Kubernetes version
// of the test's apiserver.
func createCluster(t *testing.T, c *eks.Client, name, k8s string) {
	t.Helper()
	_, err := c.CreateCluster(context.Background(), &eks.CreateClusterInput{Name: aws.String(name), Version: aws.String(k8s),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/" + name + "-cluster"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{}})
	if err != nil {
		t.Fatalf("creating EKS cluster %q: %v", name, err)
	}
}

// installed is the add-on as EKS reports it, nil when absent.
func installed(t *testing.T, c *eks.Client, cluster string) *ekstypes.Addon {
	t.Helper()
	out, err := c.DescribeAddon(context.Background(), &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(AddonName)})
	var nf *ekstypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatalf("describing add-on %q: %v", AddonName, err)
	}
	return out.Addon
}

// createAddon installs the add-on as kfaws up does (or someone else, without tags), and waits until it is ACTIVE.
func createAddon(t *testing.T, api *eks.Client, cluster, config string, tags map[string]string) {
	t.Helper()
	ctx := context.Background()
	_, err := api.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(AddonName),
		AddonVersion: aws.String("v2.2.2-eksbuild.1"), ConfigurationValues: aws.String(config), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	if err := eks.NewAddonActiveWaiter(api, func(o *eks.AddonActiveWaiterOptions) { o.MinDelay = 100 * time.Millisecond }).Wait(ctx,
		&eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(AddonName)}, time.Minute); err != nil {
		t.Fatal(err)
	}
}

// TestAddonPathUsesTheInstalledAddon: kfaws up creates the add-on (a plan step); apply then uses it and applies
// none of the driver's objects itself. An add-on without secret syncing is refused, and removal deletes only an
// add-on this installation created.
func TestAddonPathUsesTheInstalledAddon(t *testing.T) {
	c := env.Client(t)
	v, err := c.Discovery.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	k8s := v.Major + "." + trimPlus(v.Minor)
	stack, api := localEKS(t)
	offerAddon(t, stack, k8s, "v2.2.2-eksbuild.1")
	createCluster(t, api, "demo", k8s)
	createAddon(t, api, "demo", eksaddon.WithSync(""), map[string]string{apply.LabelInstallation: "addon"})
	in := &Installer{Client: c, Installation: "addon", EKS: api, ClusterName: "demo", Wait: true, Timeout: time.Minute}
	ctx := context.Background()

	res, err := in.Run(ctx)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	if res.Method != Addon || res.AddonVersion != "v2.2.2-eksbuild.1" {
		t.Errorf("install = %+v, want the installed add-on used", res)
	}
	if left, _ := apply.Labelled(ctx, c, "addon"); len(left) != 0 {
		t.Errorf("the add-on path applied %d objects of its own", len(left))
	}

	// Removal deletes only an add-on this installation created.
	if got, err := RemoveAddon(ctx, in.EKS, "demo", "someone-else", ownership.Record{}, time.Minute); err != nil || got != "not created by kfaws" {
		t.Errorf("RemoveAddon for another installation = %q, %v", got, err)
	}
	if got, err := RemoveAddon(ctx, in.EKS, "demo", "addon", ownership.Record{}, time.Minute); err != nil || got != "deleted" || installed(t, api, "demo") != nil {
		t.Errorf("RemoveAddon = %q, %v; add-on now %+v", got, err, installed(t, api, "demo"))
	}
	if got, err := RemoveAddon(ctx, in.EKS, "demo", "addon", ownership.Record{}, time.Minute); err != nil || got != "absent" {
		t.Errorf("second RemoveAddon = %q, %v; want absent", got, err)
	}

	// Someone else's add-on without secret syncing is not changed: apply says what to do.
	createAddon(t, api, "demo", `{"secrets-store-csi-driver":{"enableSecretRotation":true}}`, nil)
	if _, err := in.Run(ctx); err == nil || !strings.Contains(err.Error(), "secret syncing off") {
		t.Errorf("run on an add-on without syncing: %v, want a refusal saying syncing is off", err)
	}
	if cfg := aws.ToString(installed(t, api, "demo").ConfigurationValues); eksaddon.SyncEnabled(cfg) {
		t.Errorf("apply changed someone else's add-on: %s", cfg)
	}

	// eks-addon without the add-on installed says how to get it.
	if _, err := api.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String("demo"), AddonName: aws.String(AddonName)}); err != nil {
		t.Fatal(err)
	}
	if err := eks.NewAddonDeletedWaiter(api, func(o *eks.AddonDeletedWaiterOptions) { o.MinDelay = 100 * time.Millisecond }).Wait(ctx,
		&eks.DescribeAddonInput{ClusterName: aws.String("demo"), AddonName: aws.String(AddonName)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	only := *in
	only.Method = Addon
	if _, err := only.Run(ctx); err == nil || !strings.Contains(err.Error(), "kfaws up creates it") {
		t.Errorf("eks-addon without the add-on: %v", err)
	}
}

func TestAutoFallsBackToManifestsWithoutTheAddon(t *testing.T) {
	c := env.Client(t)
	stack, api := localEKS(t)
	offerAddon(t, stack, "1.20", "v1.0.0-eksbuild.1")
	progress := &strings.Builder{}
	in := &Installer{Client: c, Installation: "fallback", EKS: api, ClusterName: "demo", Progress: progress}
	ctx := context.Background()
	res, err := in.Run(ctx)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	if res.Method != Manifests || !strings.Contains(progress.String(), "is not installed") {
		t.Errorf("method = %s, progress %q; want manifests with no add-on installed", res.Method, progress)
	}
	if _, err := (&apply.Remover{Client: c, Installation: "fallback", Timeout: time.Minute}).Remove(ctx); err != nil {
		t.Fatal(err)
	}
}

// trimPlus drops a "+" (or any non-digit) suffix of a Kubernetes minor version, as some servers report "37+".
func trimPlus(s string) string {
	for len(s) > 0 && (s[len(s)-1] < '0' || s[len(s)-1] > '9') {
		s = s[:len(s)-1]
	}
	return s
}
