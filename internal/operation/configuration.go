// Package operation holds kfaws's operations (Plan, Up, Render, Apply, Remove, Verify) as structs with exported
// options and a Run method. The CLI binds flags to these fields; tests and other programs use them directly.
package operation

import (
	"context"
	"log/slog"
	"sync"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/state"
)

// Configuration is built once per invocation and shared by every operation: the configuration, its state file,
// the AWS clients and, on first use, the Kubernetes client.
type Configuration struct {
	Config *config.Config
	AWS    *kaws.Clients
	State  *state.Store
	Log    *slog.Logger
	// Kube is the Kubernetes client; when nil it is built from KubeOptions on first use.
	Kube *kube.Client
	// KubeOptions say which cluster to reach (kubeconfig, context).
	KubeOptions KubeOptions
	// DiscoverProfiles has plan, up and down read the cluster's profile namespaces, so that each one gets (or
	// loses) its S3 access; without it they work from iam.profileNamespace and the profiles the state records.
	DiscoverProfiles bool

	kubeOnce sync.Once
	kubeErr  error
}

// KubeOptions choose the cluster as kubectl does: --kubeconfig, $KUBECONFIG or ~/.kube/config, --context.
type KubeOptions = kube.Options

// Options are the invocation's settings that are not in the configuration file.
type Options struct {
	// Profile is the AWS shared config profile ("" for the default chain).
	Profile string
	Kube    KubeOptions
	Log     *slog.Logger
}

// NewConfiguration validates cfg, then opens its state file and builds AWS clients for opts.Profile. Validation
// comes first so a bad config is reported before any file or network access. Building clients calls nothing.
func NewConfiguration(ctx context.Context, cfg *config.Config, opts Options) (*Configuration, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return open(ctx, cfg, opts)
}

// OpenConfiguration is NewConfiguration for the commands that work from the cluster side and the state file
// (render, apply, remove): the configuration need not be complete, only what each operation uses is checked
// by the operation.
func OpenConfiguration(ctx context.Context, cfg *config.Config, opts Options) (*Configuration, error) {
	return open(ctx, cfg, opts)
}

func open(ctx context.Context, cfg *config.Config, opts Options) (*Configuration, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := state.Open(cfg.StatePath())
	if err != nil {
		return nil, badInput(err)
	}
	awsCfg, err := kaws.LoadConfig(ctx, opts.Profile, cfg.Region, log)
	if err != nil {
		return nil, err
	}
	return &Configuration{Config: cfg, AWS: kaws.NewClients(awsCfg), State: st, Log: log, KubeOptions: opts.Kube}, nil
}

// KubeClient returns the Kubernetes client, loading the kubeconfig on first use unless Kube is set.
func (c *Configuration) KubeClient() (*kube.Client, error) {
	c.kubeOnce.Do(func() {
		if c.Kube == nil {
			c.Kube, c.kubeErr = kube.Load(c.KubeOptions)
		}
	})
	return c.Kube, c.kubeErr
}

// logger returns the configured logger, or one that discards, so a Configuration built by hand needs none.
func (c *Configuration) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// RegionFromProfile returns the region the AWS SDK would use for profile, or "" when none is configured; the
// configuration loader uses it when no region is given.
func RegionFromProfile(ctx context.Context, profile string) string {
	return kaws.RegionFromProfile(ctx, profile)
}
