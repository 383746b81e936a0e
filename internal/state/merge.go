package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"reflect"
)

// A store writes the whole state from memory. Two things keep that from dropping what someone else wrote:
//   - Lock reads the file again once the lock is held, so a store opened before another run finished starts
//     from what that run left, not from what it read at Open.
//   - Each write first checks whether the file is still the one this store last read or wrote (every write
//     makes a new file, so any other writer's makes a new one too). When it is not, which only a writer that
//     ignores the lock can cause, the write merges: per resource, per output and per identity field, what this
//     store changed since it last synced wins, everything else comes from the file.
//
// Within one run every step shares one store, whose mutex orders their changes in memory: each write holds all
// of them.

// Lock takes the state file's lock for command (e.g. "kfaws up"), reads the file again, and removes temporary
// files that runs killed while writing left behind. It returns a *LockedError when another run holds the lock.
func (s *Store) Lock(command string) (*Lock, error) {
	me := currentHolder(command)
	l, err := acquire(s.path, me)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.syncLocked(); err != nil {
		return nil, errors.Join(err, l.Release())
	}
	removeLeftovers(s.path, me.Since)
	return l, nil
}

// syncLocked merges the file into memory when it is not the one this store last read or wrote.
func (s *Store) syncLocked() error {
	s.baseLocked()
	if now, err := os.Stat(s.path); err == nil && s.seen != nil && os.SameFile(s.seen, now) {
		return nil
	}
	theirs, info, err := readState(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	s.st = merge(*s.base, s.st, theirs)
	s.seen = info
	b := s.st.clone()
	s.base = &b
	return nil
}

// baseLocked notes, before the first change, what the store holds as read at Open.
func (s *Store) baseLocked() {
	if s.base == nil {
		b := s.st.clone()
		s.base = &b
	}
}

// readState reads and decodes the state file as Open does, with the identity of the file it read.
func readState(path string) (State, os.FileInfo, error) {
	before, err := os.Stat(path)
	if err != nil {
		return State{}, nil, err
	}
	data, err := readStateFile(path)
	if err != nil {
		return State{}, nil, err
	}
	// A file renamed over this one while it was read is read again at the next write: say it was not seen.
	if after, err := os.Stat(path); err != nil || !os.SameFile(before, after) {
		before = nil
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, nil, fmt.Errorf("state file %q is corrupt (%w); restore it from a backup or move it aside", path, err)
	}
	if st.Version != Version {
		return State{}, nil, fmt.Errorf("state file %q has version %d; this kfaws reads version %d", path, st.Version, Version)
	}
	return st, before, nil
}

// merge is a three-way merge: what mine changed since base wins, the rest is theirs.
func merge(base, mine, theirs State) State {
	out := theirs.clone()
	out.Version = mine.Version
	for _, f := range []struct {
		base, mine string
		out        *string
	}{
		{base.Name, mine.Name, &out.Name}, {base.Region, mine.Region, &out.Region},
		{base.Cluster, mine.Cluster, &out.Cluster}, {base.Option, mine.Option, &out.Option},
	} {
		if f.mine != f.base {
			*f.out = f.mine
		}
	}
	keys := map[string]bool{}
	for k := range base.Resources {
		keys[k] = true
	}
	for k := range mine.Resources {
		keys[k] = true
	}
	for k := range keys {
		b, inBase := base.Resources[k]
		m, inMine := mine.Resources[k]
		switch {
		case inBase == inMine && (!inMine || sameResource(b, m)):
		case inMine:
			out.Resources[k] = m
		default:
			delete(out.Resources, k)
		}
	}
	bo, mo, oo := reflect.ValueOf(base.Outputs), reflect.ValueOf(mine.Outputs), reflect.ValueOf(&out.Outputs).Elem()
	for i := range mo.NumField() {
		if !reflect.DeepEqual(mo.Field(i).Interface(), bo.Field(i).Interface()) { // fields may be maps
			oo.Field(i).Set(mo.Field(i))
		}
	}
	out.Migration = mergeMigration(base.Migration, mine.Migration, theirs.Migration)
	return out
}

func sameResource(a, b Resource) bool {
	return a.Kind == b.Kind && a.ID == b.ID && a.ARN == b.ARN && a.Owned == b.Owned && a.Adopted == b.Adopted && a.UpdatedAt.Equal(b.UpdatedAt)
}

// clone is a deep copy.
func (st State) clone() State {
	c := st
	c.Resources = make(map[string]Resource, len(st.Resources))
	for k, v := range st.Resources {
		c.Resources[k] = v
	}
	c.Migration = st.Migration.clone()
	c.Outputs.ProfileRoleARNs = maps.Clone(st.Outputs.ProfileRoleARNs)
	return c
}
