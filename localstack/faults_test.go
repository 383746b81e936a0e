package localstack_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/kfaws/kfaws/localstack"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// faultCase is one operation per AWS protocol, called through the real SDK.
type faultCase struct {
	operation string
	throttle  string // the error code the protocol's throttling fault must carry
	call      func(ctx context.Context, cfg aws.Config) error
}

func faultCases(bucket string) []faultCase {
	return []faultCase{
		{"rds:DescribeDBInstances", "Throttling", func(ctx context.Context, cfg aws.Config) error {
			_, err := rds.NewFromConfig(cfg).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
			return err
		}},
		{"iam:ListRoles", "Throttling", func(ctx context.Context, cfg aws.Config) error {
			_, err := iam.NewFromConfig(cfg).ListRoles(ctx, &iam.ListRolesInput{})
			return err
		}},
		{"sts:GetCallerIdentity", "Throttling", func(ctx context.Context, cfg aws.Config) error {
			_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}},
		{"ec2:DescribeVpcs", "RequestLimitExceeded", func(ctx context.Context, cfg aws.Config) error {
			_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
			return err
		}},
		{"secretsmanager:GetRandomPassword", "ThrottlingException", func(ctx context.Context, cfg aws.Config) error {
			_, err := secretsmanager.NewFromConfig(cfg).GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{})
			return err
		}},
		{"eks:ListClusters", "ThrottlingException", func(ctx context.Context, cfg aws.Config) error {
			_, err := eks.NewFromConfig(cfg).ListClusters(ctx, &eks.ListClustersInput{})
			return err
		}},
		{"eks:DescribeAddonVersions", "ThrottlingException", func(ctx context.Context, cfg aws.Config) error { // answered by the proxy, not moto
			_, err := eks.NewFromConfig(cfg).DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{})
			return err
		}},
		{"s3:PutBucketEncryption", "SlowDown", func(ctx context.Context, cfg aws.Config) error {
			_, err := s3.NewFromConfig(cfg).PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
				Bucket: aws.String(bucket),
				ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
					ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256},
				}}}})
			return err
		}},
		{"s3:PutPublicAccessBlock", "SlowDown", func(ctx context.Context, cfg aws.Config) error {
			_, err := s3.NewFromConfig(cfg).PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
				Bucket: aws.String(bucket), PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true)}})
			return err
		}},
	}
}

func createBucket(t *testing.T, cfg aws.Config, name string) {
	t.Helper()
	if _, err := s3.NewFromConfig(cfg).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("creating bucket %q: %v", name, err)
	}
}

// TestFaultsHaveRetryableShapes calls each operation with retries off and
// checks that the SDK parses the injected error as the protocol's own code
// (or status) and that the SDK's default retryables classify it as retryable.
func TestFaultsHaveRetryableShapes(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	cfg, err := s.AWSConfig(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	createBucket(t, cfg, "fault-shapes")
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	retryable := retry.IsErrorRetryables(retry.DefaultRetryables)
	for _, tc := range faultCases("fault-shapes") {
		for _, kind := range []proxy.FaultKind{proxy.FaultThrottle, proxy.Fault500, proxy.Fault503} {
			if err := s.InjectFault(tc.operation, kind, 1, 0); err != nil {
				t.Fatal(err)
			}
			err := tc.call(ctx, cfg)
			if err == nil {
				t.Errorf("%s %s: call succeeded, want the injected error", tc.operation, kind)
				continue
			}
			var apiErr smithy.APIError
			if kind == proxy.FaultThrottle && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.throttle) {
				t.Errorf("%s throttle: error %v, want code %q", tc.operation, err, tc.throttle)
			}
			if got := retryable.IsErrorRetryable(err); got != aws.TrueTernary {
				t.Errorf("%s %s: SDK classifies %v as retryable=%v, want true", tc.operation, kind, err, got)
			}
			if err := tc.call(ctx, cfg); err != nil {
				t.Errorf("%s %s: call after the fault was used up: %v", tc.operation, kind, err)
			}
		}
	}
}

// TestFaultsAreRetriedBySDK injects two failures per operation, within the
// standard retryer's three attempts, and expects every call to succeed.
func TestFaultsAreRetriedBySDK(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	cfg, err := s.AWSConfig(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	createBucket(t, cfg, "fault-retries")
	for _, tc := range faultCases("fault-retries") {
		t.Run(tc.operation, func(t *testing.T) {
			t.Parallel()
			if err := s.InjectFault(tc.operation, proxy.FaultThrottle, 1, 0); err != nil {
				t.Fatal(err)
			}
			if err := s.InjectFault(tc.operation, proxy.Fault503, 1, 0); err != nil {
				t.Fatal(err)
			}
			if err := tc.call(ctx, cfg); err != nil {
				t.Errorf("call with a throttle and a 503 injected: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		if left := s.Faults(); len(left) != 0 {
			t.Errorf("faults not used up by retries: %v", left)
		}
	})
}

func TestLatencyFault(t *testing.T) {
	s := localstack.Shared(t)
	ctx := context.Background()
	cfg, err := s.AWSConfig(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	const latency = 500 * time.Millisecond
	if err := s.InjectFault("sts:GetCallerIdentity", proxy.FaultLatency, 1, latency); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("call with latency injected: %v", err)
	}
	if took := time.Since(start); took < latency {
		t.Errorf("call took %s, want at least the injected %s", took, latency)
	}
	if left := s.Faults(); len(left) != 0 {
		t.Errorf("latency fault not used: %v", left)
	}
}

// TestLostResponse: moto creates the instance, the SDK sees a 500, retries,
// and gets the typed already-exists error a real lost response causes.
func TestLostResponse(t *testing.T) {
	s := localstack.Shared(t)
	c := rdsClient(t, s)
	if err := s.InjectFault("rds:CreateDBInstance", proxy.FaultLostResponse, 1, 0); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateDBInstance(context.Background(), &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("lost"), DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("mysql"),
		EngineVersion: aws.String("8.4.7"), AllocatedStorage: aws.Int32(20),
		MasterUsername: aws.String("lostuser"), MasterUserPassword: aws.String("lost-pass"), DBName: aws.String("lost")})
	var exists *rdstypes.DBInstanceAlreadyExistsFault
	if !errors.As(err, &exists) {
		t.Fatalf("CreateDBInstance after a lost response: %v, want DBInstanceAlreadyExistsFault", err)
	}
	defer deleteInstance(t, c, "lost")
	if _, err := connect(t, describe(t, c, "lost"), "lostuser", "lost-pass", "lost"); err != nil {
		t.Errorf("instance created by the lost request has no working master user: %v", err)
	}
}
