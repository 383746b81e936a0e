package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// awsTrap is an AWS endpoint the test owns: it counts the connections made to it and closes each at once. A
// test asserts that a refused command made no AWS call (zero connections); a command that does call fails
// fast, and its context is cancelled at the first connection so it does not sit in the SDK's retries.
type awsTrap struct {
	ln     net.Listener
	conns  atomic.Int32
	called chan struct{}
	once   sync.Once
	done   chan struct{}
}

func newAWSTrap(tb testing.TB) *awsTrap {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	a := &awsTrap{ln: ln, called: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			a.conns.Add(1)
			a.once.Do(func() { close(a.called) })
			conn.Close()
		}
	}()
	tb.Cleanup(a.close)
	return a
}

func (a *awsTrap) url() string { return "http://" + a.ln.Addr().String() }

func (a *awsTrap) close() {
	a.ln.Close()
	<-a.done
}

// isolateAWS leaves the trap at url as the only AWS endpoint: static fake credentials (no IMDS, SSO or profile
// lookups), no shared config files, no region and no kfaws secrets from the caller's environment.
func isolateAWS(tb testing.TB, url string) {
	tb.Helper()
	dir := tb.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            url,
		"AWS_ACCESS_KEY_ID":           "AKIAFAKEFAKEFAKEFAKE",
		"AWS_SECRET_ACCESS_KEY":       "fake",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"KUBECONFIG":                  filepath.Join(dir, "none"),
	} {
		tb.Setenv(k, v)
	}
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"KFAWS_DB_MASTER_PASSWORD", "KFAWS_S3_ACCESS_KEY_ID", "KFAWS_S3_SECRET_ACCESS_KEY"} {
		unsetenv(tb, k)
	}
}

// unsetenv unsets k for the test; Setenv first records the value to restore.
func unsetenv(tb testing.TB, k string) {
	tb.Setenv(k, "")
	os.Unsetenv(k)
}

// runTrapped runs the real root command with a context cancelled when trap sees a connection, and a bound.
func runTrapped(trap *awsTrap, args ...string) (string, string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		select {
		case <-trap.called:
			cancel()
		case <-ctx.Done():
		}
	}()
	var out, errb bytes.Buffer
	code := Main(ctx, Streams{In: strings.NewReader(""), Out: &out, Err: &errb}, args)
	return out.String(), errb.String(), code
}
