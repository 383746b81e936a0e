package plan

import (
	"encoding/json"
	"strings"
)

type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

func (d policyDocument) String() string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // only strings and maps of strings
	}
	return string(b)
}

// S3Policy allows what KFP's API server, UI, Argo executor and v2 launcher do on the bucket: find it, list it,
// and read, write and delete objects, multipart uploads included. Not s3:CreateBucket: kfaws creates the bucket.
func S3Policy(partition, bucket string) string {
	arn := "arn:" + partition + ":s3:::" + bucket
	return policyDocument{Version: "2012-10-17", Statement: []policyStatement{
		{Sid: "Bucket", Effect: "Allow", Resource: []string{arn},
			Action: []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}},
		{Sid: "Objects", Effect: "Allow", Resource: []string{arn + "/*"},
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}},
	}}.String()
}

// TrustPolicy lets exactly one Kubernetes service account assume a role through the cluster's OIDC provider.
func TrustPolicy(oidcProviderARN, issuer, namespace, serviceAccount string) string {
	host := strings.TrimPrefix(issuer, "https://")
	return policyDocument{Version: "2012-10-17", Statement: []policyStatement{{
		Effect:    "Allow",
		Principal: map[string]string{"Federated": oidcProviderARN},
		Action:    []string{"sts:AssumeRoleWithWebIdentity"},
		Condition: map[string]map[string]string{"StringEquals": {
			host + ":aud": "sts.amazonaws.com",
			host + ":sub": "system:serviceaccount:" + namespace + ":" + serviceAccount,
		}},
	}}}.String()
}

// SecretsPolicy allows reading the named secrets and nothing else. Secrets Manager appends six random characters
// to a secret's ARN, so each name is matched with "-??????", which lets the role exist before its secrets do.
func SecretsPolicy(partition, region, account string, names ...string) string {
	var res []string
	for _, n := range names {
		res = append(res, "arn:"+partition+":secretsmanager:"+region+":"+account+":secret:"+n+"-??????")
	}
	return policyDocument{Version: "2012-10-17", Statement: []policyStatement{{
		Sid: "ReadKubeflowSecrets", Effect: "Allow", Resource: res,
		Action: []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
	}}}.String()
}

// OIDCProviderARN is the ARN IAM gives the provider for issuer.
func (p *Plan) OIDCProviderARN(issuer string) string {
	return "arn:" + p.Partition + ":iam::" + p.Account + ":oidc-provider/" + strings.TrimPrefix(issuer, "https://")
}
