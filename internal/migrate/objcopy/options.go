// Package objcopy copies the objects of Kubeflow's in-cluster object store (MinIO or SeaweedFS) into the
// installation's S3 bucket for `kfaws migrate`: keys, content type and user metadata kept, large objects in
// streamed multipart uploads, every copy checked against what was read, and a re-run skipping what an earlier run
// already copied. The source is only read. Every object written carries the marker MarkerKey, which is how a
// later run tells its own copies from objects someone else put in the bucket.
package objcopy

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// MarkerKey is the user-metadata key (x-amz-meta-kfaws-migrated-from) set on every object this package writes. Its
// value is the source object's ETag, so a later run skips the object while the source still has that ETag and
// size, and copies it again when the source changed.
const MarkerKey = "kfaws-migrated-from"

// Bucket is one side of the copy: a bucket and, optionally, the key prefix under which objects are read or written.
// A source key K is written to the destination as dst.Prefix + (K without src.Prefix).
type Bucket struct {
	Client *s3.Client
	Name   string
	Prefix string
}

// Options tune Copy; the zero value is usable.
type Options struct {
	// Parallel is how many objects are copied at once (default 16).
	Parallel int
	// PartSize is the size of one multipart part (default 16 MiB); it grows for objects that would need more than
	// 10,000 parts.
	PartSize int64
	// MultipartThreshold: objects larger than this use a multipart upload (default 64 MiB); smaller ones are read
	// into memory and written with one PutObject.
	MultipartThreshold int64
	// PartsPerObject is how many parts of one object are uploaded at once (default 4).
	PartsPerObject int
	// MemoryLimit bounds the bytes of object data held in memory at once (default Parallel × PartSize, at least
	// MultipartThreshold).
	MemoryLimit int64
	// Progress, when set, is called at most about once a second while copying and once at the end. It is called
	// from one goroutine at a time.
	Progress func(Progress)
}

// Progress is a snapshot of a running copy.
type Progress struct {
	// Objects is how many source objects are done (copied, skipped or mismatched), of TotalObjects.
	Objects, TotalObjects int64
	Copied, Skipped       int64
	// Bytes is what was uploaded so far; SkippedBytes what needed no copy; TotalBytes is the whole source.
	Bytes, SkippedBytes, TotalBytes int64
	// BytesPerSecond is Bytes over the time since the copy started.
	BytesPerSecond float64
	Elapsed        time.Duration
}

// Report is what Copy did.
type Report struct {
	// Objects is how many objects the source holds under its prefix.
	Objects int64 `json:"objects"`
	Copied  int64 `json:"copied"`
	Skipped int64 `json:"skipped"`
	// Bytes were uploaded; SkippedBytes are in objects that were already copied.
	Bytes        int64 `json:"bytes"`
	SkippedBytes int64 `json:"skippedBytes"`
	// AbortedUploads are multipart uploads left at source keys by an earlier, interrupted run, aborted before
	// copying.
	AbortedUploads int `json:"abortedUploads"`
	// Unverified are copied objects whose source ETag is not an MD5 of their content (written in parts of sizes
	// this copy did not reproduce): their read was checked by length, their upload by Content-MD5, not end to end.
	Unverified int64 `json:"unverified"`
	// Mismatches are objects not copied, or copied but not matching the source: each one must be looked at.
	Mismatches []Mismatch    `json:"mismatches"`
	Duration   time.Duration `json:"-"`
}

// Mismatch is an object whose copy could not be verified, or that the destination holds and this migration may not
// overwrite. Key is the source key.
type Mismatch struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

const (
	mib                       = 1 << 20
	defaultParallel           = 16
	defaultPartSize           = 16 * mib
	defaultMultipartThreshold = 64 * mib
	defaultPartsPerObject     = 4
	minPartSize               = 5 * mib // S3's minimum for every part but the last
	maxParts                  = 10000   // S3's maximum parts in one upload
)

func (o Options) withDefaults() Options {
	if o.Parallel <= 0 {
		o.Parallel = defaultParallel
	}
	if o.PartSize <= 0 {
		o.PartSize = defaultPartSize
	}
	o.PartSize = max(o.PartSize, minPartSize)
	if o.MultipartThreshold <= 0 {
		o.MultipartThreshold = defaultMultipartThreshold
	}
	if o.PartsPerObject <= 0 {
		o.PartsPerObject = defaultPartsPerObject
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = int64(o.Parallel) * o.PartSize
	}
	o.MemoryLimit = max(o.MemoryLimit, o.MultipartThreshold, o.PartSize)
	return o
}

// partSize is the part size for an object of size bytes: PartSize, or larger when that would need more than
// S3's 10,000 parts.
func (o Options) partSize(size int64) int64 {
	p := o.PartSize
	if need := (size + maxParts - 1) / maxParts; need > p {
		p = (need + mib - 1) / mib * mib
	}
	return p
}
