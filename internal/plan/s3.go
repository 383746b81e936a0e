package plan

import (
	"fmt"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/policy"
)

func (b *builder) s3() {
	c, bk := b.cfg, b.snap.Bucket
	r := Resource{Key: KeyBucket, Kind: "S3 bucket", Name: c.S3.Bucket, Field: "s3.bucket", ARN: b.arns.Bucket(c.S3.Bucket)}
	switch {
	case bk.Foreign:
		r.Action, r.Detail = Conflict, "the name is taken by a bucket this account cannot use (bucket names are global); choose another s3.bucket"
	case !bk.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "private, public access blocked, "+b.encryption("SSE-S3 encryption")+", region "+c.Region
		what := "private, public access blocked, encrypted"
		if b.key != "" {
			what = "private, public access blocked, " + b.encryption("")
		}
		if b.requireTLS() {
			r.Detail += ", TLS-only bucket policy"
			what += ", TLS only"
		}
		b.step(KeyBucket, "create", CreateBucket{Bucket: c.S3.Bucket, Region: c.Region, TLSOnly: b.tlsOnly(), KMSKey: b.key},
			fmt.Sprintf("create S3 bucket %q (%s)", c.S3.Bucket, what), KeyKMSKey)
	case bk.Region != "" && bk.Region != c.Region:
		r.Action, r.Detail = Conflict, fmt.Sprintf("bucket is in region %s, the cluster in %s; choose a bucket in %s", bk.Region, c.Region, c.Region)
	case b.foreign(bk.Presence):
		belongsToAnother(&r, bk.Installation, "bucket")
	case b.owned(KeyBucket, c.S3.Bucket, bk.Presence):
		r.Owned = true
		r.Action = Exists
		switch {
		case bk.Installation == "" || !bk.PublicAccessBlocked || !bk.Encrypted:
			r.Action, r.Detail = Update, "restore tags, public access block and encryption"
			b.step(KeyBucket, "configure", ConfigureBucket{Bucket: c.S3.Bucket, KMSKey: b.key}, fmt.Sprintf("configure S3 bucket %q (tags, public access block, encryption)", c.S3.Bucket), KeyKMSKey)
		case b.key != "" && !b.usesKey(bk.KMSKey):
			r.Action, r.Detail = Update, "switch default encryption to "+b.encryption("")+" (new objects; existing ones keep theirs)"
			b.step(KeyBucket, "configure", ConfigureBucket{Bucket: c.S3.Bucket, KMSKey: b.key},
				fmt.Sprintf("configure S3 bucket %q (default encryption %s)", c.S3.Bucket, b.encryption("")), KeyKMSKey)
		}
		b.bucketTLSPolicy(&r)
	default:
		r.Action, r.Detail = Exists, "not created by kfaws: used as is, never changed or deleted"
		b.useAdopted(&r, bk.Presence)
		if !bk.PublicAccessBlocked || !bk.Encrypted {
			b.warn("bucket %q is not fully protected (public access block: %t, default encryption: %t); kfaws does not change buckets it did not create",
				c.S3.Bucket, bk.PublicAccessBlocked, bk.Encrypted)
		}
		if b.key != "" && !b.usesKey(bk.KMSKey) {
			b.warn("bucket %q, which kfaws did not create, is not encrypted with KMS key %s (kms.key) by default; kfaws does not change "+
				"it: set its default encryption yourself (aws s3api put-bucket-encryption)", c.S3.Bucket, b.keyName)
		}
	}
	b.add(r)

	if c.S3.Credentials == config.CredentialsStatic {
		b.s3Secret()
		return
	}
	b.s3Policy()
	// KFP's UI reads artifacts with the API server's role: render annotates both accounts with it.
	b.role(KeyBackendRole, c.IAM.BackendRoleName, identity.ServiceAccount{Namespace: KubeflowNamespace, Name: BackendServiceAccount},
		b.snap.BackendRole, identity.ServiceAccount{Namespace: KubeflowNamespace, Name: UIServiceAccount})
	b.profileRoles()
}

// requireTLS reports whether the bucket kfaws owns gets the TLS-only statement.
func (b *builder) requireTLS() bool { return config.Value(b.cfg.S3.RequireTLS) }

// tlsOnly is the statement the bucket policy must hold, nil when s3.requireTLS is off.
func (b *builder) tlsOnly() *policy.Statement {
	if !b.requireTLS() {
		return nil
	}
	st := TLSOnlyStatement(b.p.Partition, b.cfg.S3.Bucket)
	return &st
}

// bucketTLSPolicy puts kfaws's TLS-only statement into the policy of the bucket kfaws owns, or takes it out when
// s3.requireTLS is off; the owner's other statements stay.
func (b *builder) bucketTLSPolicy(r *Resource) {
	c, have := b.cfg, b.snap.Bucket.Policy
	want := b.tlsOnly()
	var desc, detail string
	switch {
	case want != nil && !policy.HasStatement(have, *want):
		desc = fmt.Sprintf("put the TLS-only statement %q into the policy of S3 bucket %q", TLSOnlySid, c.S3.Bucket)
		detail = "put the TLS-only statement into the bucket policy (s3.requireTLS)"
	case want == nil && policy.HasSid(have, TLSOnlySid):
		desc = fmt.Sprintf("take the TLS-only statement %q out of the policy of S3 bucket %q (s3.requireTLS is false)", TLSOnlySid, c.S3.Bucket)
		detail = "remove the TLS-only bucket policy statement (s3.requireTLS is false)"
	default:
		return
	}
	r.Action, r.Detail = Update, joinDetail(r.Detail, r.Detail != "", detail)
	b.step(KeyBucket, "tls-policy", BucketTLSPolicy{Bucket: c.S3.Bucket, Statement: want}, desc, KeyBucket)
}

func (b *builder) s3Secret() {
	c, s := b.cfg, b.snap.S3Secret
	r := Resource{Key: KeyS3Secret, Kind: "secret", Name: c.S3.SecretName, Field: "s3.secretName", ARN: s.ARN}
	haveKeys := c.S3.AccessKeyID != ""
	restored := b.restoreSecret(KeyS3Secret, c.S3.SecretName, s)
	switch {
	case restored:
		r.Action, r.Owned, r.Detail = Update, true, "restored from the deletion kfaws down scheduled; the keys in it are used"
	case s.Deleted:
		r.Action, r.Detail = Conflict, "secret is scheduled for deletion; restore it (aws secretsmanager restore-secret) or choose another s3.secretName"
	case !s.Exists && !haveKeys:
		r.Action, r.Detail = Conflict, "secret does not exist and no keys were given; set "+config.EnvS3AccessKeyID+" and "+config.EnvS3SecretAccessKey
	case !s.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "static S3 keys {accesskey, secretkey}"
		r.Detail += b.secretEncryption()
		b.step(KeyS3Secret, "create", CreateStaticKeys{SecretName: c.S3.SecretName, KMSKey: b.key},
			fmt.Sprintf("create secret %q with the static S3 keys", c.S3.SecretName), KeyKMSKey)
	case b.foreign(s.Presence):
		belongsToAnother(&r, s.Installation, "secret")
	default:
		r.Action, r.Owned = Exists, b.owned(KeyS3Secret, c.S3.SecretName, s.Presence)
		if !r.Owned {
			b.useAdopted(&r, s.Presence)
		}
		if haveKeys {
			r.Detail = joinDetail(r.Detail, r.Detail != "", "kept as is; the keys given were not written (update the secret yourself to rotate them)")
		}
		b.secretKey(&r, s, r.Owned)
	}
	b.add(r)
}

func (b *builder) s3Policy() {
	c, p := b.cfg, b.snap.S3Policy
	r := Resource{Key: KeyS3Policy, Kind: "IAM policy", Name: c.IAM.S3PolicyName, Field: "iam.s3PolicyName", ARN: b.arns.Policy(c.IAM.S3PolicyName)}
	doc := S3PolicyWithKey(b.p.Partition, c.Region, c.S3.Bucket, b.key)
	switch {
	case !p.Exists:
		r.Action, r.Owned, r.Detail = Create, true, "least privilege on bucket "+c.S3.Bucket
		if b.key != "" {
			r.Detail += " and on its KMS key " + b.keyName + " through S3"
		}
		params := CreatePolicy{Name: c.IAM.S3PolicyName, Description: "Kubeflow Pipelines access to S3 bucket " + c.S3.Bucket,
			Document: doc}
		b.step(KeyS3Policy, "create", params, fmt.Sprintf("create IAM policy %q for bucket %q", c.IAM.S3PolicyName, c.S3.Bucket), KeyKMSKey)
	case b.foreign(p.Presence):
		belongsToAnother(&r, p.Installation, "policy")
	case b.useAdopted(&r, p.Presence):
	case !b.owned(KeyS3Policy, c.IAM.S3PolicyName, p.Presence):
		r.Action, r.Detail = Conflict, "a policy of this name exists and was not created by this installation; choose another iam.s3PolicyName"
	case !SameGrants(p.Document, doc):
		// The bucket changed, or someone edited the policy: what it grants must be what plan writes.
		r.Action, r.Owned, r.Detail = Update, true, "rewrite to least privilege on bucket "+c.S3.Bucket+" (it grants something else)"
		b.step(KeyS3Policy, "update", UpdatePolicy{ARN: r.ARN, Name: c.IAM.S3PolicyName, Document: doc},
			fmt.Sprintf("update IAM policy %q to grant access to bucket %q", c.IAM.S3PolicyName, c.S3.Bucket), KeyKMSKey)
	default:
		r.Action, r.Owned = Exists, true
	}
	b.add(r)
}
