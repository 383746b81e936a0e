package render

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kfaws/kfaws/internal/config"
)

// TestPodIdentityRefusedPerComponent: pod-identity with S3 roles is refused, before anything is written, on every
// release whose KFP has a component that cannot read Pod Identity credentials, naming each such component and
// why; KFP 2.16+ passes. Static keys for S3 need pod identity only for the secrets sync, so no KFP is refused.
func TestPodIdentityRefusedPerComponent(t *testing.T) {
	want := map[string][]string{
		"v1.7-aws": {"API server", "v2 launcher", "UI"}, // KFP 2.0.0-alpha.7
		"v1.8":     {"API server", "v2 launcher", "UI"}, // 2.0.5
		"v1.9":     {"API server", "v2 launcher", "UI"}, // 2.2.0
		"v1.9.1":   {"API server", "v2 launcher", "UI"}, // 2.3.0
		"v1.10":    {"API server"},                      // 2.5.0
		"v1.11":    {"API server"},                      // 2.15.0
		"26.03":    nil,
		"26.03.1":  nil,
	}
	for _, rel := range releases {
		l := detectTree(t, filepath.Join("testdata", "trees", rel))
		v := testValues(config.OptionRDSS3, config.CredentialsIRSA)
		v.Identity = config.IdentityPodIdentity
		_, err := limits(l, v)
		comps := want[rel]
		if len(comps) == 0 {
			if err != nil {
				t.Errorf("%s (KFP %s): %v", rel, l.KFPVersion, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s (KFP %s): pod-identity not refused", rel, l.KFPVersion)
			continue
		}
		msg := err.Error()
		for _, c := range []string{"API server", "v2 launcher", "UI"} {
			named := strings.Contains(msg, "its "+c+":")
			if named != contains(comps, c) {
				t.Errorf("%s: component %s named=%t in %q", rel, c, named, msg)
			}
		}
		if !strings.Contains(msg, "--identity irsa") || !strings.Contains(msg, "Pod Identity") {
			t.Errorf("%s: the refusal gives no way out: %q", rel, msg)
		}
		if rel == "v1.11" && !strings.Contains(msg, "kubeflow/pipelines#12508") {
			t.Errorf("v1.11: the reason is the API server's refusal of empty keys: %q", msg)
		}

		v.Credentials = config.CredentialsStatic
		if _, err := limits(l, v); err != nil {
			t.Errorf("%s static keys with pod-identity for the secrets sync: %v", rel, err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
