// Package state records what kfaws created for one installation, so a later run can resume, render and tear down.
//
// The file is rewritten atomically after every step, by one run at a time: a run that changes it holds its lock
// (lock.go). It holds names, ARNs and endpoints, never a secret value.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Version is the state file format version.
const Version = 1

// State is the content of a state file.
type State struct {
	Version int    `json:"version"`
	Name    string `json:"name"`
	Region  string `json:"region"`
	Cluster string `json:"cluster"`
	Option  string `json:"option"`
	// Resources are keyed by a stable id such as "s3/bucket" or "rds/instance".
	Resources map[string]Resource `json:"resources"`
	// Outputs are the values later commands (render, verify, down) need.
	Outputs Outputs `json:"outputs"`
	// Migration is kfaws migrate's record, from its start; nil when no migration ran.
	Migration *Migration `json:"migration,omitempty"`
}

// Resource is one AWS resource kfaws created (Owned), adopted (Adopted), or found and reused.
type Resource struct {
	Kind string `json:"kind"`
	// ID is the resource's name or id; ARN is set where AWS has one.
	ID  string `json:"id"`
	ARN string `json:"arn,omitempty"`
	// Owned is true when kfaws created the resource; only owned resources are ever deleted.
	Owned bool `json:"owned"`
	// Adopted is true for a resource another tool created (the awslabs setup script) that kfaws adopt recorded
	// as this installation's to use: used as is, never changed, and deleted only by kfaws down --delete-adopted.
	// It is never Owned.
	Adopted   bool      `json:"adopted,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Outputs are what the cluster side needs to know about the AWS side.
type Outputs struct {
	Bucket         string `json:"bucket,omitempty"`
	S3Credentials  string `json:"s3Credentials,omitempty"`
	S3SecretName   string `json:"s3SecretName,omitempty"`
	DBHost         string `json:"dbHost,omitempty"`
	DBPort         int32  `json:"dbPort,omitempty"`
	DBName         string `json:"dbName,omitempty"`
	RDSSecretName  string `json:"rdsSecretName,omitempty"`
	BackendRoleARN string `json:"backendRoleArn,omitempty"`
	ProfileRoleARN string `json:"profileRoleArn,omitempty"`
	SecretsRoleARN string `json:"secretsRoleArn,omitempty"`
	// ProfileRoleARNs maps every profile namespace up gave S3 access to the role its default-editor assumes:
	// a role of its own under IRSA, the one profile role under Pod Identity.
	ProfileRoleARNs map[string]string `json:"profileRoleArns,omitempty"`
	OIDCProvider    string            `json:"oidcProviderArn,omitempty"`
	// FinalSnapshot names the DB snapshot kfaws down had RDS take of the instance it deleted; recorded before the
	// delete call so a resumed teardown asks for the same one.
	FinalSnapshot string `json:"finalSnapshot,omitempty"`
	// RestoringFrom names the DB snapshot up restored the instance from, from before the restore call until the
	// instance's master password (the snapshot's) has been set to the RDS secret's; while it is set, up sets it.
	RestoringFrom string `json:"restoringFrom,omitempty"`
	// UpgradeSnapshot names the DB snapshot apply took before the last change of KFP version; recorded before
	// the call so an apply interrupted while waiting for it waits for the same one when run again.
	UpgradeSnapshot string `json:"upgradeSnapshot,omitempty"`
}

// Store reads and writes one state file. Its methods are safe for concurrent use by parallel steps. A run that
// changes the state takes its lock first (Lock).
type Store struct {
	path string
	mu   sync.Mutex
	st   State
	// base is the state as this store last read or wrote it, seen the identity of that file; writes merge
	// against them (merge.go).
	base *State
	seen os.FileInfo
}

// Open reads the state file at path, or starts an empty state when it does not exist.
func Open(path string) (*Store, error) {
	s := &Store{path: path, st: State{Version: Version, Resources: map[string]Resource{}}}
	data, err := readStateFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &s.st); err != nil {
		return nil, fmt.Errorf("state file %q is corrupt (%w); restore it from a backup or move it aside", path, err)
	}
	if s.st.Version != Version {
		return nil, fmt.Errorf("state file %q has version %d; this kfaws reads version %d", path, s.st.Version, Version)
	}
	if s.st.Resources == nil {
		s.st.Resources = map[string]Resource{}
	}
	return s, nil
}

// maxStateSize bounds the state file: kfaws writes a few KiB (names, ARNs, endpoints), so a larger file is not
// one of its states, and reading it whole could exhaust memory.
const maxStateSize = 4 << 20

// readStateFile reads path only if it is a regular file within maxStateSize. It looks before it opens, because
// opening a FIFO blocks until a writer comes and reading a device such as /dev/zero never ends.
func readStateFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("state file %q is %s, not a regular file; give --state (or stateFile) the path of a file", path, fileKind(info.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	if len(data) > maxStateSize {
		return nil, fmt.Errorf("state file %q is larger than %d MiB, far more than kfaws writes; give --state (or stateFile) the path of a kfaws state file", path, maxStateSize>>20)
	}
	return data, nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// Path is the file this store writes.
func (s *Store) Path() string { return s.path }

// Snapshot returns a deep copy of the current state.
func (s *Store) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st
	c.Resources = make(map[string]Resource, len(s.st.Resources))
	for k, v := range s.st.Resources {
		c.Resources[k] = v
	}
	c.Migration = s.st.Migration.clone()
	c.Outputs.ProfileRoleARNs = maps.Clone(s.st.Outputs.ProfileRoleARNs)
	return c
}

// Update applies fn to the state and writes the file atomically before returning.
func (s *Store) Update(fn func(*State)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseLocked()
	fn(&s.st)
	return s.writeLocked()
}

// SetResource records one resource and writes the file.
func (s *Store) SetResource(key string, r Resource) error {
	r.UpdatedAt = time.Now().UTC().Truncate(time.Second)
	return s.Update(func(st *State) { st.Resources[key] = r })
}

// RemoveResource forgets one resource and writes the file.
func (s *Store) RemoveResource(key string) error {
	return s.Update(func(st *State) { delete(st.Resources, key) })
}

// Keys lists the recorded resource keys in sorted order.
func (st State) Keys() []string {
	keys := make([]string, 0, len(st.Resources))
	for k := range st.Resources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writeLocked writes to a temporary file in the same directory, syncs it and renames it over the old one, so a
// run killed at any moment leaves either the old or the new file, never a torn one. It first merges what another
// writer may have put in the file since this store last read or wrote it.
func (s *Store) writeLocked() error {
	// A file that can no longer be read (replaced by a damaged one) is overwritten, as before there was merging:
	// what this run knows is worth more than what nobody can read.
	_ = s.syncLocked()
	data, err := json.MarshalIndent(s.st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("creating state directory: %w", err)
	}
	f, err := os.CreateTemp(dir, tempPattern(s.path))
	if err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("writing state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing state: %w", err)
	}
	info, err := f.Stat() // the renamed file keeps its identity: the next write knows it as its own
	if err != nil {
		f.Close()
		return fmt.Errorf("writing state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	b := s.st.clone()
	s.base, s.seen = &b, info
	return nil
}
