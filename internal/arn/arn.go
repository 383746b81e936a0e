// Package arn forms the Amazon Resource Names kfaws uses, in the partition of the account it runs against. AWS
// has three public partitions (aws, aws-us-gov, aws-cn) and an ARN of one is invalid in another, so no ARN is
// written out by hand anywhere else: the partition comes from the caller identity, and from the region only when
// the identity's ARN cannot tell.
package arn

import "strings"

// The partitions kfaws knows by name.
const (
	PartitionAWS      = "aws"
	PartitionGovCloud = "aws-us-gov"
	PartitionChina    = "aws-cn"
)

// PartitionOf returns the partition of an ARN ("arn:PARTITION:..."), "" when s is not one.
func PartitionOf(s string) string {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}

// PartitionForRegion returns the partition a region belongs to: us-gov-* is GovCloud, cn-* is China, every
// other region (and "") is the standard partition.
func PartitionForRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return PartitionGovCloud
	case strings.HasPrefix(region, "cn-"):
		return PartitionChina
	}
	return PartitionAWS
}

// Partition returns the partition of callerARN (sts:GetCallerIdentity's ARN), or the region's when callerARN
// has none.
func Partition(callerARN, region string) string {
	if p := PartitionOf(callerARN); p != "" {
		return p
	}
	return PartitionForRegion(region)
}

// Builder forms ARNs for one account in one partition and region. A Builder without a partition takes the
// region's.
type Builder struct {
	Partition string
	Account   string
	Region    string
}

func (b Builder) partition() string {
	if b.Partition != "" {
		return b.Partition
	}
	return PartitionForRegion(b.Region)
}

// iam is an IAM ARN: IAM is global, so its ARNs have no region.
func (b Builder) iam(resource string) string {
	return "arn:" + b.partition() + ":iam::" + b.Account + ":" + resource
}

// Role is the ARN of an IAM role at the root path.
func (b Builder) Role(name string) string { return b.iam("role/" + name) }

// Policy is the ARN of a customer managed IAM policy at the root path.
func (b Builder) Policy(name string) string { return b.iam("policy/" + name) }

// OIDCProvider is the ARN IAM gives the OpenID Connect provider of issuer (its URL, with or without https://).
func (b Builder) OIDCProvider(issuer string) string {
	return b.iam("oidc-provider/" + strings.TrimPrefix(issuer, "https://"))
}

// Bucket is the ARN of an S3 bucket; bucket names are global, so it has neither account nor region.
func (b Builder) Bucket(name string) string { return "arn:" + b.partition() + ":s3:::" + name }

// Object is the ARN of one object (or, with wildcards in key, a pattern of objects) in a bucket.
func (b Builder) Object(bucket, key string) string { return b.Bucket(bucket) + "/" + key }

// Objects matches every object in a bucket.
func (b Builder) Objects(bucket string) string { return b.Object(bucket, "*") }

// SecretPattern matches the Secrets Manager secret called name. Secrets Manager appends a dash and six random
// characters to a secret's ARN, so the pattern ends in "-??????"; it matches before the secret exists.
func (b Builder) SecretPattern(name string) string {
	return "arn:" + b.partition() + ":secretsmanager:" + b.Region + ":" + b.Account + ":secret:" + name + "-??????"
}

// Region returns the region of an ARN ("arn:PARTITION:SERVICE:REGION:..."), "" when s is not one or has none.
func Region(s string) string {
	parts := strings.SplitN(s, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

// ServiceHost is the regional endpoint name of service as KMS's kms:ViaService condition names it, e.g.
// "s3.us-west-2.amazonaws.com"; China's partition uses amazonaws.com.cn.
func (b Builder) ServiceHost(service string) string {
	host := service + "." + b.Region + ".amazonaws.com"
	if b.partition() == PartitionChina {
		host += ".cn"
	}
	return host
}
