package objcopy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// object is one listed source object.
type object struct {
	key  string // in the source bucket
	size int64
	etag string // without quotes
}

// list returns every object under b's prefix.
func list(ctx context.Context, b Bucket, each func(object)) error {
	p := s3.NewListObjectsV2Paginator(b.Client, &s3.ListObjectsV2Input{Bucket: aws.String(b.Name), Prefix: prefix(b)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing bucket %q%s: %w", b.Name, under(b), err)
		}
		for _, o := range page.Contents {
			each(object{key: aws.ToString(o.Key), size: aws.ToInt64(o.Size), etag: cleanETag(aws.ToString(o.ETag))})
		}
	}
	return nil
}

// destKey is where source key k is written.
func destKey(src, dst Bucket, k string) string {
	return dst.Prefix + strings.TrimPrefix(k, src.Prefix)
}

func prefix(b Bucket) *string {
	if b.Prefix == "" {
		return nil
	}
	return aws.String(b.Prefix)
}

// under is " under prefix P" for messages, or nothing.
func under(b Bucket) string {
	if b.Prefix == "" {
		return ""
	}
	return fmt.Sprintf(" under prefix %q", b.Prefix)
}
