// Command down measures how fast kfaws empties and deletes a bucket (`down --delete-data`: execute.Emptier's
// parallel DeleteObjects batches of up to 1,000 keys, then DeleteBucket) against `rclone purge` of an identical
// bucket (one DeleteObject request per version or delete marker), in one run on the local S3 (moto behind the
// proxy).
//
// The buckets are versioned and hold the same layout: -objects keys to delete, spread over object names with one
// to three versions each, every fifth name deleted (a delete marker on top). They are filled at once, untimed;
// then kfaws empties and deletes its bucket, and rclone purges one bucket with its default parallelism
// (--transfers 4 --checkers 8) and, with -same-parallelism, another with --transfers and --checkers set to
// kfaws's worker count. rclone 1.60 purges a versioned bucket completely (every version and delete marker,
// then the bucket), so each side does the same work; a bucket left behind fails the run. Both list through the
// proxy, which pages version listings from one moto listing (see localstack/README.md), so neither pays moto's
// per-page copy of the whole bucket. It prints each side's time, keys per second and requests by operation
// (recorded by the proxy, which adds no delay), and the ratio rclone/kfaws; the aim is at least 3.
//
// moto handles about 300 requests a second here whatever the parallelism, so rclone's time is moto's cost per
// request; on AWS, where each request waits on the network, one request per key costs more still.
//
//	go run ./bench/down -objects 20000   # about 7 minutes here, 4 of them filling the three buckets
//
// rclone is Debian's, unpacked under $HOME/.cache/kfaws by hack/rclone.sh (or -rclone); run from the repository root.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kfaws/kfaws/bench/internal/rclone"
	"github.com/kfaws/kfaws/internal/execute"
	"github.com/kfaws/kfaws/localstack"
)

type options struct {
	objects     int
	fillWorkers int
	workers     int
	rclone      string
	same        bool
}

func main() {
	var o options
	flag.IntVar(&o.objects, "objects", 20000, "keys per bucket to delete (versions plus delete markers)")
	flag.IntVar(&o.fillWorkers, "fill-workers", 32, "parallel requests filling the buckets (untimed; moto takes about 300 writes/s whatever the number)")
	flag.IntVar(&o.workers, "workers", 16, "kfaws's parallel DeleteObjects calls (execute.Emptier.Workers; 16 is down's)")
	flag.StringVar(&o.rclone, "rclone", "", "rclone binary (default: Debian's, unpacked under $HOME/.cache/kfaws by hack/rclone.sh)")
	flag.BoolVar(&o.same, "same-parallelism", true, "also purge with rclone's --transfers and --checkers at -workers")
	flag.Parse()
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/down:", err)
		os.Exit(1)
	}
}

// side is one way of removing a bucket: its own bucket, and what it measured.
type side struct {
	name     string
	bucket   string
	remove   func(ctx context.Context) error
	took     time.Duration
	requests map[string]int
}

func run(ctx context.Context, o options, out io.Writer) error {
	if o.objects < 1 || o.workers < 1 || o.fillWorkers < 1 {
		return errors.New("-objects, -workers and -fill-workers must be at least 1")
	}
	bin, err := rclone.Binary(o.rclone)
	if err != nil {
		return err
	}
	stack, err := localstack.Start(ctx, localstack.Options{})
	if err != nil {
		return err
	}
	defer stack.Close()
	c, err := s3Client(ctx, stack)
	if err != nil {
		return err
	}
	rc, err := rclone.New(bin, stack.Endpoint, stack.Region())
	if err != nil {
		return err
	}
	defer rc.Close()
	version, err := rc.Version(ctx)
	if err != nil {
		return err
	}
	sides := plan(o, c, rc)
	l := newLayout(o.objects)
	if err := fillAll(ctx, c, sides, l, o.fillWorkers, out); err != nil {
		return err
	}
	fmt.Fprintf(out, "rclone: %s, S3 remote from the environment: %s\n", version, rc.Settings())
	fmt.Fprintf(out, "load average before the timed part: %s\n", loadAverage())
	fmt.Fprintf(out, "%-52s %10s %9s  %s\n", "side", "time", "keys/s", "requests")
	for i := range sides {
		if err := measure(ctx, stack, c, &sides[i]); err != nil {
			return err
		}
		printSide(out, l, sides[i])
	}
	fmt.Fprintf(out, "load average after: %s\n", loadAverage())
	for _, s := range sides[1:] {
		fmt.Fprintf(out, "ratio (%s) / kfaws: %.1fx (aim >= 3)\n", s.name, s.took.Seconds()/sides[0].took.Seconds())
	}
	return nil
}

// plan is kfaws first, then rclone with its defaults and, with -same-parallelism, with kfaws's.
func plan(o options, c *s3.Client, rc *rclone.Rclone) []side {
	sides := []side{{name: fmt.Sprintf("kfaws: Emptier, %d workers, then DeleteBucket", o.workers), bucket: "bench-down-kfaws",
		remove: func(ctx context.Context) error { return emptyAndDelete(ctx, c, "bench-down-kfaws", o.workers) }}}
	rcloneFlags := [][]string{{"--transfers", "4", "--checkers", "8"}}
	if o.same {
		w := strconv.Itoa(o.workers)
		rcloneFlags = append(rcloneFlags, []string{"--transfers", w, "--checkers", w})
	}
	for i, flags := range rcloneFlags {
		bucket := fmt.Sprintf("bench-down-rclone-%d", i+1)
		sides = append(sides, side{name: "rclone purge " + strings.Join(flags, " "), bucket: bucket,
			remove: func(ctx context.Context) error {
				return rc.Run(ctx, append([]string{"purge", ":s3:" + bucket}, flags...)...)
			}})
	}
	return sides
}

// fillAll fills every side's bucket with the layout, at once, untimed, and checks what they hold.
func fillAll(ctx context.Context, c *s3.Client, sides []side, l layout, workers int, out io.Writer) error {
	var buckets []string
	for _, s := range sides {
		buckets = append(buckets, s.bucket)
	}
	fmt.Fprintf(out, "each of %d versioned buckets: %s\n", len(buckets), l)
	progress := func(s string) { fmt.Fprintln(os.Stderr, "bench/down:", s) }
	start := time.Now()
	if err := fill(ctx, c, buckets, l, workers, progress); err != nil {
		return err
	}
	for _, b := range buckets {
		n, err := count(ctx, c, b)
		if err != nil {
			return err
		}
		if n != l.total {
			return fmt.Errorf("bucket %q holds %d keys after filling, want %d", b, n, l.total)
		}
	}
	fmt.Fprintf(out, "filled in %s (untimed), %d parallel requests\n", time.Since(start).Round(time.Second), workers)
	return nil
}

// measure times s's removal of its bucket with the proxy recording every S3 request, and checks the bucket
// is gone.
func measure(ctx context.Context, stack *localstack.Stack, c *s3.Client, s *side) error {
	if err := stack.RecordCalls("s3:*"); err != nil {
		return err
	}
	start := time.Now()
	err := s.remove(ctx)
	s.took = time.Since(start)
	calls := stack.Calls()
	_ = stack.RecordCalls()
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	ok, err := gone(ctx, c, s.bucket)
	if err != nil {
		return fmt.Errorf("%s: checking bucket %q is gone: %w", s.name, s.bucket, err)
	}
	if !ok {
		n, _ := count(ctx, c, s.bucket)
		return fmt.Errorf("%s: bucket %q still exists with %d keys", s.name, s.bucket, n)
	}
	s.requests = map[string]int{}
	for _, call := range calls {
		s.requests[strings.TrimPrefix(call.Operation, "s3:")]++
	}
	return nil
}

// emptyAndDelete is what `kfaws down --delete-data` does to the bucket.
func emptyAndDelete(ctx context.Context, c *s3.Client, bucket string, workers int) error {
	res, err := (&execute.Emptier{S3: c, Bucket: bucket, Workers: workers}).Run(ctx)
	if err != nil {
		return err
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
		return fmt.Errorf("deleting bucket %q after %d keys: %w", bucket, res.Deleted, err)
	}
	return nil
}

func printSide(out io.Writer, l layout, s side) {
	var reqs []string
	for _, op := range slices.Sorted(maps.Keys(s.requests)) {
		reqs = append(reqs, fmt.Sprintf("%s %d", op, s.requests[op]))
	}
	fmt.Fprintf(out, "%-52s %10s %9.0f  %s\n", s.name, s.took.Round(time.Millisecond),
		float64(l.total)/s.took.Seconds(), strings.Join(reqs, ", "))
}

// s3Client is an SDK client for the stack that keeps a connection per parallel request.
func s3Client(ctx context.Context, stack *localstack.Stack) (*s3.Client, error) {
	cfg, err := stack.AWSConfig(ctx, "")
	if err != nil {
		return nil, err
	}
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost = 256 })
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), nil
}

// loadAverage is the machine's 1, 5 and 15 minute load, for reading the figures on a shared machine.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
