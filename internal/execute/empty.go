package execute

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	kaws "github.com/kfaws/kfaws/internal/aws"
)

// maxDeleteBatch is the most keys one DeleteObjects request takes (the S3 API's limit).
const maxDeleteBatch = 1000

// Emptier removes every object version and delete marker from a bucket: the listing feeds batches of up to
// 1,000 keys to parallel DeleteObjects calls, and only the keys a batch reports as failed are sent again.
type Emptier struct {
	S3     *s3.Client
	Bucket string
	// Workers is how many DeleteObjects calls run at once; 0 means 16.
	Workers int
	// Attempts bounds how often one key is sent; 0 means 5.
	Attempts int
	// Progress is called after each batch with the keys deleted so far; it must be safe for concurrent use.
	Progress func(deleted int64, elapsed time.Duration)
}

// EmptyResult counts what an Emptier deleted.
type EmptyResult struct {
	Deleted int64
	Elapsed time.Duration
	// Failed are keys S3 refused to delete after every attempt, with S3's reason.
	Failed []string
}

// Rate is the keys deleted per second.
func (r EmptyResult) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Deleted) / r.Elapsed.Seconds()
}

// Run empties the bucket. A missing bucket is already empty.
func (e *Emptier) Run(ctx context.Context) (EmptyResult, error) {
	workers, attempts := e.Workers, e.Attempts
	if workers <= 0 {
		workers = 16
	}
	if attempts <= 0 {
		attempts = 5
	}
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan deleteJob, workers)
	var deleted atomic.Int64
	var mu sync.Mutex
	var failed []string
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range batches {
				n, left, err := e.deleteBatch(ctx, job.keys, attempts)
				deleted.Add(int64(n))
				job.done.Done()
				if err != nil {
					fail(err)
					continue
				}
				if len(left) > 0 {
					mu.Lock()
					failed = append(failed, left...)
					mu.Unlock()
				}
				if e.Progress != nil {
					e.Progress(deleted.Load(), time.Since(start))
				}
			}
		}()
	}
	listErr := e.feed(ctx, batches)
	close(batches)
	wg.Wait()
	res := EmptyResult{Deleted: deleted.Load(), Elapsed: time.Since(start), Failed: failed}
	switch {
	case firstErr != nil:
		return res, firstErr
	case listErr != nil && !isNoSuchBucket(listErr):
		return res, fmt.Errorf("listing the versions in bucket %q: %w", e.Bucket, listErr)
	case len(failed) > 0:
		return res, fmt.Errorf("S3 refused to delete %d key(s) of bucket %q, e.g. %s", len(failed), e.Bucket, failed[0])
	}
	return res, nil
}

// roundKeys bounds how many keys one round lists before deleting them: enough to keep every worker busy, few
// enough to hold in memory.
const roundKeys = 50 * maxDeleteBatch

// deleteJob is one batch of keys and the round it belongs to, which waits for it.
type deleteJob struct {
	keys []s3types.ObjectIdentifier
	done *sync.WaitGroup
}

// feed sends every version and delete marker of the bucket to out, in batches of up to maxDeleteBatch keys. It
// works in rounds: list up to roundKeys from the start of the bucket, hand them out, wait until they are
// deleted, list again. A listing never continues from a marker the workers may already have deleted, which
// not every S3 implementation handles.
func (e *Emptier) feed(ctx context.Context, out chan<- deleteJob) error {
	for {
		round, err := e.listRound(ctx)
		if err != nil || len(round) == 0 {
			return err
		}
		var done sync.WaitGroup
		for i := 0; i < len(round); i += maxDeleteBatch {
			done.Add(1)
			select {
			case out <- deleteJob{keys: round[i:min(i+maxDeleteBatch, len(round))], done: &done}:
			case <-ctx.Done():
				done.Done()
				return ctx.Err()
			}
		}
		done.Wait()
		if ctx.Err() != nil || len(round) < roundKeys {
			return ctx.Err()
		}
	}
}

// listRound lists up to roundKeys versions and delete markers from the start of the bucket.
func (e *Emptier) listRound(ctx context.Context) ([]s3types.ObjectIdentifier, error) {
	var keys []s3types.ObjectIdentifier
	p := s3.NewListObjectVersionsPaginator(e.S3, &s3.ListObjectVersionsInput{Bucket: aws.String(e.Bucket),
		MaxKeys: aws.Int32(maxDeleteBatch)})
	for p.HasMorePages() && len(keys) < roundKeys {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Versions {
			keys = append(keys, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			keys = append(keys, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
	}
	return keys, nil
}

// deleteBatch deletes one batch, resending only the keys S3 reports as failed, up to attempts times. It returns
// how many were deleted and the keys still failing with their reason.
func (e *Emptier) deleteBatch(ctx context.Context, batch []s3types.ObjectIdentifier, attempts int) (int, []string, error) {
	deleted := 0
	pending := batch
	var reasons map[string]string
	for attempt := 1; len(pending) > 0; attempt++ {
		out, err := e.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(e.Bucket),
			Delete: &s3types.Delete{Objects: pending, Quiet: aws.Bool(true)}})
		if err != nil {
			return deleted, nil, fmt.Errorf("s3:DeleteObjects on bucket %q: %w", e.Bucket, err)
		}
		failedKeys := map[string]string{}
		for _, f := range out.Errors {
			failedKeys[aws.ToString(f.Key)+"\x00"+aws.ToString(f.VersionId)] = aws.ToString(f.Code) + ": " + aws.ToString(f.Message)
		}
		var retry []s3types.ObjectIdentifier
		for _, o := range pending {
			if _, bad := failedKeys[aws.ToString(o.Key)+"\x00"+aws.ToString(o.VersionId)]; bad {
				retry = append(retry, o)
			}
		}
		deleted += len(pending) - len(retry)
		reasons, pending = failedKeys, retry
		if len(pending) == 0 || attempt >= attempts {
			break
		}
		select {
		case <-ctx.Done():
			return deleted, nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
	var left []string
	for _, o := range pending {
		left = append(left, fmt.Sprintf("%s (version %s: %s)", aws.ToString(o.Key), aws.ToString(o.VersionId),
			reasons[aws.ToString(o.Key)+"\x00"+aws.ToString(o.VersionId)]))
	}
	return deleted, left, nil
}

func isNoSuchBucket(err error) bool {
	var nsb *s3types.NoSuchBucket
	return errors.As(err, &nsb) || kaws.ErrorCode(err) == "NoSuchBucket"
}
