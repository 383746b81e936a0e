package objcopy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// ForeignObjectsError is CheckDestination's refusal: the destination holds objects no migration wrote.
type ForeignObjectsError struct {
	Bucket, Prefix string
	// Keys are the first few such keys, sorted; Count is how many there are.
	Keys  []string
	Count int
}

func (e *ForeignObjectsError) Error() string {
	where := fmt.Sprintf("bucket %q", e.Bucket)
	if e.Prefix != "" {
		where += fmt.Sprintf(" under prefix %q", e.Prefix)
	}
	others := ""
	if e.Count > 1 {
		others = fmt.Sprintf(" (and %d others)", e.Count-1)
	}
	return fmt.Sprintf("destination %s holds %q%s, which no migration wrote (no x-amz-meta-%s): nothing was copied; "+
		"a migration writes only into an empty destination or one holding its own earlier copies, so move or "+
		"delete those objects, or migrate into another bucket", where, e.Keys[0], others, MarkerKey)
}

// maxForeignKeys is how many foreign keys a ForeignObjectsError names.
const maxForeignKeys = 10

// CheckDestination fails, before anything is written, when dst under its prefix holds an object without the
// marker this package sets on every copy. An empty destination, or one holding only an earlier (possibly
// interrupted) migration's copies, passes.
func CheckDestination(ctx context.Context, dst Bucket) error {
	var keys []string
	if err := list(ctx, dst, func(o object) { keys = append(keys, o.key) }); err != nil {
		return err
	}
	var mu sync.Mutex
	var foreign []string
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(defaultParallel)
	for _, k := range keys {
		g.Go(func() error {
			h, err := head(gctx, dst, k)
			if err != nil {
				return err
			}
			if h == nil { // deleted since the listing
				return nil
			}
			if _, ours := h.Metadata[MarkerKey]; !ours {
				mu.Lock()
				foreign = append(foreign, k)
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if len(foreign) == 0 {
		return nil
	}
	slices.Sort(foreign)
	return &ForeignObjectsError{Bucket: dst.Name, Prefix: dst.Prefix, Keys: foreign[:min(len(foreign), maxForeignKeys)], Count: len(foreign)}
}

// head is HeadObject, nil when the object does not exist.
func head(ctx context.Context, b Bucket, key string) (*s3.HeadObjectOutput, error) {
	h, err := b.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
	var nf *s3types.NotFound
	var nsk *s3types.NoSuchKey
	if errors.As(err, &nf) || errors.As(err, &nsk) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading object %q in bucket %q: %w", key, b.Name, err)
	}
	return h, nil
}
