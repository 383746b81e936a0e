package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// layout is what every bench bucket holds: object names, each with one to three versions, every fifth deleted
// (a delete marker on top), as a KFP artifact store that has been written over and cleaned up.
type layout struct {
	writes  []int  // versions per name
	deleted []bool // names with a delete marker on top
	markers int
	total   int // versions plus delete markers: what emptying the bucket deletes
}

// newLayout plans names until the bucket holds exactly keys versions and delete markers.
func newLayout(keys int) layout {
	var l layout
	for i := 0; l.total < keys; i++ {
		w := min(1+i%3, keys-l.total)
		l.writes = append(l.writes, w)
		l.total += w
		marked := i%5 == 0 && l.total < keys
		l.deleted = append(l.deleted, marked)
		if marked {
			l.markers++
			l.total++
		}
	}
	return l
}

func (l layout) String() string {
	return fmt.Sprintf("%d keys to delete: %d names, %d versions, %d delete markers", l.total, len(l.writes),
		l.total-l.markers, l.markers)
}

func keyName(i int) string {
	return fmt.Sprintf("v2/artifacts/pipeline-%02d/run-%06d/output.txt", i%40, i)
}

// fill creates the buckets (versioned) and writes the layout into all of them at once, with workers parallel
// requests in all, reporting progress every 30 s.
func fill(ctx context.Context, c *s3.Client, buckets []string, l layout, workers int, progress func(string)) error {
	for _, b := range buckets {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			return fmt.Errorf("creating bucket %q: %w", b, err)
		}
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			return fmt.Errorf("enabling versioning on bucket %q: %w", b, err)
		}
	}
	type job struct {
		bucket string
		i      int
	}
	jobs := make(chan job)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				n, err := writeName(ctx, c, j.bucket, j.i, l)
				if err != nil {
					cancel(err)
					return
				}
				done.Add(int64(n))
			}
		}()
	}
	stop := reportEvery(30*time.Second, func() {
		progress(fmt.Sprintf("filling: %d of %d keys", done.Load(), l.total*len(buckets)))
	})
	defer stop()
feed:
	for i := range l.writes {
		for _, b := range buckets {
			select {
			case jobs <- job{b, i}:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}

// writeName writes name i's versions and, if it is marked, deletes it; it returns the keys it made.
func writeName(ctx context.Context, c *s3.Client, bucket string, i int, l layout) (int, error) {
	key := keyName(i)
	for v := range l.writes[i] {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: strings.NewReader(fmt.Sprintf("run %d output, version %d\n", i, v+1))}); err != nil {
			return 0, fmt.Errorf("writing %s/%s: %w", bucket, key, err)
		}
	}
	if !l.deleted[i] {
		return l.writes[i], nil
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		return 0, fmt.Errorf("deleting %s/%s: %w", bucket, key, err)
	}
	return l.writes[i] + 1, nil
}

// count lists a bucket's versions and delete markers.
func count(ctx context.Context, c *s3.Client, bucket string) (int, error) {
	n := 0
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("listing bucket %q: %w", bucket, err)
		}
		n += len(page.Versions) + len(page.DeleteMarkers)
	}
	return n, nil
}

// gone reports whether bucket no longer exists.
func gone(ctx context.Context, c *s3.Client, bucket string) (bool, error) {
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	var nf *s3types.NotFound
	if errors.As(err, &nf) {
		return true, nil
	}
	return false, err
}

// reportEvery calls f every d until the returned stop is called.
func reportEvery(d time.Duration, f func()) (stop func()) {
	t := time.NewTicker(d)
	quit := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				f()
			case <-quit:
				return
			}
		}
	}()
	return func() { t.Stop(); close(quit) }
}
