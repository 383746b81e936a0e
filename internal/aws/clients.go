// Package aws builds the AWS service clients kfaws uses, from the standard credential chain, an optional profile
// and region, and the SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> overrides. It is the edge where
// kfaws meets AWS: everything else receives these clients.
package aws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Clients are the service clients for one account and region.
type Clients struct {
	Region         string
	STS            *sts.Client
	EC2            *ec2.Client
	EKS            *eks.Client
	IAM            *iam.Client
	KMS            *kms.Client
	SecretsManager *secretsmanager.Client
	RDS            *rds.Client
	S3             *s3.Client
}

// maxAttempts is higher than the SDK's 3 because a full `up` makes a few hundred calls and a throttled control
// plane should slow kfaws down, not fail it.
const maxAttempts = 10

// LoadConfig resolves credentials and region the way the AWS CLI does. It makes no network call. The SDK's own
// log lines (checksum notes, retry warnings) go to log at debug level, never straight to stderr; nil discards them.
func LoadConfig(ctx context.Context, profile, region string, log *slog.Logger) (aws.Config, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = maxAttempts })
		}),
		awsconfig.WithLogger(sdkLogger{log}),
	}
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return cfg, nil
}

// RegionFromProfile returns the region the SDK would use for profile, or "" when none is configured.
func RegionFromProfile(ctx context.Context, profile string) string {
	cfg, err := LoadConfig(ctx, profile, "", nil)
	if err != nil {
		return ""
	}
	return cfg.Region
}

// NewClients builds every client from cfg. S3 uses path-style addressing only when an endpoint override is in
// force, because emulators and most S3-compatible endpoints cannot serve virtual-hosted buckets.
func NewClients(cfg aws.Config) *Clients {
	return &Clients{
		Region:         cfg.Region,
		STS:            sts.NewFromConfig(cfg),
		EC2:            ec2.NewFromConfig(cfg),
		EKS:            eks.NewFromConfig(cfg),
		IAM:            iam.NewFromConfig(cfg),
		KMS:            kms.NewFromConfig(cfg),
		SecretsManager: secretsmanager.NewFromConfig(cfg),
		RDS:            rds.NewFromConfig(cfg),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = o.BaseEndpoint != nil
		}),
	}
}

// CredentialsError is a call that failed because no usable credentials were found or AWS refused them: the
// user's environment is wrong, nothing was changed.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("%v; configure credentials with --profile, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "+
		"(aws sts get-caller-identity shows what the AWS CLI would use)", e.Err)
}
func (e *CredentialsError) Unwrap() error { return e.Err }

// NetworkError is a call that never reached AWS: the endpoint did not answer.
type NetworkError struct {
	Endpoint string
	Err      error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("cannot reach AWS at %s: %v; check the network, any proxy (HTTPS_PROXY) and AWS_ENDPOINT_URL", e.Endpoint, e.Err)
}
func (e *NetworkError) Unwrap() error { return e.Err }

// AccessError classifies the failure of a first call to AWS (what) as a network or a credentials problem; other
// errors are returned wrapped with what.
func AccessError(what string, err error) error {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var send *smithyhttp.RequestSendError
	if errors.As(err, &send) || errors.As(err, &opErr) || errors.As(err, &dnsErr) {
		endpoint := "its endpoint"
		var ue *url.Error
		if errors.As(err, &ue) {
			if u, perr := url.Parse(ue.URL); perr == nil {
				endpoint = u.Scheme + "://" + u.Host
			}
		}
		return &NetworkError{Endpoint: endpoint, Err: rootCause(err)}
	}
	switch ErrorCode(err) {
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "ExpiredToken",
		"ExpiredTokenException", "AccessDenied", "AccessDeniedException":
		return &CredentialsError{Err: fmt.Errorf("%s: %w", what, err)}
	}
	if strings.Contains(err.Error(), "get credentials") || strings.Contains(err.Error(), "failed to refresh cached credentials") ||
		strings.Contains(err.Error(), "no EC2 IMDS role found") {
		return &CredentialsError{Err: errors.New(what + ": no AWS credentials were found")}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// rootCause is the innermost error, for a message without the SDK's layers.
func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// sdkLogger hands the SDK's log lines to slog at debug level.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	l.log.Debug(fmt.Sprintf(format, v...), "source", "aws-sdk", "class", string(c))
}

// ErrorCode returns the AWS error code of err ("NoSuchBucket", "AccessDenied", ...) or "".
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
