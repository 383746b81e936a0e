package plan

import (
	"github.com/kfaws/kfaws/internal/arn"
	"github.com/kfaws/kfaws/internal/policy"
)

// S3Policy allows what KFP's API server, UI, Argo executor and v2 launcher do on the bucket: find it, list it,
// and read, write and delete objects, multipart uploads included. Not s3:CreateBucket: kfaws creates the bucket.
func S3Policy(partition, bucket string) string {
	arns := arn.Builder{Partition: partition}
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{
		{Sid: "Bucket", Effect: "Allow", Resource: []string{arns.Bucket(bucket)},
			Action: []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}},
		{Sid: "Objects", Effect: "Allow", Resource: []string{arns.Objects(bucket)},
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}},
	}}.String()
}

// SecretsPolicy allows reading the named secrets and nothing else. Each name is matched with the pattern that
// lets the role exist before its secrets do (arn.Builder.SecretPattern).
func SecretsPolicy(partition, region, account string, names ...string) string {
	arns := arn.Builder{Partition: partition, Account: account, Region: region}
	var res []string
	for _, n := range names {
		res = append(res, arns.SecretPattern(n))
	}
	return policy.Document{Version: policy.Version, Statement: []policy.Statement{{
		Sid: "ReadKubeflowSecrets", Effect: "Allow", Resource: res,
		Action: []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
	}}}.String()
}

// TLSOnlyStatement denies every S3 request to the bucket and its objects made without TLS, whoever makes it.
// It goes into the bucket policy of a bucket kfaws owns, beside any statement the owner added (s3.requireTLS).
func TLSOnlyStatement(partition, bucket string) policy.Statement {
	arns := arn.Builder{Partition: partition}
	return policy.Statement{
		Sid: TLSOnlySid, Effect: "Deny", Principal: "*", Action: []string{"s3:*"},
		Resource:  []string{arns.Bucket(bucket), arns.Objects(bucket)},
		Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
	}
}

// TLSOnlySid names kfaws's statement in a bucket policy: up replaces only the statement with this Sid.
const TLSOnlySid = "kfaws-deny-insecure-transport"
