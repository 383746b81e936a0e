package objcopy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// abortUploads aborts the unfinished multipart uploads in dst at the keys a migration writes (ours), and returns
// how many it aborted. They are what a killed run leaves (its parts are billed until aborted), or what a retried
// CreateMultipartUpload leaves when its first response was lost. Uploads at other keys belong to someone else and
// are left alone. Writers of the installation are stopped during a migration, so nobody else uploads to our keys.
func abortUploads(ctx context.Context, dst Bucket, ours map[string]bool) (int, error) {
	var left []s3types.MultipartUpload
	p := s3.NewListMultipartUploadsPaginator(dst.Client, &s3.ListMultipartUploadsInput{Bucket: aws.String(dst.Name), Prefix: prefix(dst)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("listing unfinished multipart uploads in bucket %q: %w", dst.Name, err)
		}
		for _, u := range page.Uploads {
			if ours[aws.ToString(u.Key)] {
				left = append(left, u)
			}
		}
	}
	for _, u := range left {
		if err := abortUpload(ctx, dst, aws.ToString(u.Key), aws.ToString(u.UploadId)); err != nil {
			return 0, err
		}
	}
	return len(left), nil
}

// abortUpload aborts one multipart upload; one already gone is fine.
func abortUpload(ctx context.Context, dst Bucket, key, uploadID string) error {
	_, err := dst.Client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: aws.String(dst.Name), Key: aws.String(key), UploadId: aws.String(uploadID)})
	var gone *s3types.NoSuchUpload
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("aborting the unfinished multipart upload of %q in bucket %q: %w", key, dst.Name, err)
	}
	return nil
}
