package dbcopy

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/go-sql-driver/mysql"
	"golang.org/x/sync/errgroup"
)

// execRetrying runs an INSERT, again after a deadlock or lock wait timeout: ranges of one table inserted at once
// can deadlock on a secondary unique index's gap locks, and InnoDB rolls the whole statement back, so repeating it
// is safe.
func execRetrying(ctx context.Context, conn *sql.Conn, stmt string) error {
	for attempt := 1; ; attempt++ {
		_, err := conn.ExecContext(ctx, stmt)
		var me *mysql.MySQLError
		if err == nil || attempt == 10 || !errors.As(err, &me) || (me.Number != 1213 && me.Number != 1205) {
			return err
		}
		select {
		case <-time.After(time.Duration(attempt*attempt) * 20 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tooLarge tells a statement over max_allowed_packet (the server's 1153 or the driver's own check).
func tooLarge(err error) bool {
	var me *mysql.MySQLError
	return errors.Is(err, mysql.ErrPktTooLarge) || (errors.As(err, &me) && me.Number == 1153)
}

// unitStats are what one unit read, wrote and found.
type unitStats struct {
	start                     time.Time
	rows, destRows, rewritten int64
	src, dst                  checksum
}

// unit copies a key range (unless its table is resumed) and computes its checksum on both sides. The source's is
// computed while copying, over the rewritten values; the destination's by reading the range back once written.
func (r *runner) unit(ctx context.Context, u unit, src, dst *sql.Conn) (unitStats, error) {
	st := unitStats{start: time.Now()}
	var err error
	if u.t.resumed {
		st.rows, st.rewritten, st.src, err = r.read(ctx, u, src, u.t.db.From, true, nil)
	} else {
		err = r.copyRange(ctx, u, src, dst, &st)
	}
	if err != nil {
		return st, err
	}
	st.destRows, _, st.dst, err = r.read(ctx, u, dst, u.t.db.To, false, nil)
	if err != nil {
		return st, fmt.Errorf("reading the copy in destination database %s: %w", u.t.db.To, err)
	}
	return st, nil
}

// read reads a range and sums its checksum, with the rewrites applied when rewrite is set; each row is also passed
// to row, if given, with the values as they are to be written.
func (r *runner) read(ctx context.Context, u unit, conn *sql.Conn, db string, rewrite bool,
	row func(vals [][]byte, ok []bool) error) (n, rewritten int64, sum checksum, err error) {
	cols := u.t.columns
	vals, ok := make([][]byte, len(cols)), make([]bool, len(cols))
	var h hasher
	var scratch []byte
	err = scanRows(ctx, conn, selectRows(u.t, db, u), func(raw []driver.Value) error {
		scratch = scratch[:0]
		for i := range cols {
			scratch, vals[i], ok[i] = appendText(scratch, raw[i])
			if rewrite && ok[i] {
				var changed bool
				if vals[i], changed = rewriteValue(&cols[i], vals[i]); changed {
					rewritten++
				}
			}
			h.value(&cols[i], raw[i], vals[i], ok[i])
		}
		sum.add(h.row())
		n++
		if row != nil {
			return row(vals, ok)
		}
		return nil
	})
	return n, rewritten, sum, err
}

// copyRange reads the range from the snapshot and writes it in multi-row INSERTs; encoding the next statement
// overlaps with the destination executing the previous one.
func (r *runner) copyRange(ctx context.Context, u unit, src, dst *sql.Conn, st *unitStats) error {
	type batch struct {
		sql  []byte
		rows int64
	}
	prefix := insertPrefix(u.t, u.t.db.To)
	batches := make(chan batch, 2)
	free := make(chan []byte, 3)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		buf := append(make([]byte, 0, r.batchBytes+r.batchBytes/4), prefix...)
		var rows int64
		send := func() error {
			select {
			case batches <- batch{buf, rows}:
			case <-gctx.Done():
				return gctx.Err()
			}
			select {
			case buf = <-free:
			default:
				buf = make([]byte, 0, r.batchBytes+r.batchBytes/4)
			}
			buf, rows = append(buf[:0], prefix...), 0
			return nil
		}
		var err error
		st.rows, st.rewritten, st.src, err = r.read(gctx, u, src, u.t.db.From, true, func(vals [][]byte, ok []bool) error {
			mark := len(buf)
			if rows > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, '(')
			for i := range vals {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendValue(buf, &u.t.columns[i], vals[i], ok[i])
			}
			buf = append(buf, ')')
			rows++
			switch {
			case len(buf) > r.batchBytes && rows > 1:
				// This row goes into the next statement; a row larger than a batch goes alone.
				row := append([]byte(nil), buf[mark+1:]...)
				buf, rows = buf[:mark], rows-1
				if err := send(); err != nil {
					return err
				}
				buf, rows = append(buf, row...), 1
			case rows >= int64(r.opts.BatchRows) || len(buf) > r.batchBytes:
				return send()
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading source database %s: %w", u.t.db.From, err)
		}
		if rows > 0 {
			return send()
		}
		return nil
	})
	g.Go(func() error {
		for b := range batches {
			// The statement is sent from the batch's own buffer, which is not reused before the call returns: a
			// copy into a string would cost as much as escaping the values did.
			if err := execRetrying(gctx, dst, unsafe.String(unsafe.SliceData(b.sql), len(b.sql))); err != nil {
				hint := ""
				if tooLarge(err) {
					hint = "; raise the destination's max_allowed_packet above the largest row"
				}
				return fmt.Errorf("writing to destination database %s (a statement of %d bytes, %d rows%s): %w",
					u.t.db.To, len(b.sql), b.rows, hint, err)
			}
			r.progress(u.t, b.rows)
			select {
			case free <- b.sql:
			default:
			}
		}
		return nil
	})
	return g.Wait()
}
