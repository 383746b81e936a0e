package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/identity"
)

// S3Input is what the object-store checks need.
type S3Input struct {
	// S3 is the operator's client (kfaws's own credentials), for the bucket's settings.
	S3     *s3.Client
	Bucket string
	// AccessKey and SecretKey are the static keys from the S3 secret (static mode); both empty in IRSA mode.
	AccessKey, SecretKey string
	// KeysErr is why the static keys could not be read, if they could not.
	KeysErr error
	// IAM and RoleName select the IRSA role whose policies are evaluated (IRSA mode).
	IAM      *iam.Client
	RoleName string
	Static   bool
	// Binding is how the role is bound to ml-pipeline; nil means IRSA.
	Binding identity.Binding
	// Partition is the ARN partition of the account (arn.Partition); when unset, the IRSA role's.
	Partition string
	TLS       TLSInput
	// KMSKey is the ARN of the KMS key kms.key names, "" for none; KMS resolves a key the bucket names otherwise.
	KMSKey string
	KMS    *kms.Client
	// Profiles are the profile namespaces up gave S3 access and their roles (IRSA and Pod Identity), whose
	// confinement to their own prefixes is checked.
	Profiles []ProfileRole
}

// probePrefix is where the write/read/delete probe puts its one object.
const probePrefix = "kfaws-verify/"

// artifactPrefixes are the top-level prefixes KFP and Argo write to: Argo's keyFormat (artifacts/, per namespace
// private-artifacts/ from v1.11), KFP's v2 pipeline root (v2/) and the API server's pipeline packages up to KFP 2.3
// (pipelines/, kfp@2.2.0:backend/src/apiserver/resource/resource_manager.go).
var artifactPrefixes = []string{"artifacts/", "private-artifacts/", "v2/", "pipelines/"}

// CheckS3 runs the bucket checks.
func CheckS3(ctx context.Context, r *Report, in S3Input) {
	w := recorder{r: r, area: AreaS3}
	if _, err := in.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &in.Bucket}); err != nil {
		w.add("bucket", Fail, fmt.Sprintf("bucket %q: %v", in.Bucket, err), "run kfaws up, or fix s3.bucket in the configuration")
		return
	}
	w.ok("bucket", fmt.Sprintf("bucket %q exists", in.Bucket))
	checkPublicAccess(ctx, w, in)
	checkEncryption(ctx, w, in)
	checkTLSOnly(ctx, w, in)
	if in.Static {
		checkProbe(ctx, w, in)
	} else {
		checkRolePolicy(ctx, w, in)
		if len(in.Profiles) > 0 {
			checkProfileAccess(ctx, w, in)
		}
	}
	checkPrefixes(ctx, w, in)
}

func checkPublicAccess(ctx context.Context, w recorder, in S3Input) {
	const name = "public access block"
	out, err := in.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &in.Bucket})
	action := fmt.Sprintf("aws s3api put-public-access-block --bucket %s --public-access-block-configuration "+
		"BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", in.Bucket)
	if err != nil {
		if kaws.ErrorCode(err) == "NoSuchPublicAccessBlockConfiguration" {
			w.add(name, Fail, "the bucket has no public access block", action)
			return
		}
		w.add(name, Fail, fmt.Sprintf("reading the public access block: %v", err), "")
		return
	}
	c := out.PublicAccessBlockConfiguration
	var off []string
	for _, s := range []struct {
		name string
		on   *bool
	}{{"BlockPublicAcls", c.BlockPublicAcls}, {"IgnorePublicAcls", c.IgnorePublicAcls},
		{"BlockPublicPolicy", c.BlockPublicPolicy}, {"RestrictPublicBuckets", c.RestrictPublicBuckets}} {
		if !aws.ToBool(s.on) {
			off = append(off, s.name)
		}
	}
	if len(off) > 0 {
		w.add(name, Fail, "off: "+strings.Join(off, ", "), action)
		return
	}
	w.ok(name, "all four settings on")
}

func checkEncryption(ctx context.Context, w recorder, in S3Input) {
	const name = "encryption"
	action := fmt.Sprintf("aws s3api put-bucket-encryption --bucket %s --server-side-encryption-configuration "+
		`'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'`, in.Bucket)
	out, err := in.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &in.Bucket})
	if err != nil {
		if kaws.ErrorCode(err) == "ServerSideEncryptionConfigurationNotFoundError" {
			w.add(name, Fail, "the bucket has no default encryption", action)
			return
		}
		w.add(name, Fail, fmt.Sprintf("reading the bucket encryption: %v", err), "")
		return
	}
	for _, rule := range out.ServerSideEncryptionConfiguration.Rules {
		if d := rule.ApplyServerSideEncryptionByDefault; d != nil && d.SSEAlgorithm != "" {
			if in.KMSKey != "" {
				checkKMSKey(ctx, w, in, d)
				return
			}
			w.ok(name, "default encryption "+string(d.SSEAlgorithm))
			return
		}
	}
	w.add(name, Fail, "the encryption configuration has no default algorithm", action)
}

// checkKMSKey checks that the bucket's default encryption is SSE-KMS with the key kms.key names.
func checkKMSKey(ctx context.Context, w recorder, in S3Input, d *s3types.ServerSideEncryptionByDefault) {
	const name = "encryption"
	action := fmt.Sprintf("kfaws up (a bucket kfaws created), or aws s3api put-bucket-encryption --bucket %s --server-side-encryption-configuration "+
		`'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"%s"},"BucketKeyEnabled":true}]}'`, in.Bucket, in.KMSKey)
	have := aws.ToString(d.KMSMasterKeyID)
	if d.SSEAlgorithm == s3types.ServerSideEncryptionAes256 || have == "" {
		w.add(name, Fail, fmt.Sprintf("default encryption %s, not SSE-KMS with KMS key %s (kms.key)", firstNonEmpty(have, string(d.SSEAlgorithm)), in.KMSKey), action)
		return
	}
	if have != in.KMSKey && in.KMS != nil {
		// The bucket may name the key by id or alias: KMS says which key that is.
		if out, err := in.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &have}); err == nil && aws.ToString(out.KeyMetadata.Arn) == in.KMSKey {
			have = in.KMSKey
		}
	}
	if have != in.KMSKey {
		w.add(name, Fail, fmt.Sprintf("default encryption SSE-KMS with key %s, not KMS key %s (kms.key)", have, in.KMSKey), action)
		return
	}
	w.ok(name, "default encryption SSE-KMS with KMS key "+in.KMSKey)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkProbe writes, reads back and deletes one object with the static keys the cluster uses.
func checkProbe(ctx context.Context, w recorder, in S3Input) {
	const name = "write/read/delete probe"
	if in.KeysErr != nil || in.AccessKey == "" || in.SecretKey == "" {
		detail := "the S3 secret holds no accesskey/secretkey"
		if in.KeysErr != nil {
			detail = in.KeysErr.Error()
		}
		w.add(name, Fail, detail, "store the keys KFP uses in the S3 secret as {\"accesskey\",\"secretkey\"} (kfaws up does)")
		return
	}
	opts := in.S3.Options()
	opts.Credentials = credentials.NewStaticCredentialsProvider(in.AccessKey, in.SecretKey, "")
	c := s3.New(opts)
	key := probePrefix + randomHex()
	body := []byte("kfaws verify probe " + key)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &in.Bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
		w.add(name, Fail, fmt.Sprintf("writing %q with the S3 secret's keys: %v", key, err), "give those keys s3:PutObject on the bucket")
		return
	}
	// Best effort, so a probe never stays behind when a later step fails; the checked delete comes below.
	defer func() {
		_, _ = c.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: &in.Bucket, Key: &key})
	}()
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &in.Bucket, Key: &key})
	if err != nil {
		w.add(name, Fail, fmt.Sprintf("reading %q back: %v", key, err), "give those keys s3:GetObject on the bucket")
		return
	}
	data, err := io.ReadAll(got.Body)
	got.Body.Close()
	if err != nil || !bytes.Equal(data, body) {
		w.add(name, Fail, fmt.Sprintf("reading %q back returned other content", key), "")
		return
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &in.Bucket, Key: &key}); err != nil {
		w.add(name, Fail, fmt.Sprintf("deleting %q: %v", key, err), "give those keys s3:DeleteObject on the bucket")
		return
	}
	w.ok(name, "wrote, read back and deleted one object with the S3 secret's keys (what KFP uses)")
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func checkPrefixes(ctx context.Context, w recorder, in S3Input) {
	const name = "artifact prefixes"
	out, err := in.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &in.Bucket, Delimiter: aws.String("/")})
	if err != nil {
		w.add(name, Warn, fmt.Sprintf("listing the bucket: %v", err), "")
		return
	}
	present := map[string]bool{}
	for _, p := range out.CommonPrefixes {
		present[aws.ToString(p.Prefix)] = true
	}
	var found []string
	for _, p := range artifactPrefixes {
		if present[p] {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		w.add(name, NotYetInitialised, "none of "+strings.Join(artifactPrefixes, ", ")+": no pipeline has run yet "+
			"(KFP writes nothing at install time)", "run a pipeline, then verify again to see its artifacts")
		return
	}
	w.ok(name, "present: "+strings.Join(found, ", "))
}
