// Package aws builds the AWS service clients kfaws uses, from the standard credential chain, an optional profile
// and region, and the SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> overrides. It is the edge where
// kfaws meets AWS: everything else receives these clients.
package aws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// Clients are the service clients for one account and region.
type Clients struct {
	Region         string
	STS            *sts.Client
	EC2            *ec2.Client
	EKS            *eks.Client
	IAM            *iam.Client
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
		SecretsManager: secretsmanager.NewFromConfig(cfg),
		RDS:            rds.NewFromConfig(cfg),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = o.BaseEndpoint != nil
		}),
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
