package proxy_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// s3Harness is a proxy of its own in front of the shared stack's moto, and the real S3 client talking to it.
func s3Harness(t *testing.T) (*proxy.Proxy, *s3.Client) {
	t.Helper()
	moto, err := url.Parse(localstack.Shared(t).MotoURL)
	if err != nil {
		t.Fatal(err)
	}
	p := proxy.New(proxy.Options{Upstream: moto})
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(localstack.AccessKeyID, localstack.SecretAccessKey, "")})
	return p, c
}

// versions creates a versioned bucket with objects keys, each written twice, and returns every version.
func versions(t *testing.T, c *s3.Client, bucket string, keys ...string) []s3types.ObjectIdentifier {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var ids []s3types.ObjectIdentifier
	for _, k := range keys {
		for range 2 {
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(k), Body: strings.NewReader("x")})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, s3types.ObjectIdentifier{Key: aws.String(k), VersionId: out.VersionId})
		}
	}
	return ids
}

func left(t *testing.T, c *s3.Client, bucket string) []proxy.ObjectID {
	t.Helper()
	out, err := c.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	var ids []proxy.ObjectID
	for _, v := range out.Versions {
		ids = append(ids, proxy.ObjectID{Key: aws.ToString(v.Key), VersionID: aws.ToString(v.VersionId)})
	}
	return ids
}

func sameObjects(a, b []proxy.ObjectID) bool {
	byKey := func(x, y proxy.ObjectID) int {
		return strings.Compare(x.Key+"\x00"+x.VersionID, y.Key+"\x00"+y.VersionID)
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, byKey)
	slices.SortFunc(b, byKey)
	return slices.Equal(a, b)
}

func ids(objects []s3types.ObjectIdentifier) []proxy.ObjectID {
	var out []proxy.ObjectID
	for _, o := range objects {
		out = append(out, proxy.ObjectID{Key: aws.ToString(o.Key), VersionID: aws.ToString(o.VersionId)})
	}
	return out
}

// TestPartialDeleteThroughSDK: a DeleteObjects call under a partial-delete fault succeeds as a request, and the
// SDK reads the taken objects from DeleteObjectsOutput.Errors with S3's code, key and version; moto deletes the
// rest; the recorded call shows what the client sent and what failed; once the fault is used up, the same keys
// delete.
func TestPartialDeleteThroughSDK(t *testing.T) {
	p, c := s3Harness(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("partial-%d", time.Now().UnixNano()%1e9)
	all := versions(t, c, bucket, "a & b", "c/d", "e")
	if err := p.InjectFault(proxy.Fault{Operation: "s3:DeleteObjects", Kind: proxy.FaultPartialDelete, Count: 1, Keys: 2}); err != nil {
		t.Fatal(err)
	}
	if err := p.RecordCalls("s3:DeleteObjects"); err != nil {
		t.Fatal(err)
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &s3types.Delete{Objects: all, Quiet: aws.Bool(true)}})
	if err != nil {
		t.Fatalf("DeleteObjects under a partial-delete fault: %v; want success with errors in the result", err)
	}
	var failed []proxy.ObjectID
	for _, e := range out.Errors {
		if aws.ToString(e.Code) != "InternalError" || aws.ToString(e.Message) == "" {
			t.Errorf("error element %+v, want code InternalError with a message", e)
		}
		failed = append(failed, proxy.ObjectID{Key: aws.ToString(e.Key), VersionID: aws.ToString(e.VersionId)})
	}
	if want := ids(all[:2]); !reflect.DeepEqual(failed, want) {
		t.Errorf("failed objects %+v, want the first two sent %+v", failed, want)
	}
	if got := left(t, c, bucket); !sameObjects(got, ids(all[:2])) {
		t.Errorf("versions left %+v, want only the failed ones", got)
	}
	calls := p.Calls()
	if len(calls) != 1 || calls[0].Status != 200 || !reflect.DeepEqual(calls[0].Objects, ids(all)) || !reflect.DeepEqual(calls[0].Failed, failed) {
		t.Errorf("recorded calls %+v; want one, answered 200, with the objects sent and the failed ones", calls)
	}
	out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &s3types.Delete{Objects: all[:2]}})
	if err != nil || len(out.Errors) != 0 || len(left(t, c, bucket)) != 0 {
		t.Errorf("resending the failed keys after the fault: %v, errors %+v, left %+v", err, out.Errors, left(t, c, bucket))
	}
}

// TestPartialDeleteOfEveryKey: when the fault takes every object, nothing reaches moto and every object is reported.
func TestPartialDeleteOfEveryKey(t *testing.T) {
	p, c := s3Harness(t)
	bucket := fmt.Sprintf("partial-all-%d", time.Now().UnixNano()%1e9)
	all := versions(t, c, bucket, "only")
	if err := p.InjectFault(proxy.Fault{Operation: "s3:DeleteObjects", Kind: proxy.FaultPartialDelete, Count: 1, Keys: 5}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DeleteObjects(context.Background(), &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &s3types.Delete{Objects: all}})
	if err != nil || len(out.Errors) != len(all) || len(out.Deleted) != 0 {
		t.Fatalf("DeleteObjects with every key failing: %v, %d errors, %d deleted; want %d errors", err, len(out.Errors), len(out.Deleted), len(all))
	}
	if got := left(t, c, bucket); len(got) != len(all) {
		t.Errorf("versions left %+v, want all %d", got, len(all))
	}
}

// TestListVersionsWhileDeleting: a client that deletes each page of versions before it asks for the next, as
// rclone purge does, is still given every version and delete marker exactly once, in pages of at most 1,000
// (moto alone ends such a listing at the first marker it has deleted).
func TestListVersionsWhileDeleting(t *testing.T) {
	_, c := s3Harness(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("list-delete-%d", time.Now().UnixNano()%1e9)
	versions(t, c, bucket) // the versioned bucket, empty
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range 1100 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			key := aws.String(fmt.Sprintf("runs/%04d/out", i))
			for range 1 + i%2 {
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: key, Body: strings.NewReader("x")}); err != nil {
					t.Error(err)
				}
			}
			if i%4 == 0 {
				if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: key}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	want := 1100 + 550 + 275
	seen := map[proxy.ObjectID]bool{}
	pages := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var batch []s3types.ObjectIdentifier
		for _, v := range page.Versions {
			batch = append(batch, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			batch = append(batch, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(batch) > 1000 {
			t.Errorf("a page of %d entries, want at most 1000", len(batch))
		}
		for _, id := range ids(batch) {
			if seen[id] {
				t.Errorf("%v listed twice", id)
			}
			seen[id] = true
		}
		if len(batch) == 0 {
			continue
		}
		if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &s3types.Delete{Objects: batch}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != want || len(left(t, c, bucket)) != 0 {
		t.Errorf("listed %d of %d entries while deleting; %d versions left", len(seen), want, len(left(t, c, bucket)))
	}
}

// TestListVersionsMarkers: continuations from S3's markers, a key marker alone, a small max-keys, a prefix.
func TestListVersionsMarkers(t *testing.T) {
	_, c := s3Harness(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("list-markers-%d", time.Now().UnixNano()%1e9)
	all := versions(t, c, bucket, "a", "b/1", "b/2", "c") // two versions each
	list := func(in s3.ListObjectVersionsInput) []proxy.ObjectID {
		t.Helper()
		in.Bucket = &bucket
		out, err := c.ListObjectVersions(ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		var got []proxy.ObjectID
		for _, v := range out.Versions {
			got = append(got, proxy.ObjectID{Key: aws.ToString(v.Key), VersionID: aws.ToString(v.VersionId)})
		}
		if truncated := aws.ToBool(out.IsTruncated); truncated != (aws.ToString(out.NextKeyMarker) != "") {
			t.Errorf("IsTruncated %v with NextKeyMarker %q", truncated, aws.ToString(out.NextKeyMarker))
		}
		return got
	}
	keys := func(ids []proxy.ObjectID) string {
		var ks []string
		for _, id := range ids {
			ks = append(ks, id.Key)
		}
		return strings.Join(ks, ",")
	}
	first := list(s3.ListObjectVersionsInput{MaxKeys: aws.Int32(3)})
	if keys(first) != "a,a,b/1" {
		t.Errorf("first page of 3: %s", keys(first))
	}
	next := list(s3.ListObjectVersionsInput{MaxKeys: aws.Int32(3), KeyMarker: aws.String("b/1"), VersionIdMarker: aws.String(first[2].VersionID)})
	if keys(next) != "b/1,b/2,b/2" || next[0] == first[2] {
		t.Errorf("after (b/1, %s): %v", first[2].VersionID, next)
	}
	if got := list(s3.ListObjectVersionsInput{KeyMarker: aws.String("b/1")}); keys(got) != "b/2,b/2,c,c" {
		t.Errorf("after key b/1: %s", keys(got))
	}
	if got := list(s3.ListObjectVersionsInput{Prefix: aws.String("b/")}); keys(got) != "b/1,b/1,b/2,b/2" {
		t.Errorf("prefix b/: %s", keys(got))
	}
	if got := list(s3.ListObjectVersionsInput{}); len(got) != len(all) {
		t.Errorf("whole bucket: %d of %d versions", len(got), len(all))
	}
}

// TestListVersionsLostResponse: a lost-response fault reaches a listing the proxy pages itself: the client is
// answered 500, and its retry lists every version.
func TestListVersionsLostResponse(t *testing.T) {
	p, c := s3Harness(t)
	bucket := fmt.Sprintf("list-lost-%d", time.Now().UnixNano()%1e9)
	all := versions(t, c, bucket, "a", "b")
	if err := p.InjectFault(proxy.Fault{Operation: "s3:ListObjectVersions", Kind: proxy.FaultLostResponse, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if err := p.RecordCalls("s3:ListObjectVersions"); err != nil {
		t.Fatal(err)
	}
	if got := left(t, c, bucket); !sameObjects(got, ids(all)) {
		t.Errorf("versions listed after the retry %+v, want %+v", got, ids(all))
	}
	var statuses []int
	for _, call := range p.Calls() {
		statuses = append(statuses, call.Status)
	}
	if !slices.Equal(statuses, []int{500, 200}) {
		t.Errorf("answers %v, want 500 then 200", statuses)
	}
}
