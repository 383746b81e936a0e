package proxy_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

func TestDescribeAddonVersions(t *testing.T) {
	h := newEKSHarness(t)
	c := h.client("us-west-2")
	ctx := context.Background()

	out, err := c.DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{AddonName: aws.String(secretsAddon), KubernetesVersion: aws.String("1.33")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Addons) != 1 {
		t.Fatalf("add-ons for %s on 1.33: %+v", secretsAddon, out.Addons)
	}
	a := out.Addons[0]
	if aws.ToString(a.Owner) != "aws" || aws.ToString(a.Publisher) != "eks" || aws.ToString(a.DefaultNamespace) != "kube-system" {
		t.Errorf("add-on info %+v: want owner aws, publisher eks, namespace kube-system", a)
	}
	var defaults, all []string
	for _, v := range a.AddonVersions {
		all = append(all, aws.ToString(v.AddonVersion))
		if len(v.Compatibilities) != 1 || aws.ToString(v.Compatibilities[0].ClusterVersion) != "1.33" {
			t.Errorf("version %s: compatibilities %+v, want only 1.33's", aws.ToString(v.AddonVersion), v.Compatibilities)
			continue
		}
		if v.Compatibilities[0].DefaultVersion {
			defaults = append(defaults, aws.ToString(v.AddonVersion))
		}
	}
	if !slices.Equal(defaults, []string{"v2.2.2-eksbuild.1"}) || !slices.Contains(all, "v3.1.3-eksbuild.1") {
		t.Errorf("versions on 1.33 %v, defaults %v; want v2.2.2 the default beside a newer v3.1.3", all, defaults)
	}

	// Kubernetes versions the catalogue lacks get nothing, as on EKS before an add-on catches up.
	none, err := c.DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{KubernetesVersion: aws.String("1.37")})
	if err != nil || len(none.Addons) != 0 {
		t.Errorf("add-ons for 1.37: %+v, %v; want none", none, err)
	}

	// Pages of one add-on each, through the SDK's paginator.
	p := eks.NewDescribeAddonVersionsPaginator(c, &eks.DescribeAddonVersionsInput{MaxResults: aws.Int32(1)})
	var names []string
	for pages := 0; p.HasMorePages(); pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Addons) != 1 || pages > 2 {
			t.Fatalf("page %d: %d add-ons", pages, len(page.Addons))
		}
		names = append(names, aws.ToString(page.Addons[0].AddonName))
	}
	if !slices.Equal(names, []string{secretsAddon, agentAddon}) {
		t.Errorf("paged add-ons %v", names)
	}
}

// TestAddonLifecycle steps one add-on through CREATING, ACTIVE, UPDATING,
// ACTIVE, DELETING and gone on the harness's clock.
func TestAddonLifecycle(t *testing.T) {
	h := newEKSHarness(t)
	c := h.client("us-west-2")
	ctx := context.Background()
	cluster := newCluster(t, c, "1.33")
	role := "arn:aws:iam::123456789012:role/csi"
	created := h.clock.Now()

	out, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon),
		ConfigurationValues: aws.String(`{"secrets-store-csi-driver":{"syncSecret":{"enabled":true}}}`),
		ResolveConflicts:    ekstypes.ResolveConflictsNone, ServiceAccountRoleArn: aws.String(role),
		Tags: map[string]string{"kfaws.dev/installation": "demo"}})
	if err != nil {
		t.Fatal(err)
	}
	a := out.Addon
	if a.Status != ekstypes.AddonStatusCreating || aws.ToString(a.AddonVersion) != "v2.2.2-eksbuild.1" ||
		aws.ToString(a.ServiceAccountRoleArn) != role || a.Tags["kfaws.dev/installation"] != "demo" ||
		!strings.Contains(aws.ToString(a.ConfigurationValues), `"syncSecret":{"enabled":true}`) ||
		!a.CreatedAt.Equal(created) || a.Health == nil || len(a.Health.Issues) != 0 {
		t.Errorf("created add-on %+v: want CREATING, the default version, the role, tags, configuration, createdAt %s", a, created)
	}
	if !strings.HasPrefix(aws.ToString(a.AddonArn), "arn:aws:eks:us-west-2:123456789012:addon/"+cluster+"/"+secretsAddon+"/") {
		t.Errorf("add-on ARN %s", aws.ToString(a.AddonArn))
	}
	if st := describeAddon(t, c, cluster, secretsAddon).Status; st != ekstypes.AddonStatusCreating {
		t.Errorf("status before the delay: %s", st)
	}
	h.clock.Add(testDelay + time.Second)
	if st := describeAddon(t, c, cluster, secretsAddon).Status; st != ekstypes.AddonStatusActive {
		t.Errorf("status after the delay: %s", st)
	}
	if list, err := c.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String(cluster)}); err != nil || !slices.Equal(list.Addons, []string{secretsAddon}) {
		t.Errorf("ListAddons = %v, %v", list, err)
	}

	up, err := c.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon),
		AddonVersion: aws.String("v3.1.3-eksbuild.1"), ConfigurationValues: aws.String("secrets-store-csi-driver:\n  enableSecretRotation: true\n"),
		ResolveConflicts: ekstypes.ResolveConflictsPreserve})
	if err != nil {
		t.Fatal(err)
	}
	params := map[ekstypes.UpdateParamType]string{}
	for _, p := range up.Update.Params {
		params[p.Type] = aws.ToString(p.Value)
	}
	if up.Update.Status != ekstypes.UpdateStatusInProgress || up.Update.Type != ekstypes.UpdateTypeAddonUpdate ||
		params[ekstypes.UpdateParamTypeAddonVersion] != "v3.1.3-eksbuild.1" || params[ekstypes.UpdateParamTypeResolveConflicts] != "PRESERVE" ||
		!strings.Contains(params[ekstypes.UpdateParamTypeConfigurationValues], "enableSecretRotation") {
		t.Errorf("update %+v, params %v", up.Update, params)
	}
	d := describeAddon(t, c, cluster, secretsAddon)
	if d.Status != ekstypes.AddonStatusUpdating || aws.ToString(d.AddonVersion) != "v3.1.3-eksbuild.1" || !strings.Contains(aws.ToString(d.ConfigurationValues), "enableSecretRotation") {
		t.Errorf("add-on during its update: %+v", d)
	}
	_, err = c.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon), ConfigurationValues: aws.String("{}")})
	wantErr[*ekstypes.ResourceInUseException](t, "update while UPDATING", err, "is UPDATING")
	h.clock.Add(testDelay + time.Second)
	if st := describeAddon(t, c, cluster, secretsAddon).Status; st != ekstypes.AddonStatusActive {
		t.Errorf("status after the update's delay: %s", st)
	}
	du, err := c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String(cluster), UpdateId: up.Update.Id, AddonName: aws.String(secretsAddon)})
	if err != nil || du.Update.Status != ekstypes.UpdateStatusSuccessful {
		t.Errorf("DescribeUpdate after the delay: %+v, %v", du, err)
	}
	lu, err := c.ListUpdates(ctx, &eks.ListUpdatesInput{Name: aws.String(cluster), AddonName: aws.String(secretsAddon)})
	if err != nil || !slices.Equal(lu.UpdateIds, []string{aws.ToString(up.Update.Id)}) {
		t.Errorf("ListUpdates: %+v, %v", lu, err)
	}

	del, err := c.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon)})
	if err != nil || del.Addon.Status != ekstypes.AddonStatusDeleting {
		t.Fatalf("DeleteAddon: %+v, %v", del, err)
	}
	if st := describeAddon(t, c, cluster, secretsAddon).Status; st != ekstypes.AddonStatusDeleting {
		t.Errorf("status before the deletion's delay: %s", st)
	}
	h.clock.Add(testDelay + time.Second)
	_, err = c.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon)})
	nf := wantErr[*ekstypes.ResourceNotFoundException](t, "deleted add-on", err, "No addon: "+secretsAddon+" found in cluster: "+cluster)
	if nf != nil && (aws.ToString(nf.AddonName) != secretsAddon || aws.ToString(nf.ClusterName) != cluster) {
		t.Errorf("not-found error names add-on %q and cluster %q", aws.ToString(nf.AddonName), aws.ToString(nf.ClusterName))
	}
	if list, err := c.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String(cluster)}); err != nil || len(list.Addons) != 0 {
		t.Errorf("ListAddons after deletion = %v, %v", list, err)
	}
	_, err = c.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon)})
	wantErr[*ekstypes.ResourceNotFoundException](t, "deleting a deleted add-on", err, "No addon")
}

func TestAddonErrors(t *testing.T) {
	h := newEKSHarness(t)
	c := h.client("us-west-2")
	ctx := context.Background()
	cluster := newCluster(t, c, "1.33")
	create := func(name, version string, mutate ...func(*eks.CreateAddonInput)) error {
		in := &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)}
		if version != "" {
			in.AddonVersion = aws.String(version)
		}
		for _, m := range mutate {
			m(in)
		}
		_, err := c.CreateAddon(ctx, in)
		return err
	}
	wantErr[*ekstypes.InvalidParameterException](t, "unknown add-on", create("vpc-cni-typo", ""), "vpc-cni-typo specified is not supported")
	wantErr[*ekstypes.InvalidParameterException](t, "unknown version", create(secretsAddon, "v9.9.9-eksbuild.1"), "v9.9.9-eksbuild.1 specified is not supported")
	wantErr[*ekstypes.InvalidParameterException](t, "version for other Kubernetes", create(agentAddon, "v1.0.0-eksbuild.1"), "not supported on Kubernetes 1.33")
	wantErr[*ekstypes.InvalidParameterException](t, "configuration not an object", create(secretsAddon, "", func(in *eks.CreateAddonInput) {
		in.ConfigurationValues = aws.String("[1, 2")
	}), "ConfigurationValue provided in request is not supported")
	wantErr[*ekstypes.InvalidParameterException](t, "role that is no role", create(secretsAddon, "", func(in *eks.CreateAddonInput) {
		in.ServiceAccountRoleArn = aws.String("arn:aws:iam::123456789012:user/someone")
	}), "not an IAM role ARN")
	wantErr[*ekstypes.InvalidParameterException](t, "unknown resolveConflicts", create(secretsAddon, "", func(in *eks.CreateAddonInput) {
		in.ResolveConflicts = "KEEP"
	}), "resolveConflicts")

	if err := create(secretsAddon, "", func(in *eks.CreateAddonInput) { in.ConfigurationValues = aws.String("a: 1\n") }); err != nil {
		t.Fatalf("CreateAddon with YAML configuration: %v", err)
	}
	wantErr[*ekstypes.ResourceInUseException](t, "second add-on of a name", create(secretsAddon, ""), "Addon already exists.")

	for what, err := range map[string]error{
		"CreateAddon": func() error {
			_, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("no-such-cluster"), AddonName: aws.String(secretsAddon)})
			return err
		}(),
		"ListAddons": func() error {
			_, err := c.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String("no-such-cluster")})
			return err
		}(),
		"UpdateAddon": func() error {
			_, err := c.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String("no-such-cluster"), AddonName: aws.String(secretsAddon)})
			return err
		}(),
	} {
		nf := wantErr[*ekstypes.ResourceNotFoundException](t, what+" on an unknown cluster", err, "No cluster found for name: no-such-cluster.")
		if nf != nil && aws.ToString(nf.ClusterName) != "no-such-cluster" {
			t.Errorf("%s: clusterName %q", what, aws.ToString(nf.ClusterName))
		}
	}
	_, err := c.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(agentAddon)})
	wantErr[*ekstypes.ResourceNotFoundException](t, "update of a missing add-on", err, "No addon: "+agentAddon)
	_, err = c.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String(cluster), MaxResults: aws.Int32(101)})
	wantErr[*ekstypes.InvalidParameterException](t, "maxResults 101", err, "from 1 to 100")

	// moto's default Kubernetes (1.19) is older than anything offered.
	old := newCluster(t, c, "")
	_, err = c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(old), AddonName: aws.String(agentAddon)})
	wantErr[*ekstypes.InvalidParameterException](t, "add-on on Kubernetes 1.19", err, "no version for Kubernetes 1.19")
}

// TestAddonPreserveLeavesConflicts: an add-on deleted with preserve leaves
// its objects on the cluster, so a new one fails unless it overwrites them.
func TestAddonPreserveLeavesConflicts(t *testing.T) {
	h := newEKSHarness(t)
	c := h.client("us-west-2")
	ctx := context.Background()
	cluster := newCluster(t, c, "1.33")
	in := func() *eks.CreateAddonInput {
		return &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon), ResolveConflicts: ekstypes.ResolveConflictsNone}
	}
	if _, err := c.CreateAddon(ctx, in()); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(testDelay + time.Second)
	if _, err := c.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon), Preserve: true}); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(testDelay + time.Second)

	if _, err := c.CreateAddon(ctx, in()); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(testDelay + time.Second)
	d := describeAddon(t, c, cluster, secretsAddon)
	if d.Status != ekstypes.AddonStatusCreateFailed || len(d.Health.Issues) != 1 || d.Health.Issues[0].Code != ekstypes.AddonIssueCodeConfigurationConflict {
		t.Errorf("add-on over preserved objects with resolveConflicts NONE: %s, health %+v", d.Status, d.Health)
	}
	err := eks.NewAddonActiveWaiter(c, func(o *eks.AddonActiveWaiterOptions) { o.MinDelay = time.Millisecond }).Wait(ctx,
		&eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon)}, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "Failure") {
		t.Errorf("AddonActive waiter on CREATE_FAILED: %v, want a failure", err)
	}

	if _, err := c.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon),
		ResolveConflicts: ekstypes.ResolveConflictsOverwrite}); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(testDelay + time.Second)
	if d := describeAddon(t, c, cluster, secretsAddon); d.Status != ekstypes.AddonStatusActive || len(d.Health.Issues) != 0 {
		t.Errorf("after an OVERWRITE update: %s, health %+v", d.Status, d.Health)
	}
}

// TestAddonWaitersOnTheStack runs the SDK's waiters against the stack's own
// proxy on the real clock.
func TestAddonWaitersOnTheStack(t *testing.T) {
	s := localstack.Shared(t)
	s.SetEKSDelay(300 * time.Millisecond)
	ctx := context.Background()
	cfg, err := s.AWSConfig(ctx, "eu-central-1")
	if err != nil {
		t.Fatal(err)
	}
	c := eks.NewFromConfig(cfg)
	cluster := newCluster(t, c, "1.35")
	if _, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(agentAddon)}); err != nil {
		t.Fatal(err)
	}
	key := &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(agentAddon)}
	if err := eks.NewAddonActiveWaiter(c, func(o *eks.AddonActiveWaiterOptions) { o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second }).
		Wait(ctx, key, time.Minute); err != nil {
		t.Errorf("AddonActive waiter: %v", err)
	}
	if v := describeAddon(t, c, cluster, agentAddon).AddonVersion; aws.ToString(v) != "v1.3.10-eksbuild.3" {
		t.Errorf("default version on 1.35: %s", aws.ToString(v))
	}
	if _, err := c.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(agentAddon)}); err != nil {
		t.Fatal(err)
	}
	if err := eks.NewAddonDeletedWaiter(c, func(o *eks.AddonDeletedWaiterOptions) { o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second }).
		Wait(ctx, key, time.Minute); err != nil {
		t.Errorf("AddonDeleted waiter: %v", err)
	}
}

func TestAddonCatalogCanBeReplaced(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	cfg, err := s.AWSConfig(ctx, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	c := eks.NewFromConfig(cfg)
	if err := s.SetEKSAddonCatalog([]proxy.AddonInfo{{AddonName: secretsAddon, AddonVersions: []proxy.AddonVersion{
		{AddonVersion: "v2.2.2-eksbuild.1", Compatibilities: []proxy.AddonCompatibility{{ClusterVersion: "1.37", DefaultVersion: true}}},
	}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{KubernetesVersion: aws.String("1.37")})
	if err != nil || len(out.Addons) != 1 || aws.ToString(out.Addons[0].Owner) != "aws" {
		t.Errorf("replaced catalogue on 1.37: %+v, %v; want the one add-on, owner filled in", out, err)
	}
	cluster := newCluster(t, c, "1.37")
	if _, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon)}); err != nil {
		t.Errorf("CreateAddon from the replaced catalogue: %v", err)
	}
	err = s.SetEKSAddonCatalog([]proxy.AddonInfo{{AddonName: agentAddon, AddonVersions: []proxy.AddonVersion{
		{AddonVersion: "a", Compatibilities: []proxy.AddonCompatibility{{ClusterVersion: "1.37", DefaultVersion: true}}},
		{AddonVersion: "b", Compatibilities: []proxy.AddonCompatibility{{ClusterVersion: "1.37", DefaultVersion: true}}},
	}}})
	if err == nil || !strings.Contains(err.Error(), "both the default for Kubernetes 1.37") {
		t.Errorf("catalogue with two defaults for one Kubernetes version: %v", err)
	}
}
