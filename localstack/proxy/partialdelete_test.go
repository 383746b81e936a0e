package proxy

import (
	"encoding/base64"
	"hash/crc32"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
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
	failed, forward, err := partialDelete(r, []byte(deleteBody), objects, 2)
	if err != nil || !forward || !reflect.DeepEqual(failed, want[:2]) {
		t.Fatalf("partialDelete = %+v, %v, %v; want the first two objects taken and the rest forwarded", failed, forward, err)
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
	if failed, forward, err := partialDelete(r, []byte(deleteBody), objects, 5); err != nil || forward || len(failed) != 3 {
		t.Errorf("taking more keys than the request has: %+v, forward %v, %v; want all three taken, nothing forwarded", failed, forward, err)
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
