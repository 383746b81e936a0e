// Package kube builds Kubernetes clients the way kubectl does: from a
// kubeconfig (the --kubeconfig flag, else $KUBECONFIG, else ~/.kube/config)
// and an optional --context, and bundles the dynamic client, discovery and a
// REST mapper that relearns the API when a CRD has just been added.
package kube

import (
	"fmt"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// Options names the cluster to talk to, as kubectl's flags do.
type Options struct {
	// Kubeconfig is an explicit kubeconfig path; empty means $KUBECONFIG or
	// ~/.kube/config.
	Kubeconfig string
	// Context picks a kubeconfig context; empty means the current one.
	Context string
}

// RESTConfig loads the client configuration for opts.
func RESTConfig(opts Options) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = opts.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.Context}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		where := "the default kubeconfig ($KUBECONFIG or ~/.kube/config)"
		if opts.Kubeconfig != "" {
			where = fmt.Sprintf("kubeconfig %q", opts.Kubeconfig)
		}
		if opts.Context != "" {
			return nil, fmt.Errorf("loading context %q from %s: %w", opts.Context, where, err)
		}
		return nil, fmt.Errorf("loading %s: %w (set --kubeconfig or --context, or run \"aws eks update-kubeconfig\")", where, err)
	}
	return cfg, nil
}

// Client is what the apply package needs from a cluster.
type Client struct {
	Config    *rest.Config
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	Mapper    *restmapper.DeferredDiscoveryRESTMapper
}

// New builds a Client from a REST config. Request rates are raised above
// client-go's defaults (5 QPS) because an install sends hundreds of applies;
// the API server's own priority and fairness still protects it.
func New(cfg *rest.Config) (*Client, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.WarningHandler == nil {
		// Deprecation warnings about kinds in upstream manifests are not
		// something a kfaws user can act on; errors still carry the server's
		// reasons.
		cfg.WarningHandler = rest.NoWarnings{}
	}
	if cfg.QPS == 0 {
		cfg.QPS = 100
	}
	if cfg.Burst == 0 {
		cfg.Burst = 200
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating dynamic client for %q: %w", cfg.Host, err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating discovery client for %q: %w", cfg.Host, err)
	}
	cached := memory.NewMemCacheClient(disc)
	return &Client{
		Config:    cfg,
		Dynamic:   dyn,
		Discovery: disc,
		Mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
	}, nil
}

// Load is RESTConfig followed by New.
func Load(opts Options) (*Client, error) {
	cfg, err := RESTConfig(opts)
	if err != nil {
		return nil, err
	}
	return New(cfg)
}
