package dbaccess

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
)

// TLSState records what TLS the server negotiated, filled in by the handshake.
type TLSState struct {
	mu       sync.Mutex
	used     bool
	version  uint16
	verified string
}

// Used reports whether the connection is encrypted; false means the server offered no TLS and the driver fell
// back to plaintext.
func (s *TLSState) Used() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// Describe says in a few words what was negotiated.
func (s *TLSState) Describe() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.used {
		return "no TLS: the server did not offer it, so the connection is plaintext"
	}
	return fmt.Sprintf("%s, certificate verified for %q", tls.VersionName(s.version), s.verified)
}

// tlsConfig is the client TLS configuration and where its roots came from, for error messages.
type tlsConfig struct {
	config *tls.Config
	caFile string
}

// newTLS verifies the server certificate against serverName (the RDS host, whatever address is dialled) with
// the roots in caFile, or the system roots when caFile is empty. Verification is never skipped: a server that
// offers TLS must present a certificate kfaws can check.
func newTLS(serverName, caFile string) (*tlsConfig, *TLSState, error) {
	st := &TLSState{}
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, nil, fmt.Errorf("reading --db-ca-file %q: %w", caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("--db-ca-file %q holds no PEM certificate; use the RDS bundle (global-bundle.pem)", caFile)
		}
		cfg.RootCAs = pool
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		// Runs after the standard verification succeeded, so reaching it means the chain and name are good.
		st.mu.Lock()
		st.used, st.version, st.verified = true, cs.Version, serverName
		st.mu.Unlock()
		return nil
	}
	return &tlsConfig{config: cfg, caFile: caFile}, st, nil
}

// CertificateError is a server certificate kfaws could not verify.
type CertificateError struct {
	Addr   string
	CAFile string
	Err    error
}

func (e *CertificateError) Error() string {
	roots := "the system roots"
	if e.CAFile != "" {
		roots = fmt.Sprintf("%q", e.CAFile)
	}
	return fmt.Sprintf("the database at %q offered TLS with a certificate not trusted by %s: %v", e.Addr, roots, e.Err)
}

func (e *CertificateError) Unwrap() error { return e.Err }

// explain turns certificate failures into a CertificateError and wraps the rest with the address.
func (c *tlsConfig) explain(err error, addr string) error {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	var tv *tls.CertificateVerificationError
	if errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || errors.As(err, &tv) {
		return &CertificateError{Addr: addr, CAFile: c.caFile, Err: err}
	}
	return fmt.Errorf("connecting to the database at %q: %w", addr, err)
}
