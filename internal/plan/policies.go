package plan

import (
	"github.com/kfaws/kfaws/internal/arn"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/policy"
)

// S3Policy allows what KFP's API server, UI, Argo executor and v2 launcher do on the bucket: find it, list it,
// and read, write and delete objects, multipart uploads included. Not s3:CreateBucket: kfaws creates the bucket.
func S3Policy(partition, bucket string) string { return S3PolicyWithKey(partition, "", bucket, "") }

// S3PolicyWithKey is S3Policy and, when keyARN is set, what S3 needs of the bucket's KMS key on the roles' behalf
// (KMSStatement through S3 in region).
func S3PolicyWithKey(partition, region, bucket, keyARN string) string {
	arns := arn.Builder{Partition: partition, Region: region}
	d := policy.Document{Version: policy.Version, Statement: []policy.Statement{
		{Sid: "Bucket", Effect: "Allow", Resource: []string{arns.Bucket(bucket)},
			Action: []string{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}},
		{Sid: "Objects", Effect: "Allow", Resource: []string{arns.Objects(bucket)},
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}},
	}}
	if keyARN != "" {
		// Writing an SSE-KMS object needs a data key, reading it (and completing a multipart upload) decrypting one.
		d.Statement = append(d.Statement, KMSStatement(arns, keyARN, "s3", "kms:GenerateDataKey", "kms:Decrypt"))
	}
	return d.String()
}

// SecretsPolicy allows reading the named secrets and nothing else. Each name is matched with the pattern that
// lets the role exist before its secrets do (arn.Builder.SecretPattern).
func SecretsPolicy(partition, region, account string, names ...string) string {
	return SecretsPolicyWithKey(partition, region, account, "", names...)
}

// SecretsPolicyWithKey is SecretsPolicy and, when keyARN is set, decrypting with the secrets' KMS key through
// Secrets Manager.
func SecretsPolicyWithKey(partition, region, account, keyARN string, names ...string) string {
	arns := arn.Builder{Partition: partition, Account: account, Region: region}
	var res []string
	for _, n := range names {
		res = append(res, arns.SecretPattern(n))
	}
	d := policy.Document{Version: policy.Version, Statement: []policy.Statement{{
		Sid: "ReadKubeflowSecrets", Effect: "Allow", Resource: res,
		Action: []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
	}}}
	if keyARN != "" {
		d.Statement = append(d.Statement, KMSStatement(arns, keyARN, "secretsmanager", "kms:Decrypt"))
	}
	return d.String()
}

// KMSStatement allows actions on the KMS key keyARN only when service (s3, secretsmanager) makes them in the
// region on the caller's behalf (kms:ViaService), so the role cannot use the key directly.
func KMSStatement(arns arn.Builder, keyARN, service string, actions ...string) policy.Statement {
	return policy.Statement{Sid: "KMSVia" + sidWord(service), Effect: "Allow", Action: actions, Resource: []string{keyARN},
		Condition: map[string]map[string]string{"StringEquals": {"kms:ViaService": arns.ServiceHost(service)}}}
}

// sidWord makes a service name fit a Sid (letters and digits only).
func sidWord(service string) string {
	if service == "s3" {
		return "S3"
	}
	return "SecretsManager"
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

// NamespaceTag is the policy variable EKS Pod Identity fills with the pod's namespace: the agent tags every
// session with kubernetes-namespace, so one role's policy can name each profile's own prefix.
const NamespaceTag = "${aws:PrincipalTag/kubernetes-namespace}"

// ProfilePolicy confines a profile's pipelines to the profile's own artifacts (kubeflow.ProfileArtifacts(ns)):
// list that prefix only, and read, write and delete objects under it. ns is a namespace, or NamespaceTag for the
// one role every profile shares under Pod Identity. With keyARN, S3 may use the bucket's KMS key on its behalf.
func ProfilePolicy(partition, region, bucket, keyARN, ns string) string {
	arns := arn.Builder{Partition: partition, Region: region}
	prefix := kubeflow.ProfileArtifacts(ns)
	d := policy.Document{Version: policy.Version, Statement: []policy.Statement{
		{Sid: "BucketLocation", Effect: "Allow", Resource: []string{arns.Bucket(bucket)},
			Action: []string{"s3:GetBucketLocation"}},
		{Sid: "ListOwnArtifacts", Effect: "Allow", Resource: []string{arns.Bucket(bucket)},
			Action:    []string{"s3:ListBucket"},
			Condition: map[string]map[string]string{"StringLike": {"s3:prefix": prefix + "*"}}},
		{Sid: "OwnArtifacts", Effect: "Allow", Resource: []string{arns.Object(bucket, prefix+"*")},
			Action: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}},
	}}
	if keyARN != "" {
		d.Statement = append(d.Statement, KMSStatement(arns, keyARN, "s3", "kms:GenerateDataKey", "kms:Decrypt"))
	}
	return d.String()
}
