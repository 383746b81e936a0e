package proxy

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
)

// s3Namespace is the XML namespace of S3's request and response documents.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// objectSpan is one <Object> element of a DeleteObjects body and where it lies in the body.
type objectSpan struct {
	id         ObjectID
	start, end int64
}

// parseDeleteObjects lists the <Object> elements of a DeleteObjects body
// (<Delete><Object><Key/><VersionId/></Object>...<Quiet/></Delete>) in order.
func parseDeleteObjects(body []byte) ([]objectSpan, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var spans []objectSpan
	depth := 0
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return spans, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parsing the DeleteObjects body: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 1 && t.Name.Local == "Object" {
				var o struct {
					Key       string `xml:"Key"`
					VersionID string `xml:"VersionId"`
				}
				if err := d.DecodeElement(&o, &t); err != nil {
					return nil, fmt.Errorf("parsing an Object of the DeleteObjects body: %w", err)
				}
				spans = append(spans, objectSpan{id: ObjectID{Key: o.Key, VersionID: o.VersionID}, start: start, end: d.InputOffset()})
				continue
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

func objectIDs(spans []objectSpan) []ObjectID {
	ids := make([]ObjectID, len(spans))
	for i, s := range spans {
		ids[i] = s.id
	}
	return ids
}

// withoutObjects returns body without the elements of spans.
func withoutObjects(body []byte, spans []objectSpan) []byte {
	out := make([]byte, 0, len(body))
	at := int64(0)
	for _, s := range spans {
		out = append(out, body[at:s.start]...)
		at = s.end
	}
	return append(out, body[at:]...)
}

// partialDelete applies a partial-delete fault to r, a DeleteObjects request whose body is body: it takes the
// first keys objects out, puts the shortened body on r with matching checksum headers, and returns the taken
// objects and whether any object is left to forward.
func partialDelete(r *http.Request, body []byte, spans []objectSpan, keys int) ([]ObjectID, bool) {
	if keys <= 0 {
		keys = 1
	}
	taken := spans[:min(keys, len(spans))]
	if len(taken) == len(spans) {
		return objectIDs(taken), false
	}
	body = withoutObjects(body, taken)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	setChecksums(r.Header, body)
	return objectIDs(taken), true
}

// checksumHeaders are the body checksums an S3 request may carry (Content-MD5 and the flexible checksums).
// The SDK's CRC64NVME uses the reversed NVMe polynomial.
var checksumHeaders = map[string]func() hash.Hash{
	"Content-Md5":              md5.New,
	"X-Amz-Checksum-Crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"X-Amz-Checksum-Crc32c":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"X-Amz-Checksum-Crc64nvme": func() hash.Hash { return crc64.New(crc64.MakeTable(0x9a6c9329ac4bc9b5)) },
	"X-Amz-Checksum-Sha1":      sha1.New,
	"X-Amz-Checksum-Sha256":    sha256.New,
}

// setChecksums recomputes the body checksums h carries, so the shortened request is consistent.
func setChecksums(h http.Header, body []byte) {
	for name, newHash := range checksumHeaders {
		if h.Get(name) == "" {
			continue
		}
		sum := newHash()
		sum.Write(body)
		h.Set(name, base64.StdEncoding.EncodeToString(sum.Sum(nil)))
	}
}

// deleteErrors renders the <Error> elements S3 puts in a DeleteResult for objects it could not delete, in the
// shape aws-sdk-go-v2 reads into DeleteObjectsOutput.Errors.
func deleteErrors(failed []ObjectID) []byte {
	var b bytes.Buffer
	for _, o := range failed {
		b.WriteString("<Error><Key>")
		_ = xml.EscapeText(&b, []byte(o.Key))
		b.WriteString("</Key>")
		if o.VersionID != "" {
			b.WriteString("<VersionId>")
			_ = xml.EscapeText(&b, []byte(o.VersionID))
			b.WriteString("</VersionId>")
		}
		b.WriteString("<Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>")
	}
	return b.Bytes()
}

// addDeleteErrors adds an <Error> for each failed object to moto's DeleteResult.
func addDeleteErrors(body []byte, failed []ObjectID) ([]byte, error) {
	errs := deleteErrors(failed)
	if i := bytes.LastIndex(body, []byte("</DeleteResult>")); i >= 0 {
		return append(append(append([]byte{}, body[:i]...), errs...), body[i:]...), nil
	}
	// An empty result may be self-closing: <DeleteResult xmlns="..."/>.
	if i := bytes.Index(body, []byte("<DeleteResult")); i >= 0 {
		if j := bytes.Index(body[i:], []byte("/>")); j >= 0 {
			end := i + j
			out := append(append([]byte{}, body[:end]...), '>')
			out = append(append(out, errs...), "</DeleteResult>"...)
			return append(out, body[end+2:]...), nil
		}
	}
	return nil, fmt.Errorf("partial-delete: moto's DeleteObjects answer has no DeleteResult: %.200q", body)
}

// writeDeleteResult answers a DeleteObjects request all of whose objects a partial-delete fault took.
func writeDeleteResult(w http.ResponseWriter, failed []ObjectID) {
	body := append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<DeleteResult xmlns="`+s3Namespace+`">`),
		deleteErrors(failed)...)
	body = append(body, "</DeleteResult>"...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("X-Amz-Request-Id", requestID())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

type failedKey struct{}

// withFailed tells modifyResponse which objects to report as failed.
func withFailed(ctx context.Context, failed []ObjectID) context.Context {
	return context.WithValue(ctx, failedKey{}, failed)
}

func failedFrom(ctx context.Context) []ObjectID {
	f, _ := ctx.Value(failedKey{}).([]ObjectID)
	return f
}
