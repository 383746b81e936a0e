package objcopy_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kfaws/kfaws/internal/migrate/objcopy"
	"github.com/kfaws/kfaws/localstack"
)

func TestMain(m *testing.M) { localstack.TestMain(m) }

// Sizes the tests use: objects above the lowered threshold go multipart in parts of S3's minimum size.
const (
	mib       = 1 << 20
	partSize  = 5 * mib
	threshold = 8 * mib
)

func testOptions() objcopy.Options {
	return objcopy.Options{Parallel: 8, PartSize: partSize, MultipartThreshold: threshold}
}

// env is the local S3 seen as both sides: the source through NewSourceClient, as migrate reaches MinIO, and the
// destination through an ordinary SDK client, as for the installation's bucket.
type env struct {
	s        *localstack.Stack
	src, dst *s3.Client
}

func newEnv(t *testing.T) env {
	t.Helper()
	s := localstack.Shared(t)
	cfg, err := s.AWSConfig(context.Background(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	src, err := objcopy.NewSourceClient(objcopy.SourceEndpoint{URL: s.Endpoint, AccessKey: localstack.AccessKeyID, SecretKey: localstack.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	dst := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true // moto's GetObject answers carry no checksum
	})
	return env{s: s, src: src, dst: dst}
}

var bucketSeq atomic.Int64

func (e env) bucket(t *testing.T, role string) string {
	t.Helper()
	name := fmt.Sprintf("objcopy-%s-%d-%d", role, time.Now().UnixNano()%1e9, bucketSeq.Add(1))
	if _, err := e.dst.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatal(err)
	}
	return name
}

// seedObject is one object of the source as KFP, Argo and the v2 launcher leave it.
type seedObject struct {
	key         string
	body        []byte
	contentType string
	meta        map[string]string
	multipart   bool // written in parts at the source, so its ETag is not the MD5 of its content
}

// kfpObjects is the source's content (facts: kfp@2.2.0 pipelines/<id>; Argo's artifacts/ and
// private-artifacts/<ns>/ keys; the v2 launcher's <root>/<pipeline>/<run>/<task>/<uuid>/<name>): small objects in
// their thousands, binary and empty ones, unicode and spaces in keys, and a few large ones.
func kfpObjects(small int) []seedObject {
	r := rand.New(rand.NewPCG(1, 2))
	var objs []seedObject
	for i := range small {
		var o seedObject
		switch i % 5 {
		case 0:
			o = seedObject{key: fmt.Sprintf("pipelines/%08x-0000-4000-8000-%012x", i, i), contentType: "application/x-yaml",
				body: []byte(fmt.Sprintf("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {generateName: p%d-}\n", i))}
		case 1:
			o = seedObject{key: fmt.Sprintf("artifacts/train-%d/2024/05/%02d/train-%d-%d/main.log", i/50, 1+i%28, i/50, i),
				contentType: "text/plain", body: bytes.Repeat([]byte(fmt.Sprintf("step %d done\n", i)), 1+i%40)}
		case 2:
			o = seedObject{key: fmt.Sprintf("private-artifacts/kubeflow-user-%d/wf-%d/2025/11/03/wf-%d-pod/main.log", i%3, i, i),
				body: []byte("log line\n")}
		case 3:
			body := make([]byte, r.IntN(64*1024))
			for j := range body {
				body[j] = byte(r.UintN(256))
			}
			o = seedObject{key: fmt.Sprintf("v2/artifacts/my-pipeline/run-%d/train-model/%08x-aaaa-4bbb-8ccc-%012x/model", i/10, i, i),
				contentType: "application/octet-stream", body: body, meta: map[string]string{"run": fmt.Sprint(i / 10)}}
		case 4:
			o = seedObject{key: fmt.Sprintf("v2/artifacts/données d'entraînement/run %d/étape ✓/%d/métriques", i/10, i),
				contentType: "application/json; charset=utf-8", body: []byte(`{"précision": 0.9}`)}
		}
		if i%97 == 0 {
			o.body = nil // empty
		}
		objs = append(objs, o)
	}
	for i, size := range []int{threshold + 1, 12*mib + 123, 17 * mib} {
		body := make([]byte, size)
		for j := range body {
			body[j] = byte(r.UintN(256))
		}
		objs = append(objs, seedObject{key: fmt.Sprintf("v2/artifacts/big pipeline/run-%d/export/%d/dataset.tar", i, i),
			body: body, contentType: "application/x-tar", meta: map[string]string{"big": "yes"}, multipart: i == 2})
	}
	return objs
}

// seed writes objs into bucket.
func seed(t *testing.T, c *s3.Client, bucket string, objs []seedObject) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, o := range objs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := put(ctx, c, bucket, o); err != nil {
				t.Errorf("seeding %q: %v", o.key, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
}

func put(ctx context.Context, c *s3.Client, bucket string, o seedObject) error {
	var ct *string
	if o.contentType != "" {
		ct = aws.String(o.contentType)
	}
	if !o.multipart {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &o.key, Body: bytes.NewReader(o.body),
			ContentType: ct, Metadata: o.meta})
		return err
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &o.key, ContentType: ct, Metadata: o.meta})
	if err != nil {
		return err
	}
	var parts []s3types.CompletedPart
	for n, off := int32(1), 0; off < len(o.body); n, off = n+1, off+partSize {
		p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &o.key, UploadId: up.UploadId, PartNumber: aws.Int32(n),
			Body: bytes.NewReader(o.body[off:min(off+partSize, len(o.body))])})
		if err != nil {
			return err
		}
		parts = append(parts, s3types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &o.key, UploadId: up.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	return err
}

var (
	sourceOnce   sync.Once
	sourceBucket string
	sourceObjs   []seedObject
)

// source is one seeded source bucket shared by the tests: Copy only reads it.
func (e env) source(t *testing.T) (string, []seedObject) {
	t.Helper()
	sourceOnce.Do(func() {
		objs := kfpObjects(2000)
		name := e.bucket(t, "src")
		seed(t, e.dst, name, objs)
		sourceBucket, sourceObjs = name, objs
	})
	if sourceBucket == "" {
		t.Fatal("seeding the source bucket failed in an earlier test")
	}
	return sourceBucket, sourceObjs
}

// stored is what a bucket holds at one key.
type stored struct {
	size        int64
	md5         string
	contentType string
	meta        map[string]string
}

func read(t *testing.T, c *s3.Client, bucket, key string) stored {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("reading %q from %q: %v", key, bucket, err)
	}
	defer out.Body.Close()
	h := md5.New()
	n, err := io.Copy(h, out.Body)
	if err != nil {
		t.Fatalf("reading %q from %q: %v", key, bucket, err)
	}
	return stored{size: n, md5: hex.EncodeToString(h.Sum(nil)), contentType: aws.ToString(out.ContentType), meta: out.Metadata}
}

func keys(t *testing.T, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	var ks []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			ks = append(ks, aws.ToString(o.Key))
		}
	}
	slices.Sort(ks)
	return ks
}

// sameObjects checks dst holds exactly the source's objects under prefix: keys, sizes, content, content types and
// user metadata, each copy carrying the marker.
func sameObjects(t *testing.T, e env, src, dst, prefix string) {
	t.Helper()
	srcKeys, dstKeys := keys(t, e.dst, src, prefix), keys(t, e.dst, dst, "")
	if !slices.Equal(srcKeys, dstKeys) {
		t.Fatalf("destination holds %d keys, source %d under %q; first difference: %s", len(dstKeys), len(srcKeys), prefix, firstDiff(srcKeys, dstKeys))
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, k := range srcKeys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s, d := read(t, e.dst, src, k), read(t, e.dst, dst, k)
			if d.meta[objcopy.MarkerKey] == "" {
				t.Errorf("%q: copy lacks the marker: %v", k, d.meta)
			}
			delete(d.meta, objcopy.MarkerKey)
			if s.size != d.size || s.md5 != d.md5 || s.contentType != d.contentType || fmt.Sprint(s.meta) != fmt.Sprint(d.meta) {
				t.Errorf("%q: source %+v, destination %+v", k, s, d)
			}
		})
	}
	wg.Wait()
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%q vs %q", a[i], b[i])
		}
	}
	return "one is a prefix of the other"
}

// leftUploads are the unfinished multipart uploads in bucket.
func leftUploads(t *testing.T, c *s3.Client, bucket string) []string {
	t.Helper()
	out, err := c.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, u := range out.Uploads {
		ks = append(ks, aws.ToString(u.Key))
	}
	return ks
}

// count tallies recorded calls by operation.
func count(e env) map[string]int {
	n := map[string]int{}
	for _, c := range e.s.Calls() {
		n[strings.TrimPrefix(c.Operation, "s3:")]++
	}
	return n
}
