// Package eksaddon holds what kfaws knows of the EKS add-on that installs the Secrets Store CSI driver and its
// AWS provider: its name, and the configuration that turns on the secret syncing KFP's synced Secrets need. It is
// pure, so observe, plan and execute (the AWS side) and csidriver (the cluster side) share it.
package eksaddon

import (
	"encoding/json"
	"strings"
)

// Name is the add-on (aws-secrets-store-csi-driver-provider: the driver and the AWS provider together).
const Name = "aws-secrets-store-csi-driver-provider"

// syncKey is where the add-on's configuration values hold the driver subchart's settings.
const syncKey = "secrets-store-csi-driver"

// SyncEnabled reports whether an add-on configuration turns secret syncing on.
func SyncEnabled(config string) bool {
	var c map[string]struct {
		SyncSecret struct {
			Enabled bool `json:"enabled"`
		} `json:"syncSecret"`
	}
	if strings.TrimSpace(config) == "" || json.Unmarshal([]byte(config), &c) != nil {
		return false
	}
	return c[syncKey].SyncSecret.Enabled
}

// WithSync returns config with syncSecret.enabled=true added, keeping every other setting.
func WithSync(config string) string {
	m := map[string]any{}
	if strings.TrimSpace(config) != "" {
		_ = json.Unmarshal([]byte(config), &m)
	}
	driver, _ := m[syncKey].(map[string]any)
	if driver == nil {
		driver = map[string]any{}
	}
	driver["syncSecret"] = map[string]any{"enabled": true}
	m[syncKey] = driver
	b, _ := json.Marshal(m)
	return string(b)
}
