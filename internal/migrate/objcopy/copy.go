package objcopy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// attempts is how often one object is tried before Copy fails. The SDK retries each request; this retries what
// it cannot, such as a source connection dropped in the middle of a body.
const attempts = 3

// copier is one Copy call's shared state.
type copier struct {
	src, dst Bucket
	o        Options
	mem      *semaphore.Weighted // bytes of object data in memory

	start                             time.Time
	totalObjects, totalBytes          int64
	done, copied, skipped, unverified atomic.Int64
	bytes, skippedBytes               atomic.Int64

	mu         sync.Mutex
	mismatches []Mismatch
}

// Copy copies every object under src's prefix to dst, in parallel, and reports what it did. Objects the destination
// already holds as this package's copy of the same source ETag and size are skipped, so a re-run after a failure
// or a kill resumes; multipart uploads such a run left at our keys are aborted first. A destination object at one
// of our keys without the marker is reported as a mismatch and not overwritten (CheckDestination refuses those
// before anything is written). Every copy is checked (see verify.go); a check that fails is a mismatch, and a
// multipart upload that fails it is aborted, so the destination never holds an unchecked copy with the marker.
// The first error that is not a mismatch stops the copy; the report then counts what was done.
func Copy(ctx context.Context, src, dst Bucket, opts Options) (Report, error) {
	c := &copier{src: src, dst: dst, o: opts.withDefaults(), start: time.Now()}
	c.mem = semaphore.NewWeighted(c.o.MemoryLimit)
	var objects []object
	if err := list(ctx, src, func(o object) { objects = append(objects, o) }); err != nil {
		return c.report(0), err
	}
	c.totalObjects = int64(len(objects))
	for _, o := range objects {
		c.totalBytes += o.size
	}
	atDest := map[string]object{}
	if err := list(ctx, dst, func(o object) { atDest[o.key] = o }); err != nil {
		return c.report(0), err
	}
	ours := map[string]bool{}
	for _, o := range objects {
		ours[destKey(src, dst, o.key)] = true
	}
	aborted, err := abortUploads(ctx, dst, ours)
	if err != nil {
		return c.report(aborted), err
	}
	stopProgress := c.reportProgress()
	err = c.run(ctx, objects, atDest)
	stopProgress()
	if err != nil {
		// Best effort: a CreateMultipartUpload cancelled in flight may still have started an upload. What this
		// misses (and what a killed process leaves) the next run aborts before copying.
		sweep, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		more, _ := abortUploads(sweep, dst, ours)
		cancel()
		return c.report(aborted + more), fmt.Errorf("copying objects from bucket %q to bucket %q: %w", src.Name, dst.Name, err)
	}
	// A CreateMultipartUpload whose response was lost and retried leaves an upload nobody completes.
	more, err := abortUploads(ctx, dst, ours)
	return c.report(aborted + more), err
}

// run copies objects with Parallel workers; the first error cancels the rest.
func (c *copier) run(ctx context.Context, objects []object, atDest map[string]object) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan object)
	var wg sync.WaitGroup
	for range c.o.Parallel {
		wg.Go(func() {
			for o := range jobs {
				existing, ok := atDest[destKey(c.src, c.dst, o.key)]
				if err := c.withRetries(ctx, o, existing, ok); err != nil {
					cancel(err)
				}
				c.done.Add(1)
			}
		})
	}
feed:
	for _, o := range objects {
		select {
		case jobs <- o:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

func (c *copier) withRetries(ctx context.Context, o object, existing object, atDest bool) error {
	var err error
	for range attempts {
		if err = c.object(ctx, o, existing, atDest); err == nil || ctx.Err() != nil {
			break
		}
		existing, atDest = object{}, true // a failed attempt may have written it
	}
	if err != nil {
		return fmt.Errorf("object %q: %w", o.key, err)
	}
	return nil
}

func (c *copier) mismatch(key, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mismatches = append(c.mismatches, Mismatch{Key: key, Reason: reason})
}

func (c *copier) progress() Progress {
	elapsed := time.Since(c.start)
	p := Progress{Objects: c.done.Load(), TotalObjects: c.totalObjects, Copied: c.copied.Load(), Skipped: c.skipped.Load(),
		Bytes: c.bytes.Load(), SkippedBytes: c.skippedBytes.Load(), TotalBytes: c.totalBytes, Elapsed: elapsed}
	if elapsed > 0 {
		p.BytesPerSecond = float64(p.Bytes) / elapsed.Seconds()
	}
	return p
}

// reportProgress calls Options.Progress every second until the returned function is called, which reports once
// more.
func (c *copier) reportProgress() (stop func()) {
	if c.o.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				c.o.Progress(c.progress())
			case <-done:
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		c.o.Progress(c.progress())
	}
}

func (c *copier) report(aborted int) Report {
	c.mu.Lock()
	m := slices.Clone(c.mismatches)
	c.mu.Unlock()
	slices.SortFunc(m, func(a, b Mismatch) int { return strings.Compare(a.Key, b.Key) })
	return Report{Objects: c.totalObjects, Copied: c.copied.Load(), Skipped: c.skipped.Load(), Bytes: c.bytes.Load(),
		SkippedBytes: c.skippedBytes.Load(), Unverified: c.unverified.Load(), AbortedUploads: aborted, Mismatches: m,
		Duration: time.Since(c.start)}
}
