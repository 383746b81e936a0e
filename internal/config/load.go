package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// Environment variables that carry secrets, so they never sit in a file that may be committed.
const (
	EnvS3AccessKeyID     = "KFAWS_S3_ACCESS_KEY_ID"
	EnvS3SecretAccessKey = "KFAWS_S3_SECRET_ACCESS_KEY"
	EnvDBMasterPassword  = "KFAWS_DB_MASTER_PASSWORD"
)

// DefaultStateDir holds state files when the config names none.
const DefaultStateDir = ".kfaws"

// Load reads a config file strictly: unknown fields, a second document, or a wrong apiVersion/kind are errors.
// It neither defaults nor validates, so flags can still override what the file says.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config %q: %w", path, err)
	}
	if c.StateFile != "" && !filepath.IsAbs(c.StateFile) {
		c.StateFile = filepath.Join(filepath.Dir(path), c.StateFile)
	}
	return c, nil
}

// Parse decodes one YAML or JSON document into a Config, rejecting unknown fields. It reads the document's
// apiVersion and kind first and decodes the rest with that version's decoder.
func Parse(data []byte) (*Config, error) {
	if bytes.Contains(data, []byte("\n---")) && len(bytes.TrimSpace(bytes.SplitN(data, []byte("\n---"), 2)[1])) > 0 {
		return nil, errors.New("holds more than one YAML document; kfaws reads one")
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, fmt.Errorf("not a kfaws config: %w", err)
	}
	decode, ok := decoders[tm.APIVersion]
	if !ok || tm.Kind != Kind {
		return nil, fmt.Errorf("apiVersion %q, kind %q is not a kfaws config; want apiVersion %s, kind %s",
			tm.APIVersion, tm.Kind, APIVersion, Kind)
	}
	return decode(js)
}

// decoders read each config format kfaws knows into the current Config. A new format adds its decoder here:
// it decodes its own type strictly and converts it, so files of every listed version keep loading.
var decoders = map[string]func(js []byte) (*Config, error){
	APIVersion: decodeStrict,
}

// decodeStrict decodes the current format, in which the file has Config's own shape.
func decodeStrict(js []byte) (*Config, error) {
	c := &Config{}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%w (see `kfaws init` for every field)", err)
	}
	return c, nil
}

// ApplyEnv copies the secrets kfaws accepts only from the environment into c, from lookup (os.LookupEnv).
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) {
	if v, ok := lookup(EnvS3AccessKeyID); ok {
		c.S3.AccessKeyID = v
	}
	if v, ok := lookup(EnvS3SecretAccessKey); ok {
		c.S3.SecretAccessKey = v
	}
	if v, ok := lookup(EnvDBMasterPassword); ok {
		c.RDS.MasterPassword = v
	}
}

// StatePath is where this installation's state file lives.
func (c *Config) StatePath() string {
	if c.StateFile != "" {
		return c.StateFile
	}
	return filepath.Join(DefaultStateDir, c.Name+".state.json")
}
