package dbcopy

import (
	"bytes"
	"math"
	"strconv"
	"testing"
)

// Every byte is escaped as mysql_real_escape_string escapes it, and only those it escapes.
func TestAppendEscapedEveryByte(t *testing.T) {
	want := map[byte]string{0: `\0`, '\n': `\n`, '\r': `\r`, '\\': `\\`, '\'': `\'`, '"': `\"`, 0x1a: `\Z`}
	for b := range 256 {
		in := []byte{'a', byte(b), 'z'}
		w, ok := want[byte(b)]
		if !ok {
			w = string([]byte{byte(b)})
		}
		if got := appendEscaped([]byte("x"), in); string(got) != "xa"+w+"z" {
			t.Errorf("byte %#x: %q, want %q", b, got, "xa"+w+"z")
		}
	}
}

// The driver's parsed integers and doubles print back as the server's text (integers) or the same double, and a
// float column hashes the same whether its value arrives parsed or as text.
func TestAppendTextAndFloatHash(t *testing.T) {
	scratch := []byte("prefix")
	var val []byte
	for _, c := range []struct {
		v    any
		want string
	}{{int64(-42), "-42"}, {uint64(math.MaxUint64), "18446744073709551615"}, {[]byte("abc"), "abc"}, {0.1, "0.1"}, {1e-300, "1e-300"}} {
		var ok bool
		scratch, val, ok = appendText(scratch, c.v)
		if !ok || string(val) != c.want {
			t.Errorf("appendText(%v) = %q, %v", c.v, val, ok)
		}
	}
	if !bytes.HasPrefix(scratch, []byte("prefix")) {
		t.Errorf("scratch lost its start: %q", scratch)
	}
	col := &column{kind: kindFloat}
	for _, f := range []float64{0.30000000000000004, -1.5e+300, 3.4028234663852886e+38, 0} {
		var parsed, text hasher
		parsed.value(col, f, nil, true)
		text.value(col, []byte(strconv.FormatFloat(f, 'e', 20, 64)), []byte(strconv.FormatFloat(f, 'e', 20, 64)), true)
		if parsed.row() != text.row() {
			t.Errorf("%v hashes differently parsed and as text", f)
		}
	}
}
