package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"

	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

const (
	secretsAddon = "aws-secrets-store-csi-driver-provider"
	agentAddon   = "eks-pod-identity-agent"
	testDelay    = 30 * time.Second
)

// fakeClock is the clock of a harness's proxy; tests move it by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// eksHarness is a proxy of its own, with a fake clock, in front of the
// shared stack's moto; the real aws-sdk-go-v2 EKS client talks to it.
type eksHarness struct {
	t     *testing.T
	clock *fakeClock
	url   string
}

func newEKSHarness(t *testing.T) *eksHarness {
	t.Helper()
	s := localstack.Shared(t)
	moto, err := url.Parse(s.MotoURL)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(proxy.New(proxy.Options{Upstream: moto, Now: clk.Now, EKSDelay: testDelay}))
	t.Cleanup(srv.Close)
	return &eksHarness{t: t, clock: clk, url: srv.URL}
}

func (h *eksHarness) client(region string) *eks.Client {
	return eks.New(eks.Options{Region: region, BaseEndpoint: aws.String(h.url),
		Credentials: credentials.NewStaticCredentialsProvider(localstack.AccessKeyID, localstack.SecretAccessKey, ""),
		Retryer:     retry.NewStandard()})
}

var clusterSeq atomic.Int64

// newCluster creates a cluster of Kubernetes version (moto's default when
// empty) in moto, through the proxy, under a name no other test uses.
func newCluster(t *testing.T, c *eks.Client, version string) string {
	t.Helper()
	name := fmt.Sprintf("c%d-%d", time.Now().UnixNano()%1e9, clusterSeq.Add(1))
	in := &eks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks-cluster"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{}}
	if version != "" {
		in.Version = aws.String(version)
	}
	if _, err := c.CreateCluster(context.Background(), in); err != nil {
		t.Fatalf("creating cluster %q in moto: %v", name, err)
	}
	return name
}

func describeAddon(t *testing.T, c *eks.Client, cluster, name string) *ekstypes.Addon {
	t.Helper()
	out, err := c.DescribeAddon(context.Background(), &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(name)})
	if err != nil {
		t.Fatalf("DescribeAddon %s/%s: %v", cluster, name, err)
	}
	return out.Addon
}

// wantErr checks that err is the EKS error *E (e.g. *ekstypes.ResourceNotFoundException)
// and that its message contains msg.
func wantErr[E smithy.APIError](t *testing.T, what string, err error, msg string) E {
	t.Helper()
	var typed E
	if !errors.As(err, &typed) {
		t.Errorf("%s: error %v, want %T", what, err, typed)
		return typed
	}
	if !strings.Contains(typed.ErrorMessage(), msg) {
		t.Errorf("%s: message %q, want it to contain %q", what, typed.ErrorMessage(), msg)
	}
	return typed
}

func TestEKSPartitionsInARNs(t *testing.T) {
	h := newEKSHarness(t)
	ctx := context.Background()
	for _, tc := range []struct{ region, partition string }{
		{"us-west-2", "aws"}, {"us-gov-west-1", "aws-us-gov"}, {"cn-north-1", "aws-cn"},
	} {
		c := h.client(tc.region)
		cluster := newCluster(t, c, "1.33")
		prefix := "arn:" + tc.partition + ":eks:" + tc.region + ":123456789012:"
		add, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(agentAddon)})
		if err != nil {
			t.Fatalf("%s: CreateAddon: %v", tc.region, err)
		}
		if got := aws.ToString(add.Addon.AddonArn); !strings.HasPrefix(got, prefix+"addon/"+cluster+"/"+agentAddon+"/") {
			t.Errorf("%s: add-on ARN %s, want prefix %s", tc.region, got, prefix)
		}
		as, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(cluster),
			Namespace: aws.String("kubeflow"), ServiceAccount: aws.String("ml-pipeline"),
			RoleArn: aws.String("arn:" + tc.partition + ":iam::123456789012:role/kfp")})
		if err != nil {
			t.Fatalf("%s: CreatePodIdentityAssociation: %v", tc.region, err)
		}
		id := aws.ToString(as.Association.AssociationId)
		if got, want := aws.ToString(as.Association.AssociationArn), prefix+"podidentityassociation/"+cluster+"/"+id; got != want {
			t.Errorf("%s: association ARN %s, want %s", tc.region, got, want)
		}
		// The state is per region: the same cluster name elsewhere is another cluster.
		other := h.client("eu-west-1")
		_, err = other.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String(cluster)})
		wantErr[*ekstypes.ResourceNotFoundException](t, tc.region+" cluster from eu-west-1", err, "No cluster found for name: "+cluster)
	}
}

func TestEKSTagsOnAddonsAndAssociations(t *testing.T) {
	h := newEKSHarness(t)
	c := h.client("us-west-2")
	ctx := context.Background()
	cluster := newCluster(t, c, "1.33")
	add, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon),
		Tags: map[string]string{"kfaws.dev/installation": "demo"}})
	if err != nil {
		t.Fatal(err)
	}
	as, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(cluster),
		Namespace: aws.String("kubeflow"), ServiceAccount: aws.String("ml-pipeline"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/kfp"), Tags: map[string]string{"team": "ml"}})
	if err != nil {
		t.Fatal(err)
	}
	clusterOut, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arn     string
		initial map[string]string
	}{
		{aws.ToString(add.Addon.AddonArn), map[string]string{"kfaws.dev/installation": "demo"}},
		{aws.ToString(as.Association.AssociationArn), map[string]string{"team": "ml"}},
		{aws.ToString(clusterOut.Cluster.Arn), map[string]string{}}, // moto's own tags
	} {
		list := func() map[string]string {
			out, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(tc.arn)})
			if err != nil {
				t.Fatalf("ListTagsForResource %s: %v", tc.arn, err)
			}
			return out.Tags
		}
		if got := list(); fmt.Sprint(got) != fmt.Sprint(tc.initial) {
			t.Errorf("%s: tags %v, want %v", tc.arn, got, tc.initial)
		}
		if _, err := c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: aws.String(tc.arn), Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
			t.Fatalf("TagResource %s: %v", tc.arn, err)
		}
		if _, err := c.UntagResource(ctx, &eks.UntagResourceInput{ResourceArn: aws.String(tc.arn), TagKeys: []string{"a"}}); err != nil {
			t.Fatalf("UntagResource %s: %v", tc.arn, err)
		}
		if got := list(); got["b"] != "2" || got["a"] != "" || len(got) != len(tc.initial)+1 {
			t.Errorf("%s: tags after tag and untag %v", tc.arn, got)
		}
	}
	if d := describeAddon(t, c, cluster, secretsAddon); d.Tags["b"] != "2" {
		t.Errorf("DescribeAddon tags %v, want those TagResource added", d.Tags)
	}
	gone := strings.Replace(aws.ToString(add.Addon.AddonArn), secretsAddon, agentAddon, 1)
	_, err = c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: aws.String(gone)})
	wantErr[*ekstypes.NotFoundException](t, "tags of a missing add-on", err, "Resource was not found")
}

// TestEKSFaultsOnEmulatedOperations injects faults, by operation name, on
// operations the proxy answers itself, through the stack's own proxy.
func TestEKSFaultsOnEmulatedOperations(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	cfg, err := s.AWSConfig(ctx, "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	c := eks.NewFromConfig(cfg)
	cluster := newCluster(t, c, "1.33")

	if err := s.InjectFault("eks:CreateAddon", proxy.FaultThrottle, 2, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon)}); err != nil {
		t.Errorf("CreateAddon with two throttles injected: %v", err)
	}
	if left := s.Faults(); len(left) != 0 {
		t.Errorf("throttles not used up by the SDK's retries: %v", left)
	}

	if err := s.InjectFault("eks:DescribeAddon", proxy.Fault500, 1, 0); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(secretsAddon)},
		func(o *eks.Options) { o.Retryer = aws.NopRetryer{} })
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalFailure" {
		t.Errorf("DescribeAddon with a 500 injected and no retries: %v, want InternalFailure", err)
	}

	// A lost response: the proxy applies the call, the SDK retries with the
	// same client request token and gets the association created the first time.
	if err := s.InjectFault("eks:CreatePodIdentityAssociation", proxy.FaultLostResponse, 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(cluster),
		Namespace: aws.String("kubeflow"), ServiceAccount: aws.String("ml-pipeline"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/kfp")}); err != nil {
		t.Errorf("CreatePodIdentityAssociation after a lost response: %v", err)
	}
	list, err := c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster)})
	if err != nil || len(list.Associations) != 1 {
		t.Errorf("associations after a lost response and retry: %+v, %v; want exactly one", list, err)
	}
}

func TestEKSDeletedClusterTakesItsAddonsAndAssociations(t *testing.T) {
	h := newEKSHarness(t)
	c := h.client("us-west-2")
	ctx := context.Background()
	cluster := newCluster(t, c, "1.33")
	if _, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(agentAddon)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String(cluster),
		Namespace: aws.String("kubeflow"), ServiceAccount: aws.String("ml-pipeline"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/kfp")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String(cluster)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String(cluster), AddonName: aws.String(agentAddon)})
	wantErr[*ekstypes.ResourceNotFoundException](t, "add-on of a deleted cluster", err, "No cluster found")
	if _, err := c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String(cluster), Version: aws.String("1.33"),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/eks-cluster"), ResourcesVpcConfig: &ekstypes.VpcConfigRequest{}}); err != nil {
		t.Fatal(err)
	}
	addons, err := c.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String(cluster)})
	if err != nil || len(addons.Addons) != 0 {
		t.Errorf("add-ons of a new cluster of a deleted one's name: %v, %v", addons, err)
	}
	assocs, err := c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster)})
	if err != nil || len(assocs.Associations) != 0 {
		t.Errorf("associations of a new cluster of a deleted one's name: %v, %v", assocs, err)
	}
}
