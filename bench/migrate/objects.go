package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kfaws/kfaws/bench/internal/rclone"
	"github.com/kfaws/kfaws/internal/migrate/objcopy"
	"github.com/kfaws/kfaws/localstack"
)

const (
	sourceBucket   = "bench-migrate-src"
	largeObjectMiB = 128
	fillWorkers    = 32
	kfawsParallel  = 16 // objcopy's default
)

// objectSide is one way of copying the source bucket: its own destination, and what it measured.
type objectSide struct {
	name     string
	bucket   string
	copy     func(ctx context.Context) error
	took     time.Duration
	requests map[string]int
}

// runObjects fills a source bucket with objects small objects and largeMiB MiB of large ones, copies it with
// kfaws and with rclone (defaults, then --transfers and --checkers at kfaws's parallelism), checks every copy,
// prints the figures to w and returns rclone's default time over kfaws's.
func runObjects(ctx context.Context, w io.Writer, objects int, largeMiB int) (ratio float64, err error) {
	if objects < 0 || largeMiB < 0 || objects+largeMiB == 0 {
		return 0, errors.New("-objects and -large-mib must not be negative, nor both zero")
	}
	bin, err := rclone.Binary(rcloneFlag)
	if err != nil {
		return 0, err
	}
	stack, err := localstack.Start(ctx, localstack.Options{})
	if err != nil {
		return 0, err
	}
	defer stack.Close()
	dst, err := benchS3Client(ctx, stack)
	if err != nil {
		return 0, err
	}
	src, err := objcopy.NewSourceClient(objcopy.SourceEndpoint{URL: stack.Endpoint, AccessKey: localstack.AccessKeyID, SecretKey: localstack.SecretAccessKey})
	if err != nil {
		return 0, err
	}
	rc, err := rclone.New(bin, stack.Endpoint, stack.Region(), "SRC", "DST")
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	version, err := rc.Version(ctx)
	if err != nil {
		return 0, err
	}
	sides := objectSides(src, dst, rc)
	for _, b := range append([]string{sourceBucket}, bucketsOf(sides)...) {
		if _, err := dst.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			return 0, fmt.Errorf("creating bucket %q: %w", b, err)
		}
	}
	start := time.Now()
	want, err := fillSource(ctx, dst, objects, largeMiB)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, size := range want {
		total += size
	}
	fmt.Fprintf(w, "source bucket: %d objects, %.0f MiB (%d small of 1-64 KiB in KFP's layout, %d MiB in objects of up to %d MiB), filled in %s (untimed)\n",
		len(want), float64(total)/(1<<20), objects, largeMiB, largeObjectMiB, time.Since(start).Round(time.Second))
	fmt.Fprintf(w, "rclone: %s, remotes from the environment: %s\n", version, rc.Settings())
	fmt.Fprintf(w, "load average before the timed part: %s\n", objectsLoadAverage())
	fmt.Fprintf(w, "%-52s %9s %7s  %s\n", "side", "time", "MiB/s", "requests")
	for i := range sides {
		if err := measureCopy(ctx, stack, dst, &sides[i], want); err != nil {
			return 0, err
		}
		s := sides[i]
		fmt.Fprintf(w, "%-52s %9s %7.1f  %s\n", s.name, s.took.Round(time.Millisecond), float64(total)/(1<<20)/s.took.Seconds(), requestList(s.requests))
	}
	fmt.Fprintf(w, "load average after: %s\n", objectsLoadAverage())
	for _, s := range sides[1:] {
		fmt.Fprintf(w, "ratio (%s) / kfaws: %.2fx (aim >= 1)\n", s.name, s.took.Seconds()/sides[0].took.Seconds())
	}
	return sides[1].took.Seconds() / sides[0].took.Seconds(), nil
}

func objectSides(src, dst *s3.Client, rc *rclone.Rclone) []objectSide {
	sides := []objectSide{{name: fmt.Sprintf("kfaws: objcopy.Copy, %d in flight", kfawsParallel), bucket: "bench-migrate-kfaws",
		copy: func(ctx context.Context) error {
			rep, err := objcopy.Copy(ctx, objcopy.Bucket{Client: src, Name: sourceBucket},
				objcopy.Bucket{Client: dst, Name: "bench-migrate-kfaws"}, objcopy.Options{Parallel: kfawsParallel})
			if err == nil && (len(rep.Mismatches) > 0 || rep.Unverified > 0) {
				err = fmt.Errorf("%d mismatches (first %+v), %d unverified", len(rep.Mismatches), rep.Mismatches, rep.Unverified)
			}
			return err
		}}}
	p := fmt.Sprint(kfawsParallel)
	for i, flags := range [][]string{{}, {"--transfers", p, "--checkers", p}} {
		bucket := fmt.Sprintf("bench-migrate-rclone-%d", i+1)
		name := "rclone copy " + strings.Join(flags, " ")
		if len(flags) == 0 {
			name += "(defaults: --transfers 4 --checkers 8)"
		}
		sides = append(sides, objectSide{name: name, bucket: bucket,
			copy: func(ctx context.Context) error {
				return rc.Run(ctx, append([]string{"copy", "SRC:" + sourceBucket, "DST:" + bucket}, flags...)...)
			}})
	}
	return sides
}

func bucketsOf(sides []objectSide) []string {
	var b []string
	for _, s := range sides {
		b = append(b, s.bucket)
	}
	return b
}

// measureCopy times s's copy with the proxy recording every S3 request, then checks its bucket holds want.
func measureCopy(ctx context.Context, stack *localstack.Stack, c *s3.Client, s *objectSide, want map[string]int64) error {
	if err := stack.RecordCalls("s3:*"); err != nil {
		return err
	}
	start := time.Now()
	err := s.copy(ctx)
	s.took = time.Since(start)
	calls := stack.Calls()
	_ = stack.RecordCalls()
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.requests = map[string]int{}
	for _, call := range calls {
		s.requests[strings.TrimPrefix(call.Operation, "s3:")]++
	}
	got, err := sizes(ctx, c, s.bucket)
	if err != nil {
		return err
	}
	if !maps.Equal(got, want) {
		return fmt.Errorf("%s: bucket %q holds %d objects, the source %d, or their sizes differ", s.name, s.bucket, len(got), len(want))
	}
	return nil
}

// fillSource writes the source objects and returns their sizes by key.
func fillSource(ctx context.Context, c *s3.Client, objects, largeMiB int) (map[string]int64, error) {
	r := rand.New(rand.NewPCG(7, 11))
	want := map[string]int64{}
	for i := range objects {
		want[smallKey(i)] = int64(1024 + r.IntN(63*1024))
	}
	for i, left := 0, largeMiB; left > 0; i, left = i+1, left-largeObjectMiB {
		want[fmt.Sprintf("v2/artifacts/train/run-%d/export-dataset/%08x/dataset.tar", i, i)] = int64(min(left, largeObjectMiB)) << 20
	}
	keys := slices.Sorted(maps.Keys(want))
	// Large objects one at a time, so no more than one is in memory; small ones in parallel.
	workers := func(size int64) int {
		if size > 1<<20 {
			return 1
		}
		return fillWorkers
	}
	var mu sync.Mutex
	var firstErr error
	for _, large := range []bool{true, false} {
		var wg sync.WaitGroup
		sem := make(chan struct{}, fillWorkers)
		for i, k := range keys {
			if (want[k] > 1<<20) != large {
				continue
			}
			sem <- struct{}{}
			if workers(want[k]) == 1 {
				wg.Wait()
			}
			wg.Go(func() {
				defer func() { <-sem }()
				body := make([]byte, want[k])
				_, _ = rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), byte(i >> 16)}).Read(body) // ChaCha8.Read never fails
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(sourceBucket), Key: aws.String(k), Body: bytes.NewReader(body)})
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, fmt.Errorf("filling %q: %w", k, err))
					mu.Unlock()
				}
			})
			if i%1000 == 999 {
				fmt.Fprintf(os.Stderr, "bench/migrate: filled %d of %d objects\n", i+1, len(keys))
			}
		}
		wg.Wait()
	}
	return want, firstErr
}

// smallKey spreads small objects over what KFP leaves in MinIO: pipeline packages, Argo logs (v1.10 and v1.11
// layouts) and v2 outputs.
func smallKey(i int) string {
	switch i % 4 {
	case 0:
		return fmt.Sprintf("pipelines/%08x-0000-4000-8000-%012x", i, i)
	case 1:
		return fmt.Sprintf("artifacts/train-%d/2024/05/%02d/train-%d-%d/main.log", i/40, 1+i%28, i/40, i)
	case 2:
		return fmt.Sprintf("private-artifacts/kubeflow-user-example-com/wf-%d/2025/11/03/wf-%d-system-container-impl/main.log", i/20, i)
	}
	return fmt.Sprintf("v2/artifacts/my-pipeline/%08x-run/train-model/%08x-aaaa-4bbb-8ccc-%012x/metrics", i/10, i, i)
}

// sizes is every object's size in bucket, by key.
func sizes(ctx context.Context, c *s3.Client, bucket string) (map[string]int64, error) {
	got := map[string]int64{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing bucket %q: %w", bucket, err)
		}
		for _, o := range page.Contents {
			got[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	return got, nil
}

func requestList(requests map[string]int) string {
	var out []string
	for _, op := range slices.Sorted(maps.Keys(requests)) {
		out = append(out, fmt.Sprintf("%s %d", op, requests[op]))
	}
	return strings.Join(out, ", ")
}

// benchS3Client is an SDK client for the stack that keeps a connection per parallel request.
func benchS3Client(ctx context.Context, stack *localstack.Stack) (*s3.Client, error) {
	cfg, err := stack.AWSConfig(ctx, "")
	if err != nil {
		return nil, err
	}
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost = 256 })
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), nil
}

// objectsLoadAverage is the machine's 1, 5 and 15 minute load, for reading the figures on a shared machine.
func objectsLoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
