package eksaddon

import "testing"

func TestSync(t *testing.T) {
	for _, c := range []struct {
		config string
		on     bool
	}{
		{"", false}, {"{}", false}, {"not json", false},
		{`{"secrets-store-csi-driver":{"syncSecret":{"enabled":false}}}`, false},
		{`{"secrets-store-csi-driver":{"syncSecret":{"enabled":true}}}`, true},
	} {
		if got := SyncEnabled(c.config); got != c.on {
			t.Errorf("SyncEnabled(%q) = %v", c.config, got)
		}
		if !SyncEnabled(WithSync(c.config)) {
			t.Errorf("WithSync(%q) does not turn syncing on", c.config)
		}
	}
	if got := WithSync(`{"secrets-store-csi-driver":{"tokenRequests":[{"audience":"x"}]},"other":1}`); got !=
		`{"other":1,"secrets-store-csi-driver":{"syncSecret":{"enabled":true},"tokenRequests":[{"audience":"x"}]}}` {
		t.Errorf("WithSync drops the user's settings: %s", got)
	}
}
