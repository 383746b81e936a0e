package objcopy

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// SourceEndpoint is an in-cluster object store's S3 API: MinIO's `minio-service:9000` or SeaweedFS's
// `seaweedfs:8333`, with the static keys of Secret `mlpipeline-minio-artifact`.
type SourceEndpoint struct {
	// URL is the endpoint, e.g. http://127.0.0.1:9000 through a port-forward.
	URL       string
	AccessKey string
	SecretKey string
	// Region defaults to us-east-1, which MinIO and SeaweedFS accept when none is configured.
	Region string
}

// NewSourceClient returns a client for an in-cluster object store. It uses path-style addressing (the store has
// no per-bucket host names) and only the given keys, never the environment's or a profile's. Checksums are sent
// and validated only where an operation requires them: newer SDKs otherwise add x-amz-checksum-* and
// x-amz-sdk-checksum-algorithm headers (and aws-chunked bodies) that a 2019 MinIO
// (RELEASE.2019-08-14T20-37-41Z, manifests@v1.10.2:applications/pipeline/upstream/third-party/minio/base) predates.
func NewSourceClient(e SourceEndpoint) (*s3.Client, error) {
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("object store endpoint %q: want http://HOST:PORT or https://HOST:PORT", e.URL)
	}
	if e.AccessKey == "" || e.SecretKey == "" {
		return nil, errors.New("object store endpoint " + e.URL + ": access key and secret key are both required")
	}
	region := e.Region
	if region == "" {
		region = "us-east-1"
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = 256 // one kept connection per object or part in flight
	})
	return s3.New(s3.Options{
		Region:                     region,
		BaseEndpoint:               aws.String(e.URL),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(e.AccessKey, e.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		HTTPClient:                 httpClient,
	}), nil
}
