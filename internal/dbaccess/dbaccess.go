// Package dbaccess opens a MySQL connection to an installation's database from wherever kfaws runs. RDS sits in
// private subnets, so there are three paths, tried in this order: an address the user gives (a tunnel they
// already have), the endpoint itself when a TCP dial reaches it, and a short-lived relay pod in the cluster
// reached through a Kubernetes port-forward. Whatever the path, TLS is negotiated with the RDS host name, so the
// certificate is checked against the endpoint and not the tunnel.
package dbaccess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Target is the database and the account to use, as the RDS secret holds them.
type Target struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
}

// Addr is host:port.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// Cluster is what the relay path needs from Kubernetes.
type Cluster struct {
	Config    *rest.Config
	Clientset kubernetes.Interface
}

// Options choose the path. The zero value tries only the direct path.
type Options struct {
	// Address is HOST:PORT of a tunnel to the endpoint (--db-address); when set no other path is tried.
	Address string
	// CAFile is a PEM bundle that signs the server certificate (for RDS, the RDS CA bundle); empty means the
	// system roots.
	CAFile string
	// DialTimeout bounds the reachability probe of the direct path; default 3s.
	DialTimeout time.Duration
	// Cluster, when set, allows the relay path.
	Cluster *Cluster
	// NoRelay forbids the relay path even with a Cluster (--db-relay=false).
	NoRelay bool
	// Relay configures the relay pod; its Target is filled in by Open.
	Relay Relay
	Log   *slog.Logger
}

// Path names how a connection reaches the database.
type Path string

// The paths.
const (
	PathAddress Path = "address"
	PathDirect  Path = "direct"
	PathRelay   Path = "relay"
)

// Conn is an open database handle and how it got there.
type Conn struct {
	DB   *sql.DB
	Path Path
	// Via is the address dialled (the endpoint, the tunnel, or the local end of the port-forward).
	Via string
	TLS *TLSState
	// cleanup stops the port-forward and deletes the relay pod.
	cleanup func()
}

// Close closes the handle and removes the relay, if any.
func (c *Conn) Close() error {
	err := c.DB.Close()
	if c.cleanup != nil {
		c.cleanup()
	}
	return err
}

// UnreachableError says the database could not be reached by any path, and what was tried.
type UnreachableError struct {
	Endpoint string
	Tried    []string
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("database endpoint %q is not reachable from here (%v)", e.Endpoint, e.Tried)
}

// Open picks a path and opens a connection with t's account, pinging it once so errors (wrong password, unknown
// database, certificate) surface here.
func Open(ctx context.Context, t Target, o Options) (*Conn, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tlsCfg, state, err := newTLS(t.Host, o.CAFile)
	if err != nil {
		return nil, err
	}
	if o.Address != "" {
		log.Info("database path: given address", "address", o.Address)
		return connect(ctx, t, o.Address, PathAddress, tlsCfg, state, nil)
	}
	timeout := o.DialTimeout
	if timeout == 0 {
		timeout = 3 * time.Second
	}
	tried := []string{}
	derr := dial(ctx, t.Addr(), timeout)
	if derr == nil {
		log.Info("database path: direct", "endpoint", t.Addr())
		return connect(ctx, t, t.Addr(), PathDirect, tlsCfg, state, nil)
	}
	tried = append(tried, fmt.Sprintf("direct: %v", derr))
	if o.NoRelay {
		tried = append(tried, "relay: disabled")
		return nil, &UnreachableError{Endpoint: t.Addr(), Tried: tried}
	}
	if o.Cluster == nil {
		tried = append(tried, "relay: no cluster access configured")
		return nil, &UnreachableError{Endpoint: t.Addr(), Tried: tried}
	}
	log.Info("database path: relay pod", "endpoint", t.Addr())
	r := o.Relay
	r.Target = t.Addr()
	local, cleanup, err := r.Start(ctx, o.Cluster)
	if err != nil {
		tried = append(tried, fmt.Sprintf("relay: %v", err))
		return nil, &UnreachableError{Endpoint: t.Addr(), Tried: tried}
	}
	c, err := connect(ctx, t, local, PathRelay, tlsCfg, state, cleanup)
	if err != nil {
		cleanup()
	}
	return c, err
}

func dial(ctx context.Context, addr string, timeout time.Duration) error {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// connect opens and pings. Logins are retried on ErrMalformPkt: go-sql-driver/mysql mishandles an auth-switch
// scramble that ends in a zero byte (about 1 in 256 ed25519 logins); a real server error is not retried.
func connect(ctx context.Context, t Target, addr string, path Path, tlsCfg *tlsConfig, st *TLSState, cleanup func()) (*Conn, error) {
	mc := mysql.NewConfig()
	mc.User, mc.Passwd, mc.Net, mc.Addr, mc.DBName = t.User, t.Password, "tcp", addr, t.Database
	mc.TLS = tlsCfg.config
	mc.AllowFallbackToPlaintext = true // the server decides; State says which happened
	mc.Timeout = 10 * time.Second
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("configuring the database connection to %q: %w", addr, err)
	}
	db := sql.OpenDB(connector)
	for attempt := 0; ; attempt++ {
		err = db.PingContext(ctx)
		if err == nil || !errors.Is(err, mysql.ErrMalformPkt) || attempt == 3 {
			break
		}
	}
	if err != nil {
		db.Close()
		return nil, tlsCfg.explain(err, addr)
	}
	db.SetMaxOpenConns(2)
	return &Conn{DB: db, Path: path, Via: addr, TLS: st, cleanup: cleanup}, nil
}
