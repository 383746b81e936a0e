package proxy

import (
	"encoding/base64"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const deleteBody = `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
	`<Object><Key>a&amp;b</Key><VersionId>v1</VersionId></Object>` +
	"\n  <Object><Key>c</Key></Object>" +
	`<Object><Key>d</Key><VersionId>v3</VersionId></Object><Quiet>true</Quiet></Delete>`

// TestPartialDeleteRewritesTheRequest: the first objects leave the body, which stays well-formed, with its
// length and checksum following.
func TestPartialDeleteRewritesTheRequest(t *testing.T) {
	objects, err := parseDeleteObjects([]byte(deleteBody))
	if err != nil {
		t.Fatal(err)
	}
	want := []ObjectID{{"a&b", "v1"}, {"c", ""}, {"d", "v3"}}
	if got := objectIDs(objects); !reflect.DeepEqual(got, want) {
		t.Fatalf("parsed objects %+v, want %+v", got, want)
	}
	r := httptest.NewRequest("POST", "/bucket?delete", strings.NewReader(deleteBody))
	r.Header.Set("X-Amz-Checksum-Crc32", "stale")
	failed, forward := partialDelete(r, []byte(deleteBody), objects, 2)
	if !forward || !reflect.DeepEqual(failed, want[:2]) {
		t.Fatalf("partialDelete = %+v, %v; want the first two objects taken and the rest forwarded", failed, forward)
	}
	body, _ := io.ReadAll(r.Body)
	wantBody := `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + "\n  " +
		`<Object><Key>d</Key><VersionId>v3</VersionId></Object><Quiet>true</Quiet></Delete>`
	if string(body) != wantBody || r.ContentLength != int64(len(wantBody)) {
		t.Errorf("forwarded body (%d bytes) %s, want %s", r.ContentLength, body, wantBody)
	}
	sum := crc32.ChecksumIEEE(body)
	if got := r.Header.Get("X-Amz-Checksum-Crc32"); got != base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)}) {
		t.Errorf("x-amz-checksum-crc32 %q does not match the forwarded body", got)
	}
	if r.Header.Get("Content-Md5") != "" {
		t.Error("a checksum the client did not send was added")
	}

	r = httptest.NewRequest("POST", "/bucket?delete", strings.NewReader(deleteBody))
	if failed, forward := partialDelete(r, []byte(deleteBody), objects, 5); forward || len(failed) != 3 {
		t.Errorf("taking more keys than the request has: %+v, forward %v; want all three taken, nothing forwarded", failed, forward)
	}
}

func TestAddDeleteErrors(t *testing.T) {
	failed := []ObjectID{{"a<b", "v1"}, {"c", ""}}
	errs := `<Error><Key>a&lt;b</Key><VersionId>v1</VersionId><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>` +
		`<Error><Key>c</Key><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`
	for _, tc := range []struct{ moto, want string }{
		{`<?xml version="1.0"?><DeleteResult xmlns="x"><Deleted><Key>d</Key></Deleted></DeleteResult>`,
			`<?xml version="1.0"?><DeleteResult xmlns="x"><Deleted><Key>d</Key></Deleted>` + errs + `</DeleteResult>`},
		{`<DeleteResult xmlns="x"/>`, `<DeleteResult xmlns="x">` + errs + `</DeleteResult>`},
	} {
		got, err := addDeleteErrors([]byte(tc.moto), failed)
		if err != nil || string(got) != tc.want {
			t.Errorf("addDeleteErrors(%s) = %s, %v; want %s", tc.moto, got, err, tc.want)
		}
	}
	if _, err := addDeleteErrors([]byte(`<Error><Code>NoSuchBucket</Code></Error>`), failed); err == nil {
		t.Error("an answer without DeleteResult was accepted")
	}
}

// TestDeleteObjectsTheProxyCannotRead: recording forwards an aws-chunked or malformed DeleteObjects request
// unchanged and records it without objects; a partial-delete fault forwards a malformed one (moto answers
// MalformedXML) but answers an aws-chunked one with a 500 naming the cause, since it cannot take keys out of it.
func TestDeleteObjectsTheProxyCannotRead(t *testing.T) {
	var mu sync.Mutex // the upstream's handler runs on the server's goroutines
	var forwarded []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		forwarded = append(forwarded, string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, `<DeleteResult xmlns="`+s3Namespace+`"/>`)
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	p := New(Options{Upstream: u})
	// send returns the proxy's answer and the bodies that reached the upstream.
	send := func(body string, chunked bool) (*httptest.ResponseRecorder, []string) {
		mu.Lock()
		forwarded = nil
		mu.Unlock()
		r := httptest.NewRequest(http.MethodPost, "/bucket?delete", strings.NewReader(body))
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
		if chunked {
			r.Header.Set("Content-Encoding", "aws-chunked")
		}
		w := httptest.NewRecorder()
		p.ServeHTTP(w, r)
		mu.Lock()
		defer mu.Unlock()
		return w, forwarded
	}
	const malformed = "<Delete><Object><Key>a</Key>"
	if err := p.RecordCalls("s3:DeleteObjects"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body    string
		chunked bool
	}{{deleteBody, true}, {malformed, false}} {
		if w, got := send(tc.body, tc.chunked); w.Code != http.StatusOK || !reflect.DeepEqual(got, []string{tc.body}) {
			t.Errorf("recording %q (aws-chunked %v): answered %d, forwarded %q; want 200 and the body unchanged", tc.body, tc.chunked, w.Code, got)
		}
	}
	if calls := p.Calls(); len(calls) != 2 || len(calls[0].Objects) != 0 || len(calls[1].Objects) != 0 {
		t.Errorf("recorded calls %+v; want two, without objects", calls)
	}

	if err := p.InjectFault(Fault{Operation: "s3:DeleteObjects", Kind: FaultPartialDelete, Count: 2}); err != nil {
		t.Fatal(err)
	}
	if w, got := send(malformed, false); w.Code != http.StatusOK || !reflect.DeepEqual(got, []string{malformed}) {
		t.Errorf("a malformed body under partial-delete: answered %d, forwarded %q; want it forwarded unchanged", w.Code, got)
	}
	if w, got := send(deleteBody, true); w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "aws-chunked") || got != nil {
		t.Errorf("an aws-chunked body under partial-delete: answered %d %q, forwarded %q; want 500 naming aws-chunked, nothing forwarded",
			w.Code, w.Body.String(), got)
	}
}
