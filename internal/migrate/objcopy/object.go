package objcopy

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// abortTimeout bounds the abort of a failed upload, which runs even when the copy's context is cancelled.
const abortTimeout = 30 * time.Second

// object copies one source object unless the destination already holds it: with the same ETag and size in the
// listing (the same content, whoever wrote it: both ETags are MD5s of it, or MD5s of the same parts), or as this
// package's copy of a source object with that ETag and size (its marker, read with HeadObject, for destinations
// whose ETags are not MD5s, such as SSE-KMS buckets, and copies made in other parts than the source's).
func (c *copier) object(ctx context.Context, o, existing object, atDest bool) error {
	dk := destKey(c.src, c.dst, o.key)
	if atDest && existing.etag == o.etag && existing.size == o.size {
		c.skip(o)
		return nil
	}
	if atDest {
		h, err := head(ctx, c.dst, dk)
		if err != nil {
			return err
		}
		if h != nil {
			marker, ok := h.Metadata[MarkerKey]
			switch {
			case !ok:
				c.mismatch(o.key, fmt.Sprintf("destination bucket %q already holds %q, which no migration wrote; not overwritten", c.dst.Name, dk))
				return nil
			case marker == o.etag && aws.ToInt64(h.ContentLength) == o.size:
				c.skip(o)
				return nil
			}
			// An earlier run's copy of another version of the source object: copied again.
		}
	}
	get, err := c.src.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.src.Name), Key: aws.String(o.key)})
	if err != nil {
		return fmt.Errorf("reading from source bucket %q: %w", c.src.Name, err)
	}
	defer get.Body.Close()
	// The object read is the one described by this response, should it have changed since the listing.
	o.size, o.etag = aws.ToInt64(get.ContentLength), cleanETag(aws.ToString(get.ETag))
	if o.size > c.o.MultipartThreshold {
		return c.multipart(ctx, o, dk, get)
	}
	return c.single(ctx, o, dk, get)
}

// single reads a small object into memory and writes it with one PutObject, whose Content-MD5 makes the
// destination refuse anything but the bytes read.
func (c *copier) single(ctx context.Context, o object, dk string, get *s3.GetObjectOutput) error {
	held := min(o.size, c.o.MemoryLimit)
	if err := c.mem.Acquire(ctx, held); err != nil {
		return err
	}
	defer c.mem.Release(held)
	buf := make([]byte, o.size)
	n, err := io.ReadFull(get.Body, buf)
	if err != nil { // a connection dropped midway: tried again
		return fmt.Errorf("reading from source bucket %q: %w", c.src.Name, err)
	}
	sum := md5.Sum(buf[:n])
	reason, verified := checkRead(o.etag, o.size, int64(n), sum[:], nil)
	if reason != "" {
		c.mismatch(o.key, reason+"; not copied")
		return nil
	}
	_, err = c.dst.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(c.dst.Name), Key: aws.String(dk), Body: bytes.NewReader(buf), ContentLength: aws.Int64(o.size),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:])), Metadata: c.metadata(o, get),
		ContentType: get.ContentType, ContentEncoding: get.ContentEncoding, ContentDisposition: get.ContentDisposition,
		ContentLanguage: get.ContentLanguage, CacheControl: get.CacheControl,
	})
	if err != nil {
		return fmt.Errorf("writing to destination bucket %q: %w", c.dst.Name, err)
	}
	c.copied.Add(1)
	c.bytes.Add(o.size)
	if !verified {
		c.unverified.Add(1)
	}
	return nil
}

// multipart streams a large object into a multipart upload: parts are read one after another from one GetObject
// body, each held in memory only until its UploadPart (with Content-MD5) returns, with PartsPerObject in flight.
// The read is checked against the source's ETag before the upload is completed; a failed check or error aborts it.
func (c *copier) multipart(ctx context.Context, o object, dk string, get *s3.GetObjectOutput) (err error) {
	created, err := c.dst.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(c.dst.Name), Key: aws.String(dk), Metadata: c.metadata(o, get),
		ContentType: get.ContentType, ContentEncoding: get.ContentEncoding, ContentDisposition: get.ContentDisposition,
		ContentLanguage: get.ContentLanguage, CacheControl: get.CacheControl, ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return fmt.Errorf("starting a multipart upload in destination bucket %q: %w", c.dst.Name, err)
	}
	uploadID := aws.ToString(created.UploadId)
	completed := false
	defer func() {
		if completed {
			return
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
		defer cancel()
		if aerr := abortUpload(actx, c.dst, dk, uploadID); aerr != nil && err == nil {
			err = aerr
		}
	}()
	whole := md5.New()
	parts, partMD5s, read, err := c.uploadParts(ctx, o, dk, uploadID, get.Body, whole)
	if err != nil {
		return err
	}
	reason, verified := checkRead(o.etag, o.size, read, whole.Sum(nil), partMD5s)
	if reason != "" {
		c.mismatch(o.key, reason+"; upload aborted")
		return nil
	}
	_, err = c.dst.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(c.dst.Name), Key: aws.String(dk), UploadId: aws.String(uploadID),
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return fmt.Errorf("completing the multipart upload in destination bucket %q: %w", c.dst.Name, err)
	}
	completed = true
	c.copied.Add(1)
	if !verified {
		c.unverified.Add(1)
	}
	return nil
}

// uploadParts reads body part by part into the upload and returns the completed parts, their MD5s and the bytes
// read; whole gets every byte read.
func (c *copier) uploadParts(ctx context.Context, o object, dk, uploadID string, body io.Reader, whole hash.Hash) (
	[]s3types.CompletedPart, [][]byte, int64, error) {
	partSize := c.o.partSize(o.size)
	count := int((o.size + partSize - 1) / partSize)
	parts := make([]s3types.CompletedPart, count)
	partMD5s := make([][]byte, count)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.o.PartsPerObject)
	var read int64
	var readErr error
	for i := range count {
		n := min(partSize, o.size-read)
		if readErr = c.mem.Acquire(gctx, n); readErr != nil {
			break
		}
		buf := make([]byte, n)
		if _, readErr = io.ReadFull(body, buf); readErr != nil {
			c.mem.Release(n)
			readErr = fmt.Errorf("reading part %d from source bucket %q: %w", i+1, c.src.Name, readErr)
			break
		}
		read += n
		whole.Write(buf)
		sum := md5.Sum(buf)
		partMD5s[i] = sum[:]
		g.Go(func() error {
			defer c.mem.Release(n)
			up, err := c.dst.Client.UploadPart(gctx, &s3.UploadPartInput{
				Bucket: aws.String(c.dst.Name), Key: aws.String(dk), UploadId: aws.String(uploadID),
				PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(buf), ContentLength: aws.Int64(n),
				ContentMD5: aws.String(base64.StdEncoding.EncodeToString(sum[:])), ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32})
			if err != nil {
				return fmt.Errorf("writing part %d to destination bucket %q: %w", i+1, c.dst.Name, err)
			}
			parts[i] = s3types.CompletedPart{ETag: up.ETag, PartNumber: aws.Int32(int32(i + 1)), ChecksumCRC32: up.ChecksumCRC32}
			c.bytes.Add(n)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, read, err
	}
	if readErr != nil {
		return nil, nil, read, readErr
	}
	return parts, partMD5s, read, nil
}

// metadata is the source object's user metadata plus the marker.
func (c *copier) metadata(o object, get *s3.GetObjectOutput) map[string]string {
	m := maps.Clone(get.Metadata)
	if m == nil {
		m = map[string]string{}
	}
	m[MarkerKey] = cmp.Or(o.etag, "none") // never empty, so the marker's presence shows
	return m
}

func (c *copier) skip(o object) {
	c.skipped.Add(1)
	c.skippedBytes.Add(o.size)
}
