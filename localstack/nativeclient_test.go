package localstack_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// nativeOnlyLogin performs a MySQL protocol login the way a client that only
// speaks mysql_native_password does (as KFP's MLMD server forces), and
// returns the plugin the server then asks for: "" when it accepted the login,
// else the plugin of its auth switch request.
func nativeOnlyLogin(t *testing.T, addr, user, password string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	greeting := readPacket(t, conn)
	salt := handshakeSalt(t, greeting)

	var resp bytes.Buffer
	const caps = 0x1 | 0x200 | 0x8000 | 0x80000 // long password, protocol 41, secure connection, plugin auth
	_ = binary.Write(&resp, binary.LittleEndian, uint32(caps))
	_ = binary.Write(&resp, binary.LittleEndian, uint32(1<<24))
	resp.WriteByte(45) // utf8mb4
	resp.Write(make([]byte, 23))
	resp.WriteString(user + "\x00")
	scramble := nativeScramble(salt, password)
	resp.WriteByte(byte(len(scramble)))
	resp.Write(scramble)
	resp.WriteString("mysql_native_password\x00")
	writePacket(t, conn, 1, resp.Bytes())

	reply := readPacket(t, conn)
	switch reply[0] {
	case 0x00:
		return ""
	case 0xfe:
		name, _, _ := bytes.Cut(reply[1:], []byte{0})
		return string(name)
	default:
		t.Fatalf("login as %q: server answered %x (%q)", user, reply[0], reply[1:])
		return ""
	}
}

func readPacket(t *testing.T, r io.Reader) []byte {
	t.Helper()
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
	if _, err := io.ReadFull(r, body); err != nil {
		t.Fatal(err)
	}
	return body
}

func writePacket(t *testing.T, w io.Writer, seq byte, body []byte) {
	t.Helper()
	n := len(body)
	if _, err := w.Write(append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, body...)); err != nil {
		t.Fatal(err)
	}
}

// handshakeSalt extracts the 20-byte scramble from a protocol-10 greeting.
func handshakeSalt(t *testing.T, g []byte) []byte {
	t.Helper()
	if g[0] != 10 {
		t.Fatalf("greeting protocol %d, want 10", g[0])
	}
	i := bytes.IndexByte(g[1:], 0) + 2 // past the server version
	part1 := g[i+4 : i+12]
	i += 12 + 1 + 2 + 1 + 2 + 2 + 1 + 10 // filler, caps, charset, status, caps, data len, reserved
	part2 := g[i : i+12]
	return append(append([]byte{}, part1...), part2...)
}

func nativeScramble(salt []byte, password string) []byte {
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	h3 := sha1.Sum(append(append([]byte{}, salt...), h2[:]...))
	out := make([]byte, len(h1))
	for i := range h1 {
		out[i] = h1[i] ^ h3[i]
	}
	return out
}
