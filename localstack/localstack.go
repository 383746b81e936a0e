// Package localstack runs the local AWS stack that kfaws is tested and
// demonstrated against: moto in server mode for the AWS control plane, a
// throwaway MariaDB server standing in for RDS for MySQL, and the proxy in
// localstack/proxy, which adds what moto lacks (RDS data plane, creation
// delay, fault injection). Everything listens on 127.0.0.1 only and lives in
// temp dirs removed by Close. Product code under internal/ never imports
// this package; it reaches the stack through AWS_ENDPOINT_URL like real AWS.
package localstack

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kfaws/kfaws/localstack/proxy"
)

// Test credentials: moto accepts any; these are the values moto's docs use.
const (
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
	DefaultRegion   = "us-east-1"
)

// Options configures Start.
type Options struct {
	// RDSDelay is the emulated creation delay of RDS instances (0: available at once).
	RDSDelay time.Duration
	// EKSDelay is how long EKS add-ons stay CREATING, UPDATING or DELETING
	// (0: proxy.DefaultEKSDelay).
	EKSDelay time.Duration
	// Region is what AWSEnv exports; DefaultRegion when empty.
	Region string
	// Now is the clock of the emulated RDS and EKS delays; nil means
	// time.Now. Tests set it to step through the states without waiting.
	Now func() time.Time
	// Logger receives the proxy's data-plane and fault lines; nil discards.
	Logger *slog.Logger
}

// Stack is a running local stack. Close stops it.
type Stack struct {
	// Endpoint is the proxy's URL, for AWS_ENDPOINT_URL.
	Endpoint string
	// MySQLAddr is host:port of the MariaDB server that RDS endpoints point to.
	MySQLAddr string
	// MotoURL is moto's own URL, bypassing the proxy (for debugging).
	MotoURL string
	// Dir holds the logs and data of the stack's servers until Close.
	Dir string

	region string
	proxy  *proxy.Proxy
	server *http.Server
	admin  *sql.DB
	moto   *process
	maria  *mariaDB
}

// Start starts moto, MariaDB and the proxy, each on a free port, and waits
// until all answer. On error nothing is left running.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	dir, err := makeDir()
	if err != nil {
		return nil, err
	}
	s := &Stack{Dir: dir, region: opts.Region}
	if s.region == "" {
		s.region = DefaultRegion
	}
	if err := s.start(ctx, opts); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context, opts Options) error {
	var err error
	if s.moto, s.MotoURL, err = startMoto(ctx, s.Dir); err != nil {
		return err
	}
	if s.maria, err = startMariaDB(ctx, filepath.Join(s.Dir, "mariadb")); err != nil {
		return err
	}
	s.MySQLAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.maria.port))
	if s.admin, err = s.maria.root(); err != nil {
		return err
	}
	return s.startProxy(opts)
}

func (s *Stack) startProxy(opts Options) error {
	upstream, err := url.Parse(s.MotoURL)
	if err != nil {
		return fmt.Errorf("parsing moto url %q: %w", s.MotoURL, err)
	}
	s.proxy = proxy.New(proxy.Options{
		Upstream: upstream, MySQLAdmin: s.admin, MySQLHost: "127.0.0.1", MySQLPort: s.maria.port,
		RDSDelay: opts.RDSDelay, EKSDelay: opts.EKSDelay, Now: opts.Now, Logger: opts.Logger,
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for the proxy: %w", err)
	}
	s.Endpoint = "http://" + l.Addr().String()
	s.server = &http.Server{Handler: s.proxy, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = s.server.Serve(l) }()
	return nil
}

// Close stops the proxy, moto and MariaDB and removes their temp dirs.
func (s *Stack) Close() {
	if s.server != nil {
		_ = s.server.Close()
	}
	if s.admin != nil {
		_ = s.admin.Close()
	}
	if s.maria != nil {
		s.maria.stop()
	}
	if s.moto != nil {
		s.moto.stop()
	}
	_ = os.RemoveAll(s.Dir)
}

// Region is the region AWSEnv exports.
func (s *Stack) Region() string { return s.region }

// AWSEnv returns the environment that points the AWS SDKs and CLIs at the stack.
func (s *Stack) AWSEnv() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.Endpoint,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_REGION=" + s.region,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// AWSConfig returns an SDK config for the stack in region (the stack's
// region when empty). It ignores shared config files and the environment's
// credentials, so a developer's real profile is never used. S3 clients use
// path-style addressing by themselves, because the endpoint is an IP address.
func (s *Stack) AWSConfig(ctx context.Context, region string) (aws.Config, error) {
	if region == "" {
		region = s.region
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		config.WithBaseEndpoint(s.Endpoint),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithEC2IMDSClientEnableState(0),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading aws config for the local stack: %w", err)
	}
	return cfg, nil
}

// SetRDSDelay sets the creation delay of RDS instances created from now on.
func (s *Stack) SetRDSDelay(d time.Duration) { s.proxy.SetRDSDelay(d) }

// SetEKSDelay sets how long EKS add-ons changed from now on stay CREATING,
// UPDATING or DELETING.
func (s *Stack) SetEKSDelay(d time.Duration) { s.proxy.SetEKSDelay(d) }

// SetEKSAddonCatalog replaces the add-ons and versions the emulated EKS
// offers (proxy.BuiltinAddonCatalog is the default), e.g. to offer an add-on
// for the Kubernetes version of a test's kube-apiserver.
func (s *Stack) SetEKSAddonCatalog(c []proxy.AddonInfo) error { return s.proxy.SetEKSAddonCatalog(c) }

// InjectFault makes the next count requests of operation ("service:Action",
// e.g. "s3:PutBucketEncryption"; "rds:*" for all) fail with kind, or, for
// proxy.FaultLatency, wait latency first.
func (s *Stack) InjectFault(operation string, kind proxy.FaultKind, count int, latency time.Duration) error {
	return s.proxy.InjectFault(proxy.Fault{Operation: operation, Kind: kind, Count: count, Latency: latency})
}

// AddFault adds any fault rule, including what InjectFault has no parameter for (proxy.FaultPartialDelete's Keys).
func (s *Stack) AddFault(f proxy.Fault) error { return s.proxy.InjectFault(f) }

// RecordCalls starts recording the requests of operations ("service:Action" or "service:*") afresh; with none it
// stops. Calls lists what was recorded, in arrival order.
func (s *Stack) RecordCalls(operations ...string) error { return s.proxy.RecordCalls(operations...) }

// Calls lists the requests recorded since RecordCalls.
func (s *Stack) Calls() []proxy.Call { return s.proxy.Calls() }

// ClearFaults removes every injected fault.
func (s *Stack) ClearFaults() { s.proxy.ClearFaults() }

// Faults lists the injected faults that have requests left.
func (s *Stack) Faults() []proxy.Fault { return s.proxy.Faults() }

// MySQLRoot opens a root connection to the MariaDB server; the caller closes it.
func (s *Stack) MySQLRoot(ctx context.Context) (*sql.DB, error) {
	db, err := s.maria.root()
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connecting to mariadb as root: %w", err), db.Close())
	}
	return db, nil
}
