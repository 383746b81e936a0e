package dbcopy

import (
	"fmt"
	"sort"
)

// unitRows is roughly how many rows one unit of work reads: large tables with an integer primary key are split
// into key ranges of about this size, copied by several connections at once.
var unitRows int64 = 50_000

// unit is a key range of a table (the whole table when lo and hi are nil): [lo, hi).
type unit struct {
	t      *table
	lo, hi *int64
	est    int64
}

func (u unit) where() string {
	if u.lo == nil && u.hi == nil {
		return ""
	}
	pk := quote(u.t.pk[0])
	switch {
	case u.lo == nil:
		return fmt.Sprintf(" WHERE %s < %d", pk, *u.hi)
	case u.hi == nil:
		return fmt.Sprintf(" WHERE %s >= %d", pk, *u.lo)
	}
	return fmt.Sprintf(" WHERE %s >= %d AND %s < %d", pk, *u.lo, pk, *u.hi)
}

// split cuts every table into units, the largest first so that the big tables start early. The first and last
// ranges are open, so together the ranges cover every key whatever the snapshot holds.
func split(dbs []*database, parallel int) []unit {
	var out []unit
	for _, db := range dbs {
		for _, t := range db.tables {
			out = append(out, splitTable(t, parallel)...)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].est > out[j].est })
	return out
}

func splitTable(t *table, parallel int) []unit {
	whole := []unit{{t: t, est: t.estRows}}
	if !t.intPK || !t.hasRows {
		return whole
	}
	span := uint64(t.max - t.min) // the key range, which bounds the rows too
	if t.max < t.min || span >= 1<<62 {
		return whole
	}
	est := t.estRows
	if est <= 0 || uint64(est) > span+1 {
		est = int64(span + 1)
	}
	n := est / unitRows
	if limit := int64(parallel * 8); n > limit {
		n = limit
	}
	if n < 2 {
		return whole
	}
	step := int64(span)/n + 1
	var units []unit
	var lo *int64
	for i := int64(1); i < n; i++ {
		b := t.min + i*step
		if b > t.max {
			break
		}
		hi := b
		units = append(units, unit{t: t, lo: lo, hi: &hi, est: est / n})
		lo = &hi
	}
	return append(units, unit{t: t, lo: lo, est: est / n})
}
