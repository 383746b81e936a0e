// Package operation holds kfaws's operations (Plan, Up, ...) as structs with exported options and a Run method.
// The CLI binds flags to these fields; tests and other programs use them directly.
package operation

import (
	"context"
	"log/slog"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/state"
)

// Configuration is built once per invocation and shared by every operation.
type Configuration struct {
	Config *config.Config
	AWS    *kaws.Clients
	State  *state.Store
	Log    *slog.Logger
}

// NewConfiguration validates cfg, then opens its state file and builds AWS clients for profile. Validation comes
// first so a bad config is reported before any file or network access.
func NewConfiguration(ctx context.Context, cfg *config.Config, profile string, log *slog.Logger) (*Configuration, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := state.Open(cfg.StatePath())
	if err != nil {
		return nil, err
	}
	awsCfg, err := kaws.LoadConfig(ctx, profile, cfg.Region)
	if err != nil {
		return nil, err
	}
	return &Configuration{Config: cfg, AWS: kaws.NewClients(awsCfg), State: st, Log: log}, nil
}

// logger returns the configured logger, or one that discards, so a Configuration built by hand needs none.
func (c *Configuration) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}
