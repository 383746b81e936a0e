package proxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func signed(r *http.Request, service string) *http.Request {
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/"+service+
		"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
	return r
}

func TestIdentify(t *testing.T) {
	form := func(service, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return signed(r, service)
	}
	target := func(service, tgt, ct string) *http.Request {
		r := signed(httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")), service)
		r.Header.Set("X-Amz-Target", tgt)
		r.Header.Set("Content-Type", ct)
		return r
	}
	rest := func(service, method, url string) *http.Request {
		return signed(httptest.NewRequest(method, url, nil), service)
	}
	copySource := func(r *http.Request) *http.Request {
		r.Header.Set("X-Amz-Copy-Source", "/other/key")
		return r
	}
	cases := []struct {
		req      *http.Request
		want     string
		protocol Protocol
	}{
		{form("rds", "Action=CreateDBInstance&Version=2014-10-31"), "rds:CreateDBInstance", ProtocolQuery},
		{form("iam", "Action=CreateRole&RoleName=x"), "iam:CreateRole", ProtocolQuery},
		{form("sts", "Action=GetCallerIdentity"), "sts:GetCallerIdentity", ProtocolQuery},
		{form("ec2", "Action=DescribeVpcs"), "ec2:DescribeVpcs", ProtocolEC2},
		{target("secretsmanager", "secretsmanager.CreateSecret", "application/x-amz-json-1.1"), "secretsmanager:CreateSecret", ProtocolJSON},
		{rest("eks", http.MethodPost, "/clusters"), "eks:CreateCluster", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/clusters/demo"), "eks:DescribeCluster", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/clusters"), "eks:ListClusters", ProtocolRESTJSON},
		{rest("eks", http.MethodDelete, "/clusters/demo"), "eks:DeleteCluster", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/addons/supported-versions?kubernetesVersion=1.33"), "eks:DescribeAddonVersions", ProtocolRESTJSON},
		{rest("eks", http.MethodPost, "/clusters/demo/addons"), "eks:CreateAddon", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/clusters/demo/addons"), "eks:ListAddons", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/clusters/demo/addons/vpc-cni"), "eks:DescribeAddon", ProtocolRESTJSON},
		{rest("eks", http.MethodPost, "/clusters/demo/addons/vpc-cni/update"), "eks:UpdateAddon", ProtocolRESTJSON},
		{rest("eks", http.MethodDelete, "/clusters/demo/addons/vpc-cni?preserve=true"), "eks:DeleteAddon", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/clusters/demo/updates/u-1?addonName=vpc-cni"), "eks:DescribeUpdate", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/clusters/demo/updates"), "eks:ListUpdates", ProtocolRESTJSON},
		{rest("eks", http.MethodPost, "/clusters/demo/pod-identity-associations"), "eks:CreatePodIdentityAssociation", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/clusters/demo/pod-identity-associations?namespace=kubeflow"), "eks:ListPodIdentityAssociations", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/clusters/demo/pod-identity-associations/a-1"), "eks:DescribePodIdentityAssociation", ProtocolRESTJSON},
		{rest("eks", http.MethodPost, "/clusters/demo/pod-identity-associations/a-1"), "eks:UpdatePodIdentityAssociation", ProtocolRESTJSON},
		{rest("eks", http.MethodDelete, "/clusters/demo/pod-identity-associations/a-1"), "eks:DeletePodIdentityAssociation", ProtocolRESTJSON},
		{rest("eks", http.MethodPost, "/clusters/demo/node-groups"), "eks:CreateNodegroup", ProtocolRESTJSON},
		{rest("eks", http.MethodPost, "/tags/arn%3Aaws%3Aeks%3Aus-east-1%3A123456789012%3Aaddon%2Fdemo%2Fvpc-cni%2Fx"), "eks:TagResource", ProtocolRESTJSON},
		{rest("eks", http.MethodDelete, "/tags/arn:aws:eks:us-east-1:123456789012:cluster/demo?tagKeys=a"), "eks:UntagResource", ProtocolRESTJSON},
		{rest("eks", http.MethodGet, "/tags/arn:aws:eks:us-east-1:123456789012:cluster/demo"), "eks:ListTagsForResource", ProtocolRESTJSON},
		{rest("s3", http.MethodPut, "/bucket"), "s3:CreateBucket", ProtocolRESTXML},
		{rest("s3", http.MethodPut, "/bucket?encryption"), "s3:PutBucketEncryption", ProtocolRESTXML},
		{rest("s3", http.MethodGet, "/bucket?encryption="), "s3:GetBucketEncryption", ProtocolRESTXML},
		{rest("s3", http.MethodPut, "/bucket?publicAccessBlock"), "s3:PutPublicAccessBlock", ProtocolRESTXML},
		{rest("s3", http.MethodDelete, "/bucket?tagging"), "s3:DeleteBucketTagging", ProtocolRESTXML},
		{rest("s3", http.MethodHead, "/bucket"), "s3:HeadBucket", ProtocolRESTXML},
		{rest("s3", http.MethodGet, "/bucket?list-type=2"), "s3:ListObjectsV2", ProtocolRESTXML},
		{rest("s3", http.MethodPut, "/bucket/some/key"), "s3:PutObject", ProtocolRESTXML},
		{rest("s3", http.MethodPost, "/bucket/some/key?uploads"), "s3:CreateMultipartUpload", ProtocolRESTXML},
		{rest("s3", http.MethodPut, "/bucket/some/key?partNumber=2&uploadId=u1"), "s3:UploadPart", ProtocolRESTXML},
		{copySource(rest("s3", http.MethodPut, "/bucket/some/key?partNumber=2&uploadId=u1")), "s3:UploadPartCopy", ProtocolRESTXML},
		{rest("s3", http.MethodPost, "/bucket/some/key?uploadId=u1"), "s3:CompleteMultipartUpload", ProtocolRESTXML},
		{rest("s3", http.MethodDelete, "/bucket/some/key?uploadId=u1"), "s3:AbortMultipartUpload", ProtocolRESTXML},
		{rest("s3", http.MethodGet, "/bucket/some/key?uploadId=u1"), "s3:ListParts", ProtocolRESTXML},
		{copySource(rest("s3", http.MethodPut, "/bucket/some/key")), "s3:CopyObject", ProtocolRESTXML},
		{rest("s3", http.MethodGet, "/bucket?uploads&prefix=a"), "s3:ListMultipartUploads", ProtocolRESTXML},
		{rest("s3", http.MethodHead, "/bucket/some/key"), "s3:HeadObject", ProtocolRESTXML},
		{rest("s3", http.MethodGet, "/"), "s3:ListBuckets", ProtocolRESTXML},
	}
	for _, tc := range cases {
		op, err := identify(tc.req)
		if err != nil {
			t.Errorf("%s: %v", tc.want, err)
			continue
		}
		if op.String() != tc.want || op.Protocol != tc.protocol {
			t.Errorf("identify = %s (%s), want %s (%s)", op, op.Protocol, tc.want, tc.protocol)
		}
	}
}

func TestIdentifyKeepsFormBody(t *testing.T) {
	body := "Action=CreateDBInstance&MasterUsername=admin"
	r := signed(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)), "rds")
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	op, err := identify(r)
	if err != nil {
		t.Fatal(err)
	}
	if op.Form.Get("MasterUsername") != "admin" {
		t.Errorf("form = %v", op.Form)
	}
	rest, _ := io.ReadAll(r.Body)
	if string(rest) != body {
		t.Errorf("body after identify = %q, want %q", rest, body)
	}
}

func TestSigningServiceFromPresignedURL(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/b/k?X-Amz-Credential=testing%2F20260101%2Fus-east-1%2Fs3%2Faws4_request", nil)
	if got := signingService(r); got != "s3" {
		t.Errorf("signingService = %q, want s3", got)
	}
}

func TestParseEKSRouteLabels(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         eksRoute
	}{
		{http.MethodGet, "/clusters/demo/addons/vpc-cni", eksRoute{action: "DescribeAddon", cluster: "demo", addon: "vpc-cni"}},
		{http.MethodGet, "/clusters/demo/pod-identity-associations/a-1", eksRoute{action: "DescribePodIdentityAssociation", cluster: "demo", association: "a-1"}},
		{http.MethodGet, "/clusters/demo/updates/u-1", eksRoute{action: "DescribeUpdate", cluster: "demo", update: "u-1"}},
		{http.MethodGet, "/tags/arn%3Aaws%3Aeks%3Aus-east-1%3A123456789012%3Aaddon%2Fdemo%2Fvpc-cni%2Fx",
			eksRoute{action: "ListTagsForResource", resourceARN: "arn:aws:eks:us-east-1:123456789012:addon/demo/vpc-cni/x"}},
		{http.MethodGet, "/clusters/demo/addons/vpc-cni/extra", eksRoute{cluster: "demo", addon: "vpc-cni"}},
	} {
		if got := parseEKSRoute(tc.method, tc.path); got != tc.want {
			t.Errorf("parseEKSRoute(%s %s) = %+v, want %+v", tc.method, tc.path, got, tc.want)
		}
	}
}
