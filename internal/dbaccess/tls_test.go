package dbaccess_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kfaws/kfaws/internal/dbaccess"
)

const rdsHost = "kfdb.abcdefghij.us-west-2.rds.amazonaws.com"

// tlsMariaDB runs a MariaDB that offers TLS with a certificate for rdsHost signed by a fresh CA, as RDS does
// with its own CA. It returns the address and the CA bundle's path.
func tlsMariaDB(t *testing.T) (string, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	installDB, err1 := exec.LookPath("mariadb-install-db")
	mariadbd, err2 := exec.LookPath("mariadbd")
	if err2 != nil {
		mariadbd, err2 = exec.LookPath("/usr/sbin/mariadbd")
	}
	if err1 != nil || err2 != nil {
		t.Fatal("MariaDB is not installed: run hack/deps.sh (Debian mariadb-server)")
	}
	dir := t.TempDir()
	caFile := writeCerts(t, dir)
	data := filepath.Join(dir, "data")
	base := []string{"--no-defaults", "--datadir=" + data, "--skip-log-bin", "--innodb-buffer-pool-size=16M"}
	if os.Geteuid() == 0 {
		base = append(base, "--user=root")
	}
	if out, err := exec.Command(installDB, append(base, "--skip-test-db", "--auth-root-authentication-method=normal")...).CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// skip-grant-tables: the test is about the transport, any account logs in.
	cmd := exec.Command(mariadbd, append(base, "--port="+strconv.Itoa(port), "--bind-address=127.0.0.1",
		"--socket="+filepath.Join(dir, "s.sock"), "--skip-grant-tables",
		"--ssl-cert="+filepath.Join(dir, "server.pem"), "--ssl-key="+filepath.Join(dir, "server.key"))...)
	logf, _ := os.Create(filepath.Join(dir, "mariadb.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, caFile
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("mariadbd did not listen on %s:\n%s", addr, log)
		}
	}
}

// writeCerts writes ca.pem, server.pem and server.key into dir and returns ca.pem's path.
func writeCerts(t *testing.T, dir string) string {
	t.Helper()
	caKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test RDS root CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	srv := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: rdsHost}, DNSNames: []string{rdsHost},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ca.pem", "CERTIFICATE", caDER)
	write("server.pem", "CERTIFICATE", srvDER)
	write("server.key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(srvKey))
	return filepath.Join(dir, "ca.pem")
}

// Through a tunnel address, TLS is verified for the RDS host name with the CA bundle; without the bundle, or
// for another name, the connection is refused with a CertificateError, never downgraded.
func TestTLSVerifiedForRDSHostThroughTunnel(t *testing.T) {
	addr, caFile := tlsMariaDB(t)
	ctx := context.Background()
	target := dbaccess.Target{Host: rdsHost, Port: 3306, User: "root"}

	c, err := dbaccess.Open(ctx, target, dbaccess.Options{Address: addr, CAFile: caFile})
	if err != nil {
		t.Fatalf("open with the CA bundle: %v", err)
	}
	defer c.Close()
	if c.Path != dbaccess.PathAddress || !c.TLS.Used() || !strings.Contains(c.TLS.Describe(), "verified for \""+rdsHost+"\"") {
		t.Errorf("path %s, TLS %q", c.Path, c.TLS.Describe())
	}
	var cipher, ignored string
	if err := c.DB.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&ignored, &cipher); err != nil || cipher == "" {
		t.Errorf("the server sees no TLS session: %q %v", cipher, err)
	}

	for name, tc := range map[string]struct {
		target dbaccess.Target
		ca     string
	}{
		"system roots": {target, ""},
		"other name":   {dbaccess.Target{Host: "other.example.com", Port: 3306, User: "root"}, caFile},
	} {
		_, err := dbaccess.Open(ctx, tc.target, dbaccess.Options{Address: addr, CAFile: tc.ca})
		var ce *dbaccess.CertificateError
		if !errors.As(err, &ce) {
			t.Errorf("%s: got %v, want a CertificateError", name, err)
		}
	}
}

func TestCAFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.pem")
	_ = os.WriteFile(bad, []byte("not a certificate"), 0o600)
	for _, f := range []string{filepath.Join(dir, "missing.pem"), bad} {
		_, err := dbaccess.Open(context.Background(), dbaccess.Target{Host: "h", Port: 1}, dbaccess.Options{CAFile: f})
		if err == nil || !strings.Contains(err.Error(), "--db-ca-file") {
			t.Errorf("%s: got %v", f, err)
		}
	}
}
