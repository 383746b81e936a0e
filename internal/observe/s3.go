package observe

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/ownership"
)

// bucket reads whether the bucket exists, whether this account can use it, and its protection settings; arn is
// the bucket's ARN in the caller's partition.
func (o *Observer) bucket(ctx context.Context, name, arn string) (Bucket, error) {
	head, err := o.AWS.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &name})
	var nf *s3types.NotFound
	switch {
	case errors.As(err, &nf) || httpStatus(err) == http.StatusNotFound:
		return Bucket{}, nil
	case httpStatus(err) == http.StatusForbidden || httpStatus(err) == http.StatusMovedPermanently:
		// Bucket names are global: 403 means it belongs to someone else (or to this account without access).
		return Bucket{Presence: Presence{Exists: true}, Foreign: true}, nil
	case err != nil:
		return Bucket{}, fmt.Errorf("s3:HeadBucket: %w", err)
	}
	b := Bucket{Presence: Presence{Exists: true, ARN: arn}, Region: aws.ToString(head.BucketRegion)}
	if b.Region == "" {
		loc, err := o.AWS.S3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &name})
		if err != nil {
			return Bucket{}, fmt.Errorf("s3:GetBucketLocation: %w", err)
		}
		b.Region = bucketRegion(loc.LocationConstraint)
	}

	tags, err := o.AWS.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &name})
	switch {
	case kaws.ErrorCode(err) == "NoSuchTagSet":
	case err != nil:
		return Bucket{}, fmt.Errorf("s3:GetBucketTagging: %w", err)
	default:
		for _, t := range tags.TagSet {
			if aws.ToString(t.Key) == ownership.TagInstallation {
				b.Installation = aws.ToString(t.Value)
			}
		}
	}

	pab, err := o.AWS.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &name})
	switch {
	case kaws.ErrorCode(err) == "NoSuchPublicAccessBlockConfiguration":
	case err != nil:
		return Bucket{}, fmt.Errorf("s3:GetPublicAccessBlock: %w", err)
	default:
		p := pab.PublicAccessBlockConfiguration
		b.PublicAccessBlocked = p != nil && aws.ToBool(p.BlockPublicAcls) && aws.ToBool(p.IgnorePublicAcls) &&
			aws.ToBool(p.BlockPublicPolicy) && aws.ToBool(p.RestrictPublicBuckets)
	}

	enc, err := o.AWS.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &name})
	switch {
	case kaws.ErrorCode(err) == "ServerSideEncryptionConfigurationNotFoundError":
	case err != nil:
		return Bucket{}, fmt.Errorf("s3:GetBucketEncryption: %w", err)
	default:
		b.Encrypted = enc.ServerSideEncryptionConfiguration != nil && len(enc.ServerSideEncryptionConfiguration.Rules) > 0
		if b.Encrypted {
			if d := enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault; d != nil && d.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
				b.KMSKey = aws.ToString(d.KMSMasterKeyID)
				if b.KMSKey == "" {
					b.KMSKey = "alias/aws/s3" // SSE-KMS without a key id is S3's AWS managed key
				}
			}
		}
	}

	pol, err := o.AWS.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &name})
	switch {
	case kaws.ErrorCode(err) == "NoSuchBucketPolicy":
	case err != nil:
		return Bucket{}, fmt.Errorf("s3:GetBucketPolicy: %w", err)
	default:
		b.Policy = aws.ToString(pol.Policy)
	}
	return b, nil
}

// bucketRegion maps a LocationConstraint to its region: empty means us-east-1, and "EU" is eu-west-1.
func bucketRegion(lc s3types.BucketLocationConstraint) string {
	switch lc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return string(lc)
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
