package objcopy

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// The source's ETag is how a read is verified. MinIO and SeaweedFS, like S3 without SSE-KMS, give an object
// written in one request the hex MD5 of its content, and one written in N parts the hex MD5 of the concatenated
// binary part MD5s followed by "-N". The first is checked against the MD5 of every byte read; the second only
// when the parts of this copy reproduce it (same part boundaries), as the source's part sizes are not listed.

// cleanETag strips the quotes S3 puts around an ETag.
func cleanETag(etag string) string { return strings.Trim(etag, `"`) }

// plainMD5 reports whether etag is the MD5 of a single-request object.
func plainMD5(etag string) bool {
	if len(etag) != 32 {
		return false
	}
	_, err := hex.DecodeString(etag)
	return err == nil
}

// multipartETag is the ETag S3 gives an upload of parts with these MD5s.
func multipartETag(partMD5s [][]byte) string {
	h := md5.New()
	for _, p := range partMD5s {
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(partMD5s))
}

// checkRead compares what was read of a source object with its listing. It returns a mismatch reason, or "".
// verified reports whether the content was checked against the ETag (not only its length).
func checkRead(etag string, wantSize, gotSize int64, sum []byte, partMD5s [][]byte) (reason string, verified bool) {
	if gotSize != wantSize {
		return fmt.Sprintf("read %d bytes from the source, which lists %d", gotSize, wantSize), false
	}
	switch {
	case plainMD5(etag):
		if got := hex.EncodeToString(sum); got != etag {
			return fmt.Sprintf("MD5 of the bytes read is %s, the source's ETag is %s", got, etag), false
		}
		return "", true
	case partMD5s != nil && strings.HasSuffix(etag, "-"+strconv.Itoa(len(partMD5s))):
		return "", multipartETag(partMD5s) == etag
	}
	return "", false
}
