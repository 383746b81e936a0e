package objcopy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kfaws/kfaws/internal/migrate/objcopy"
)

// TestSourceClientSendsNoChecksumHeaders: what the source client sends to an object store of 2019 is plain S3:
// path-style requests, signed for us-east-1 with the given key, with none of the checksum headers newer SDKs add
// by default.
func TestSourceClientSendsNoChecksumHeaders(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Clone(context.Background()))
		mu.Unlock()
		w.Header().Set("ETag", `"5d41402abc4b2a76b9719d911017c592"`)
		w.Header().Set("Content-Length", "5")
		_, _ = io.WriteString(w, "hello")
	}))
	defer srv.Close()
	c, err := objcopy.NewSourceClient(objcopy.SourceEndpoint{URL: srv.URL, AccessKey: "minio", SecretKey: "minio123"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("mlpipeline"), Key: aws.String("pipelines/p1")})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, out.Body)
	_ = out.Body.Close()
	if len(seen) != 1 {
		t.Fatalf("%d requests, want 1", len(seen))
	}
	r := seen[0]
	if r.URL.Path != "/mlpipeline/pipelines/p1" {
		t.Errorf("path %q, want path style /mlpipeline/pipelines/p1", r.URL.Path)
	}
	if auth := r.Header.Get("Authorization"); !strings.Contains(auth, "Credential=minio/") || !strings.Contains(auth, "/us-east-1/s3/") {
		t.Errorf("Authorization %q, want the minio key and region us-east-1", auth)
	}
	for name := range r.Header {
		if n := strings.ToLower(name); strings.Contains(n, "checksum") {
			t.Errorf("header %s: %q sent to the source", name, r.Header.Get(name))
		}
	}
}

func TestNewSourceClientRejects(t *testing.T) {
	for _, e := range []objcopy.SourceEndpoint{
		{URL: "minio-service:9000", AccessKey: "a", SecretKey: "b"},
		{URL: "http://127.0.0.1:9000", AccessKey: "a"},
	} {
		if _, err := objcopy.NewSourceClient(e); err == nil {
			t.Errorf("%+v accepted", e)
		}
	}
}
