package operation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/observe"
)

// profilesTimeout bounds the one list call: a plan must not hang on a cluster it cannot reach.
const profilesTimeout = 20 * time.Second

// profiles reads the cluster's profile namespaces, the namespaces labelled for KFP (kubeflow.ProfileLabel, which
// the pipelines profile controller decorates), when DiscoverProfiles is set. Without a kubeconfig at all the
// machine is not set up for the cluster and nothing is said; any other failure is returned as the reason.
func (c *Configuration) profiles(ctx context.Context) observe.Profiles {
	if !c.DiscoverProfiles {
		return observe.Profiles{}
	}
	k, err := c.KubeClient()
	switch {
	case err != nil && c.KubeOptions == (KubeOptions{}) && noKubeconfig(err):
		return observe.Profiles{}
	case err != nil:
		return observe.Profiles{Why: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, profilesTimeout)
	defer cancel()
	list, err := k.Dynamic.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).
		List(ctx, metav1.ListOptions{LabelSelector: kubeflow.ProfileLabel + "=true"})
	if err != nil {
		return observe.Profiles{Why: fmt.Sprintf("listing namespaces labelled %s=true on %s: %v", kubeflow.ProfileLabel, k.Config.Host, err)}
	}
	p := observe.Profiles{Discovered: true, Host: k.Config.Host}
	for _, ns := range list.Items {
		if ns.GetDeletionTimestamp() == nil {
			p.Namespaces = append(p.Namespaces, ns.GetName())
		}
	}
	slices.Sort(p.Namespaces)
	return p
}

// noKubeconfig reports whether err, or one it wraps, says that no kubeconfig exists.
func noKubeconfig(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if clientcmd.IsEmptyConfig(err) {
			return true
		}
	}
	return false
}
