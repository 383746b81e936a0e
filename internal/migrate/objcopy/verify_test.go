package objcopy

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
)

func TestCheckRead(t *testing.T) {
	content := []byte("hello, world")
	sum := md5.Sum(content)
	p1, p2 := md5.Sum(content[:5]), md5.Sum(content[5:])
	parts := [][]byte{p1[:], p2[:]}
	cases := []struct {
		name         string
		etag         string
		want, got    int64
		parts        [][]byte
		reason       string // substring; "" for none
		wantVerified bool
	}{
		{"single-request ETag matches", hex.EncodeToString(sum[:]), 12, 12, nil, "", true},
		{"single-request ETag differs", strings.Repeat("0", 32), 12, 12, nil, "the source's ETag is 000", false},
		{"short read", hex.EncodeToString(sum[:]), 13, 12, nil, "read 12 bytes from the source, which lists 13", false},
		{"multipart ETag reproduced", multipartETag(parts), 12, 12, parts, "", true},
		{"multipart ETag of other boundaries", strings.Repeat("a", 32) + "-2", 12, 12, parts, "", false},
		{"multipart ETag, copied in one request", strings.Repeat("a", 32) + "-2", 12, 12, nil, "", false},
		{"ETag of an encrypted object", "not-an-md5", 12, 12, nil, "", false},
	}
	for _, tc := range cases {
		reason, verified := checkRead(tc.etag, tc.want, tc.got, sum[:], tc.parts)
		if (tc.reason == "") != (reason == "") || !strings.Contains(reason, tc.reason) || verified != tc.wantVerified {
			t.Errorf("%s: reason %q, verified %v; want %q, %v", tc.name, reason, verified, tc.reason, tc.wantVerified)
		}
	}
}

func TestPartSize(t *testing.T) {
	o := Options{}.withDefaults()
	if got := o.partSize(100 * mib); got != defaultPartSize {
		t.Errorf("100 MiB: part size %d, want the default", got)
	}
	huge := int64(5) << 40 // S3's largest object
	if got := o.partSize(huge); (huge+got-1)/got > maxParts || got%mib != 0 {
		t.Errorf("5 TiB: part size %d needs more than %d parts or is not whole MiB", got, maxParts)
	}
	if small := (Options{PartSize: 1}).withDefaults(); small.PartSize != minPartSize {
		t.Errorf("PartSize 1 became %d, want S3's minimum", small.PartSize)
	}
}
