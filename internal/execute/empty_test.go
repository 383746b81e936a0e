package execute_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kfaws/kfaws/internal/execute"
	"github.com/kfaws/kfaws/localstack"
)

// versionedBucket creates a versioned bucket holding objects, overwrite versions and delete markers, and returns
// how many keys (versions plus markers) it holds.
func versionedBucket(t *testing.T, c *s3.Client, bucket string, objects int) int {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	keys := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range objects {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			key := fmt.Sprintf("v2/artifacts/run-%d/out", i)
			writes := 1 + i%3 // some objects have several versions
			for range writes {
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("x")}); err != nil {
					t.Error(err)
					return
				}
			}
			n := writes
			if i%5 == 0 { // and some were deleted: a delete marker on top
				if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil {
					t.Error(err)
					return
				}
				n++
			}
			mu.Lock()
			keys += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	return keys
}

func remaining(t *testing.T, c *s3.Client, bucket string) int {
	t.Helper()
	n := 0
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Versions) + len(page.DeleteMarkers)
	}
	return n
}

// TestEmptierDeletesEveryVersionAndMarker: a versioned bucket with more keys than one batch takes is emptied
// completely, with progress reported, and emptying it again (or a bucket that does not exist) deletes nothing.
func TestEmptierDeletesEveryVersionAndMarker(t *testing.T) {
	s := localstack.Shared(t)
	cfg, err := s.AWSConfig(context.Background(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("empty-%d", time.Now().UnixNano()%1e9)
	keys := versionedBucket(t, c, bucket, 1200)
	var calls, last int64
	var mu sync.Mutex
	e := &execute.Emptier{S3: c, Bucket: bucket, Workers: 4, Progress: func(d int64, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if d > last {
			last = d
		}
	}}
	res, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != int64(keys) || remaining(t, c, bucket) != 0 {
		t.Errorf("deleted %d of %d keys; %d remain", res.Deleted, keys, remaining(t, c, bucket))
	}
	if calls < 2 || last != int64(keys) || res.Rate() <= 0 {
		t.Errorf("progress: %d calls, last %d, rate %.0f/s; want one call per batch ending at %d", calls, last, res.Rate(), keys)
	}
	if again, err := e.Run(context.Background()); err != nil || again.Deleted != 0 {
		t.Errorf("second run: %+v, %v; want nothing to delete", again, err)
	}
	gone := &execute.Emptier{S3: c, Bucket: bucket + "-absent"}
	if res, err := gone.Run(context.Background()); err != nil || res.Deleted != 0 {
		t.Errorf("a missing bucket: %+v, %v; want already empty", res, err)
	}
	if _, err := c.DeleteBucket(context.Background(), &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("the emptied bucket cannot be deleted: %v", err)
	}
}
