package dbcopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// selectRows is the query reading a range of a table's rows from database db, in the form the copy and the
// checksum need: temporal values as text (whatever the connection's parseTime), floats as doubles (FLOAT's own text
// keeps only 6 digits).
func selectRows(t *table, db string, u unit) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range t.columns {
		if i > 0 {
			b.WriteByte(',')
		}
		switch c.kind {
		case kindTemporal:
			b.WriteString("CAST(" + quote(c.name) + " AS CHAR)")
		case kindFloat:
			b.WriteString("(" + quote(c.name) + " + 0e0)")
		default:
			b.WriteString(quote(c.name))
		}
	}
	b.WriteString(" FROM " + quoteName(db, t.name))
	b.WriteString(u.where())
	return b.String()
}

// scanRows runs query on conn through the driver, so values arrive as the server's bytes (nil for NULL), and calls
// fn for each row. The values are valid only during fn.
func scanRows(ctx context.Context, conn *sql.Conn, query string, fn func([]driver.Value) error) error {
	return conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("the MySQL driver cannot run queries directly")
		}
		rows, err := q.QueryContext(ctx, query, nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		vals := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(vals); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
			if err := fn(vals); err != nil {
				return err
			}
		}
	})
}

// appendText appends a value as the text protocol carried it (the driver parses integers and doubles; printing them
// back gives the same text for integers and the same double for floats) and returns the value's bytes within scratch.
// scratch is reused row after row, so that reading a value allocates nothing.
func appendText(scratch []byte, v driver.Value) (out, val []byte, ok bool) {
	start := len(scratch)
	switch x := v.(type) {
	case nil:
		return scratch, nil, false
	case []byte:
		return scratch, x, true
	case int64:
		scratch = strconv.AppendInt(scratch, x, 10)
	case uint64:
		scratch = strconv.AppendUint(scratch, x, 10)
	case float64:
		scratch = strconv.AppendFloat(scratch, x, 'g', -1, 64)
	case string:
		scratch = append(scratch, x...)
	default:
		scratch = fmt.Append(scratch, v)
	}
	return scratch, scratch[start:], true
}

// rewriteValue applies a column's rewrite; it reports whether the value changed.
func rewriteValue(c *column, v []byte) ([]byte, bool) {
	if c.rewrite == nil || !bytes.HasPrefix(v, []byte(c.rewrite.From)) {
		return v, false
	}
	out := make([]byte, 0, len(v)-len(c.rewrite.From)+len(c.rewrite.To))
	out = append(append(out, c.rewrite.To...), v[len(c.rewrite.From):]...)
	return out, true
}

// checksum is an order-independent digest of a table: the sum, modulo 2^128, of the first 16 bytes of each row's
// SHA-256 over a canonical encoding of its values. Order-independent, so a table read in key ranges by several
// connections (or one without a primary key) sums to the same value however it was read.
type checksum struct{ hi, lo uint64 }

func (c *checksum) add(o checksum) {
	var carry uint64
	c.lo, carry = bits.Add64(c.lo, o.lo, 0)
	c.hi, _ = bits.Add64(c.hi, o.hi, carry)
}

func (c checksum) String() string { return fmt.Sprintf("%016x%016x", c.hi, c.lo) }

// hasher computes row digests, reusing its buffer.
type hasher struct{ buf []byte }

// value appends one value's canonical encoding: NULL, bytes with their length, or a float's IEEE bits (servers
// print the same double differently). raw is the driver's value: a float column's arrives parsed already.
func (h *hasher) value(c *column, raw driver.Value, v []byte, ok bool) {
	switch {
	case !ok:
		h.buf = append(h.buf, 0)
	case c.kind == kindFloat:
		f, isFloat := raw.(float64)
		if !isFloat {
			var err error
			if f, err = strconv.ParseFloat(string(v), 64); err != nil {
				h.bytes(v)
				return
			}
		}
		h.buf = append(h.buf, 2)
		h.buf = binary.BigEndian.AppendUint64(h.buf, math.Float64bits(f))
	default:
		h.bytes(v)
	}
}

func (h *hasher) bytes(v []byte) {
	h.buf = append(h.buf, 1)
	h.buf = binary.AppendUvarint(h.buf, uint64(len(v)))
	h.buf = append(h.buf, v...)
}

func (h *hasher) row() checksum {
	sum := sha256.Sum256(h.buf)
	h.buf = h.buf[:0]
	return checksum{hi: binary.BigEndian.Uint64(sum[0:8]), lo: binary.BigEndian.Uint64(sum[8:16])}
}

// insertPrefix is the start of a multi-row INSERT into table t of database db.
func insertPrefix(t *table, db string) []byte {
	var b strings.Builder
	b.WriteString("INSERT INTO " + quoteName(db, t.name) + " (")
	for i, c := range t.columns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(c.name))
	}
	b.WriteString(") VALUES ")
	return []byte(b.String())
}

// appendValue appends one value as a literal for an INSERT sent over a binary-charset connection.
func appendValue(buf []byte, c *column, v []byte, ok bool) []byte {
	switch {
	case !ok:
		return append(buf, "NULL"...)
	case c.kind == kindNumber || c.kind == kindFloat:
		return append(buf, v...)
	case c.kind == kindBits:
		buf = append(buf, "X'"...)
		buf = hex.AppendEncode(buf, v)
		return append(buf, '\'')
	case c.kind == kindJSON:
		buf = append(buf, "_utf8mb4"...)
	}
	buf = append(buf, '\'')
	buf = appendEscaped(buf, v)
	return append(buf, '\'')
}

// appendEscaped escapes a string literal's bytes as mysql_real_escape_string does; the destination session's
// sql_mode leaves out NO_BACKSLASH_ESCAPES.
func appendEscaped(buf, v []byte) []byte {
	start := 0
	for i, ch := range v {
		esc := escapes[ch]
		if esc == 0 {
			continue
		}
		buf = append(buf, v[start:i]...)
		buf = append(buf, '\\', esc)
		start = i + 1
	}
	return append(buf, v[start:]...)
}

// escapes maps each byte that a string literal escapes to the letter after the backslash (0: copied as is); a
// table, because this loop runs over every byte copied.
var escapes = [256]byte{0: '0', '\n': 'n', '\r': 'r', '\\': '\\', '\'': '\'', '"': '"', 0x1a: 'Z'}
