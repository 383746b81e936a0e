package dbcopy

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// writeSession prepares a destination connection for bulk inserts: bytes as sent, UTC, explicit zero ids kept,
// strict so nothing is silently truncated, and no foreign key or unique checks (the rows come from a consistent
// source and tables load in parallel, children before parents).
var writeSession = append(append([]string{}, readSession...),
	"SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
	"SET SESSION foreign_key_checks = 0",
	"SET SESSION unique_checks = 0",
)

var plainName = regexp.MustCompile(`^[A-Za-z0-9_$]{1,64}$`)

// runner copies (or only verifies) the units of every table.
type runner struct {
	dst        *sql.DB
	opts       Options
	verifyOnly bool
	batchBytes int

	mu     sync.Mutex // guards states and the callbacks
	states map[*table]*tableState
}

// tableState adds up a table's units.
type tableState struct {
	pending         int
	rows, destRows  int64
	rewritten       int64
	src, dst        checksum
	start           time.Time
	result          TableResult
	estRows, copied int64
}

func run(ctx context.Context, dst *sql.DB, dbs []Database, opts Options, verifyOnly bool) (Report, error) {
	start := time.Now()
	opts.defaults()
	if err := validate(dbs, opts.Rewrites); err != nil {
		return Report{}, err
	}
	var sources []*database
	for _, d := range dbs {
		db, err := inspect(ctx, d, opts.Rewrites)
		if err != nil {
			return Report{}, err
		}
		for _, t := range db.tables {
			t.resumed = opts.Done(db.To, t.name)
		}
		sources = append(sources, db)
	}
	if !verifyOnly {
		if err := CheckDestination(ctx, dst, dbs, opts.Done); err != nil {
			return Report{}, err
		}
		if err := createAll(ctx, dst, sources); err != nil {
			return Report{}, err
		}
	}
	r := &runner{dst: dst, opts: opts, verifyOnly: verifyOnly, states: map[*table]*tableState{}}
	var err error
	if r.batchBytes, err = batchBytes(ctx, dst, opts.BatchBytes); err != nil {
		return Report{}, err
	}
	units := split(sources, opts.Parallel)
	for _, u := range units {
		st := r.states[u.t]
		if st == nil {
			st = &tableState{estRows: u.t.estRows}
			r.states[u.t] = st
		}
		st.pending++
	}
	shared, err := r.copyUnits(ctx, sources, units)
	rep := r.report(sources, shared, start)
	if err != nil {
		return rep, err
	}
	if !verifyOnly && len(rep.Mismatches()) == 0 {
		for _, db := range sources {
			if err := dropMarker(ctx, dst, db.To); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

func validate(dbs []Database, rewrites []Rewrite) error {
	to, from := map[string]bool{}, map[string]bool{}
	for _, d := range dbs {
		switch {
		case d.Source == nil:
			return fmt.Errorf("database %s: no source connection", d.From)
		case !plainName.MatchString(d.From) || !plainName.MatchString(d.To):
			return fmt.Errorf("database %s -> %s: names must be letters, digits, _ or $", d.From, d.To)
		case to[d.To]:
			return fmt.Errorf("two databases are copied into destination database %s", d.To)
		}
		to[d.To], from[d.From] = true, true
	}
	for _, r := range rewrites {
		if !from[r.Database] {
			return fmt.Errorf("rewrite of %s.%s.%s: database %s is not being copied", r.Database, r.Table, r.Column, r.Database)
		}
	}
	return nil
}

func createAll(ctx context.Context, dst *sql.DB, sources []*database) error {
	conn, err := dst.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connecting to the destination: %w", err)
	}
	defer discard(conn)
	for _, db := range sources {
		if err := createSchema(ctx, conn, db); err != nil {
			return err
		}
	}
	return nil
}

// batchBytes bounds an INSERT by the option and half the destination's max_allowed_packet.
func batchBytes(ctx context.Context, dst *sql.DB, want int) (int, error) {
	var packet int
	if err := dst.QueryRowContext(ctx, "SELECT @@max_allowed_packet").Scan(&packet); err != nil {
		return 0, fmt.Errorf("reading the destination's max_allowed_packet: %w", err)
	}
	return min(want, packet/2), nil
}

// copyUnits runs the units on opts.Parallel workers, each with its own destination connection and a snapshot
// connection of the unit's source. It reports which sources had a shared snapshot.
func (r *runner) copyUnits(ctx context.Context, sources []*database, units []unit) (map[*sql.DB]bool, error) {
	need := map[*sql.DB]int{}
	for _, u := range units {
		need[u.t.db.Source]++
	}
	snaps := map[*sql.DB]*snapshot{}
	shared := map[*sql.DB]bool{}
	defer func() {
		for _, s := range snaps {
			s.close()
		}
	}()
	for _, db := range sources {
		if snaps[db.Source] != nil || need[db.Source] == 0 {
			continue
		}
		s, err := openSnapshot(ctx, db.Source, min(r.opts.Parallel, need[db.Source]))
		if err != nil {
			return shared, fmt.Errorf("opening a consistent snapshot of the source of database %s: %w", db.From, err)
		}
		snaps[db.Source], shared[db.Source] = s, s.shared
	}
	queue := make(chan unit, len(units))
	for _, u := range units {
		queue <- u
	}
	close(queue)
	g, gctx := errgroup.WithContext(ctx)
	for range min(r.opts.Parallel, len(units)) {
		g.Go(func() error {
			dc, err := r.dst.Conn(gctx)
			if err != nil {
				return fmt.Errorf("connecting to the destination: %w", err)
			}
			defer discard(dc)
			for _, q := range writeSession {
				if _, err := dc.ExecContext(gctx, q); err != nil {
					return fmt.Errorf("destination session: %s: %w", q, err)
				}
			}
			for u := range queue {
				snap := snaps[u.t.db.Source]
				var sc *sql.Conn
				select {
				case sc = <-snap.conns:
				case <-gctx.Done():
					return gctx.Err()
				}
				st, err := r.unit(gctx, u, sc, dc)
				snap.conns <- sc
				if err != nil {
					return fmt.Errorf("%s: %w", u.t, err)
				}
				r.finish(u.t, st)
			}
			return nil
		})
	}
	return shared, g.Wait()
}

// finish adds a unit's figures to its table and, after the table's last unit, settles the table's result.
func (r *runner) finish(t *table, u unitStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.states[t]
	if st.start.IsZero() || u.start.Before(st.start) {
		st.start = u.start
	}
	st.rows += u.rows
	st.destRows += u.destRows
	st.rewritten += u.rewritten
	st.src.add(u.src)
	st.dst.add(u.dst)
	st.pending--
	if st.pending > 0 {
		return
	}
	st.result = TableResult{
		Database: t.db.To, From: t.db.From, Table: t.name,
		Rows: st.rows, DestRows: st.destRows, SourceChecksum: st.src.String(), DestChecksum: st.dst.String(),
		Match: st.rows == st.destRows && st.src == st.dst, Resumed: t.resumed, Rewritten: st.rewritten,
		Took: time.Since(st.start),
	}
	if st.result.Match && !t.resumed && r.opts.OnTable != nil {
		r.opts.OnTable(st.result)
	}
}

// progress reports rows written to a table; calls never overlap.
func (r *runner) progress(t *table, rows int64) {
	if r.opts.Progress == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.states[t]
	st.copied += rows
	total := max(st.estRows, st.copied)
	r.opts.Progress(t.db.To, t.name, st.copied, total)
}

func (r *runner) report(sources []*database, shared map[*sql.DB]bool, start time.Time) Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rep Report
	for _, db := range sources {
		dr := DatabaseReport{From: db.From, To: db.To, SharedSnapshot: shared[db.Source]}
		for _, t := range db.tables {
			if st := r.states[t]; st != nil && st.pending == 0 {
				dr.Tables = append(dr.Tables, st.result)
				dr.Rows += st.result.Rows
			}
		}
		sort.Slice(dr.Tables, func(i, j int) bool { return dr.Tables[i].Table < dr.Tables[j].Table })
		rep.Databases = append(rep.Databases, dr)
		rep.Tables += len(dr.Tables)
		rep.Rows += dr.Rows
	}
	rep.Took = time.Since(start)
	return rep
}

// discard closes a connection whose session settings (charset, sql_mode, checks, default database) must not reach
// the caller's pool.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}
