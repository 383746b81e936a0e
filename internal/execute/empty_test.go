package execute_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kfaws/kfaws/internal/execute"
	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
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

// resends checks the DeleteObjects calls the proxy recorded: each call either sends keys never sent before (a
// batch) or resends exactly the keys one earlier call reported as failed, and nothing else. It returns the
// batches, the resends, and the keys still failed after the last call.
func resends(t *testing.T, calls []proxy.Call) (batches, resent int, failed []proxy.ObjectID) {
	t.Helper()
	sent := map[proxy.ObjectID]bool{}
	var outstanding [][]proxy.ObjectID // failed keys of earlier calls, not yet resent
	for i, c := range calls {
		if c.Status != 200 || len(c.Objects) == 0 {
			t.Fatalf("call %d: %+v; want a DeleteObjects answered 200", i, c)
		}
		if !sent[c.Objects[0]] {
			batches++
			for _, o := range c.Objects {
				if sent[o] {
					t.Fatalf("call %d mixes new keys with %v, sent before", i, o)
				}
				sent[o] = true
			}
		} else {
			match := slices.IndexFunc(outstanding, func(f []proxy.ObjectID) bool { return slices.Equal(f, c.Objects) })
			if match < 0 {
				t.Fatalf("call %d resends %d keys (first %v), which are not the failed keys of one earlier call (%v)",
					i, len(c.Objects), c.Objects[0], outstanding)
			}
			outstanding = slices.Delete(outstanding, match, match+1)
			resent++
		}
		if len(c.Failed) > 0 {
			outstanding = append(outstanding, c.Failed)
		}
	}
	for _, f := range outstanding {
		failed = append(failed, f...)
	}
	return batches, resent, failed
}

// TestEmptierResendsOnlyFailedKeys: DeleteObjects answers that fail some keys (S3's per-key InternalError) are
// followed by calls resending exactly those keys, until the bucket is empty.
func TestEmptierResendsOnlyFailedKeys(t *testing.T) {
	s := localstack.Shared(t)
	cfg, err := s.AWSConfig(context.Background(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("resend-%d", time.Now().UnixNano()%1e9)
	keys := versionedBucket(t, c, bucket, 600) // two batches
	// The first three calls fail two keys each: both batches, and one resend of one batch's two keys.
	if err := s.AddFault(proxy.Fault{Operation: "s3:DeleteObjects", Kind: proxy.FaultPartialDelete, Count: 3, Keys: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordCalls("s3:DeleteObjects"); err != nil {
		t.Fatal(err)
	}
	res, err := (&execute.Emptier{S3: c, Bucket: bucket, Workers: 4}).Run(context.Background())
	if err != nil || len(res.Failed) != 0 {
		t.Fatalf("emptying with keys failing three times: %v, failed %v", err, res.Failed)
	}
	if res.Deleted != int64(keys) || remaining(t, c, bucket) != 0 {
		t.Errorf("deleted %d of %d keys; %d remain", res.Deleted, keys, remaining(t, c, bucket))
	}
	calls := s.Calls()
	batches, resent, failed := resends(t, calls)
	if batches != 2 || resent != 3 || len(failed) != 0 {
		t.Errorf("%d calls: %d batches, %d resends, %v still failed; want 2 batches and 3 resends of the failed keys",
			len(calls), batches, resent, failed)
	}
	if left := s.Faults(); len(left) != 0 {
		t.Errorf("fault not used up: %+v", left)
	}
}

// TestEmptierReportsKeysThatNeverDelete: a key that fails on every one of Attempts sends is reported in Failed,
// with S3's reason, and named in the error; everything else is deleted, and a later run deletes the key.
func TestEmptierReportsKeysThatNeverDelete(t *testing.T) {
	s := localstack.Shared(t)
	cfg, err := s.AWSConfig(context.Background(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := fmt.Sprintf("stuck-%d", time.Now().UnixNano()%1e9)
	keys := versionedBucket(t, c, bucket, 200) // one batch
	if err := s.AddFault(proxy.Fault{Operation: "s3:DeleteObjects", Kind: proxy.FaultPartialDelete, Count: 100}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordCalls("s3:DeleteObjects"); err != nil {
		t.Fatal(err)
	}
	e := &execute.Emptier{S3: c, Bucket: bucket, Workers: 2, Attempts: 3}
	res, err := e.Run(context.Background())
	calls := s.Calls()
	batches, resent, failed := resends(t, calls)
	if batches != 1 || resent != 2 || len(failed) != 1 {
		t.Fatalf("%d calls: %d batches, %d resends, %v still failed; want 1 batch and the failed key resent twice",
			len(calls), batches, resent, failed)
	}
	stuck := failed[0].Key
	if len(res.Failed) != 1 || !strings.Contains(res.Failed[0], stuck) || !strings.Contains(res.Failed[0], "InternalError") {
		t.Errorf("Failed = %q, want the key %q with S3's reason", res.Failed, stuck)
	}
	if err == nil || !strings.Contains(err.Error(), stuck) {
		t.Errorf("error %v, want one naming %q", err, stuck)
	}
	if res.Deleted != int64(keys-1) || remaining(t, c, bucket) != 1 {
		t.Errorf("deleted %d of %d keys, %d remain; want all but the failed one", res.Deleted, keys, remaining(t, c, bucket))
	}
	s.ClearFaults()
	if again, err := e.Run(context.Background()); err != nil || again.Deleted != 1 || remaining(t, c, bucket) != 0 {
		t.Errorf("a run after the fault: %+v, %v; want the one key left deleted", again, err)
	}
}
