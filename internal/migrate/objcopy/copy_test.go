package objcopy_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kfaws/kfaws/internal/migrate/objcopy"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// TestCopyThenRerun: every object arrives intact (large ones through multipart uploads, verified against the
// source's ETag, whether that is an MD5 or a multipart ETag), progress is reported, and a second run copies
// nothing.
func TestCopyThenRerun(t *testing.T) {
	e := newEnv(t)
	src, objs := e.source(t)
	dst := e.bucket(t, "dst")
	ctx := context.Background()
	if err := objcopy.CheckDestination(ctx, objcopy.Bucket{Client: e.dst, Name: dst}); err != nil {
		t.Fatalf("an empty destination: %v", err)
	}
	var mu sync.Mutex
	var last objcopy.Progress
	opts := testOptions()
	opts.Progress = func(p objcopy.Progress) { mu.Lock(); last = p; mu.Unlock() }
	if err := e.s.RecordCalls("s3:*"); err != nil {
		t.Fatal(err)
	}
	rep, err := objcopy.Copy(ctx, objcopy.Bucket{Client: e.src, Name: src}, objcopy.Bucket{Client: e.dst, Name: dst}, opts)
	if err != nil {
		t.Fatal(err)
	}
	calls := count(e)
	var total int64
	for _, o := range objs {
		total += int64(len(o.body))
	}
	n := int64(len(objs))
	if rep.Objects != n || rep.Copied != n || rep.Skipped != 0 || rep.Bytes != total || len(rep.Mismatches) != 0 || rep.Unverified != 0 {
		t.Errorf("report %+v; want %d objects, %d bytes copied, all verified", rep, n, total)
	}
	if last.Objects != n || last.Bytes != total || last.TotalBytes != total || last.BytesPerSecond <= 0 {
		t.Errorf("last progress %+v; want every object and byte", last)
	}
	// 8 MiB+1, 12 MiB+123 and 17 MiB in 5 MiB parts: 2 + 3 + 4 parts.
	if calls["CreateMultipartUpload"] != 3 || calls["UploadPart"] != 9 || calls["CompleteMultipartUpload"] != 3 || calls["PutObject"] != int(n)-3 {
		t.Errorf("write calls %v; want 3 multipart uploads of 9 parts and a PutObject for each other object", calls)
	}
	sameObjects(t, e, src, dst, "")

	if err := e.s.RecordCalls("s3:*"); err != nil {
		t.Fatal(err)
	}
	again, err := objcopy.Copy(ctx, objcopy.Bucket{Client: e.src, Name: src}, objcopy.Bucket{Client: e.dst, Name: dst}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	calls = count(e)
	if again.Copied != 0 || again.Skipped != n || again.SkippedBytes != total || len(again.Mismatches) != 0 {
		t.Errorf("second run %+v; want everything skipped", again)
	}
	for _, op := range []string{"PutObject", "CreateMultipartUpload", "UploadPart", "GetObject"} {
		if calls[op] != 0 {
			t.Errorf("second run made %d %s calls; want none", calls[op], op)
		}
	}
	if err := objcopy.CheckDestination(ctx, objcopy.Bucket{Client: e.dst, Name: dst}); err != nil {
		t.Errorf("a destination holding only the migration's copies: %v", err)
	}
}

// TestKilledCopyResumes: a copy cancelled midway, once one of its multipart uploads is in flight (it aborts its
// own), and an upload left by a run killed outright (the next run aborts it), resumes to the complete set with no upload left behind.
func TestKilledCopyResumes(t *testing.T) {
	e := newEnv(t)
	src, objs := e.source(t)
	dst := e.bucket(t, "dst")
	ctx := context.Background()
	bigKey := objs[len(objs)-1].key
	// What a SIGKILLed run leaves: an upload with a part, at one of the keys.
	up, err := e.dst.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &dst, Key: &bigKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.dst.UploadPart(ctx, &s3.UploadPartInput{Bucket: &dst, Key: &bigKey, UploadId: up.UploadId, PartNumber: aws.Int32(1),
		Body: bytes.NewReader(make([]byte, partSize))}); err != nil {
		t.Fatal(err)
	}
	// Parts are slow, so the large objects are mid-upload when the copy is cancelled.
	if err := e.s.InjectFault("s3:UploadPart", proxy.FaultLatency, 100, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	killed, cancel := context.WithCancel(ctx)
	go cancelWhenUploading(killed, cancel, e.dst, dst, aws.ToString(up.UploadId))
	first, err := objcopy.Copy(killed, objcopy.Bucket{Client: e.src, Name: src}, objcopy.Bucket{Client: e.dst, Name: dst}, testOptions())
	cancel()
	if !errors.Is(err, context.Canceled) || first.Copied == 0 || first.Copied >= int64(len(objs)) || first.AbortedUploads < 1 {
		t.Fatalf("cancelled run: %+v, %v; want some objects copied, the killed run's upload aborted, and context.Canceled", first, err)
	}
	// The cancelled run aborts its own uploads, but one whose CreateMultipartUpload was cancelled in flight may
	// start after that (the request reached the server); as after a kill, the next run aborts those. Leave one more.
	e.s.ClearFaults()
	if _, err := e.dst.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &dst, Key: &bigKey}); err != nil {
		t.Fatal(err)
	}
	if err := objcopy.CheckDestination(ctx, objcopy.Bucket{Client: e.dst, Name: dst}); err != nil {
		t.Errorf("a destination holding a killed run's copies: %v", err)
	}
	second, err := objcopy.Copy(ctx, objcopy.Bucket{Client: e.src, Name: src}, objcopy.Bucket{Client: e.dst, Name: dst}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if second.Skipped < first.Copied || second.Copied+second.Skipped != int64(len(objs)) || len(second.Mismatches) != 0 || second.AbortedUploads < 1 {
		t.Errorf("resumed run %+v after %+v; want the first run's copies skipped, the rest copied, the left upload aborted", second, first)
	}
	if left := leftUploads(t, e.dst, dst); len(left) != 0 {
		t.Errorf("uploads left at %q", left)
	}
	sameObjects(t, e, src, dst, "")
}

// cancelWhenUploading cancels as soon as bucket holds a multipart upload other than the one named.
func cancelWhenUploading(ctx context.Context, cancel func(), c *s3.Client, bucket, other string) {
	for ctx.Err() == nil {
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
		if err == nil {
			for _, u := range out.Uploads {
				if aws.ToString(u.UploadId) != other {
					cancel()
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestChangedCopiesAndForeignObjects: at a source key, the destination may hold the migration's copy of an older
// source version (copied again), or an object no migration wrote (reported, never overwritten, and refused by
// CheckDestination before anything is written).
func TestChangedCopiesAndForeignObjects(t *testing.T) {
	e := newEnv(t)
	src, _ := e.source(t)
	dst := e.bucket(t, "dst")
	ctx := context.Background()
	const prefix = "pipelines/"
	from := objcopy.Bucket{Client: e.src, Name: src, Prefix: prefix}
	to := objcopy.Bucket{Client: e.dst, Name: dst, Prefix: prefix}
	if _, err := objcopy.Copy(ctx, from, to, testOptions()); err != nil {
		t.Fatal(err)
	}
	ks := keys(t, e.dst, src, prefix)
	stale, resized, foreign := ks[0], ks[1], ks[2]
	for key, o := range map[string]*s3.PutObjectInput{
		stale:   {Body: strings.NewReader("older version"), Metadata: map[string]string{objcopy.MarkerKey: "0123456789abcdef0123456789abcdef"}},
		resized: {Body: strings.NewReader("truncated"), Metadata: map[string]string{objcopy.MarkerKey: read(t, e.dst, dst, resized).md5}},
		foreign: {Body: strings.NewReader("written by the new install")},
	} {
		o.Bucket, o.Key = &dst, aws.String(key)
		if _, err := e.dst.PutObject(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.s.RecordCalls("s3:*"); err != nil {
		t.Fatal(err)
	}
	err := objcopy.CheckDestination(ctx, to)
	var fe *objcopy.ForeignObjectsError
	if !errors.As(err, &fe) || fe.Count != 1 || fe.Keys[0] != foreign || !strings.Contains(err.Error(), foreign) {
		t.Errorf("CheckDestination = %v; want it to name %q", err, foreign)
	}
	for op, n := range count(e) {
		if op != "ListObjectsV2" && op != "HeadObject" {
			t.Errorf("CheckDestination made %d %s calls; want only listing and HeadObject", n, op)
		}
	}
	rep, err := objcopy.Copy(ctx, from, to, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied != 2 || rep.Skipped != int64(len(ks))-3 || len(rep.Mismatches) != 1 || rep.Mismatches[0].Key != foreign ||
		!strings.Contains(rep.Mismatches[0].Reason, "no migration wrote") {
		t.Errorf("report %+v; want the stale and resized copies copied again and %q reported", rep, foreign)
	}
	if got := read(t, e.dst, dst, foreign); got.size != int64(len("written by the new install")) {
		t.Errorf("the foreign object was overwritten: %+v", got)
	}
	for _, k := range []string{stale, resized} {
		if s, d := read(t, e.dst, src, k), read(t, e.dst, dst, k); s.md5 != d.md5 {
			t.Errorf("%q not copied again: source %+v, destination %+v", k, s, d)
		}
	}
}

// TestCopySurvivesFaults: throttling, 503s and responses lost after S3 applied the call (a retried
// CreateMultipartUpload leaves an upload; a retried CompleteMultipartUpload finds its upload gone) still end in a
// complete, verified copy with no upload left.
func TestCopySurvivesFaults(t *testing.T) {
	e := newEnv(t)
	src, _ := e.source(t)
	dst := e.bucket(t, "dst")
	for _, f := range []struct {
		op    string
		kind  proxy.FaultKind
		count int
	}{
		{"s3:PutObject", proxy.FaultThrottle, 2},
		{"s3:PutObject", proxy.FaultLostResponse, 2},
		{"s3:GetObject", proxy.Fault503, 2},
		{"s3:CreateMultipartUpload", proxy.FaultLostResponse, 1},
		{"s3:UploadPart", proxy.FaultLostResponse, 2},
		{"s3:CompleteMultipartUpload", proxy.FaultLostResponse, 1},
		{"s3:ListObjectsV2", proxy.FaultThrottle, 1},
	} {
		if err := e.s.InjectFault(f.op, f.kind, f.count, 0); err != nil {
			t.Fatal(err)
		}
	}
	const prefix = "v2/"
	rep, err := objcopy.Copy(context.Background(), objcopy.Bucket{Client: e.src, Name: src, Prefix: prefix},
		objcopy.Bucket{Client: e.dst, Name: dst, Prefix: prefix}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied+rep.Skipped != rep.Objects || len(rep.Mismatches) != 0 {
		t.Errorf("report %+v; want every object copied", rep)
	}
	for _, f := range e.s.Faults() {
		if f.Count != 0 {
			t.Errorf("fault %s %s not used up: %d left", f.Operation, f.Kind, f.Count)
		}
	}
	if left := leftUploads(t, e.dst, dst); len(left) != 0 {
		t.Errorf("uploads left at %q", left)
	}
	sameObjects(t, e, src, dst, prefix)
}
