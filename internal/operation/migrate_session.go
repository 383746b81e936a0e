package operation

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/go-sql-driver/mysql"
	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/migrate"
	"github.com/kfaws/kfaws/internal/migrate/dbcopy"
	"github.com/kfaws/kfaws/internal/migrate/objcopy"
)

// existingRewrites keeps the rewrites whose table and column the source has: a metadata database that MLMD never
// started in is empty, and has no URI to rewrite.
func existingRewrites(ctx context.Context, s *session, rws []dbcopy.Rewrite) ([]dbcopy.Rewrite, error) {
	var out []dbcopy.Rewrite
	for _, rw := range rws {
		for _, d := range s.dbs {
			if d.From != rw.Database {
				continue
			}
			var n int
			err := d.Source.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.columns "+
				"WHERE table_schema = ? AND table_name = ? AND column_name = ?", rw.Database, rw.Table, rw.Column).Scan(&n)
			if err != nil {
				return nil, fmt.Errorf("reading the columns of %s.%s on the source: %w", rw.Database, rw.Table, err)
			}
			if n > 0 {
				out = append(out, rw)
			}
			break
		}
	}
	return out, nil
}

// session holds the open connections of one run.
type session struct {
	dbs       []dbcopy.Database
	dst       *dbaccess.Conn
	srcBucket *objcopy.Bucket
	dstBucket objcopy.Bucket
	closers   []func()
}

func (s *session) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// open reaches every source (the given address, or a port-forward to the Service's pod) and the destination.
func (m *Migrate) open(ctx context.Context, c *dbaccess.Cluster, src *migrate.Source, bucket string) (s *session, err error) {
	s = &session{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	for _, srv := range []*migrate.DBServer{src.KFP, src.Katib} {
		if srv == nil {
			continue
		}
		db, err := m.openSource(ctx, c, srv, s)
		if err != nil {
			return nil, err
		}
		for _, n := range srv.Databases {
			s.dbs = append(s.dbs, dbcopy.Database{Source: db, From: n.From, To: n.To})
		}
	}
	if len(s.dbs) > 0 {
		if s.dst, err = m.openDestination(ctx, c); err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { s.dst.Close() })
	}
	if src.Store != nil {
		endpoint := src.Store.Endpoint
		if endpoint == "" {
			local, stop, err := migrate.ForwardService(ctx, c, src.Store.Service, src.Store.Port)
			if err != nil {
				return nil, err
			}
			s.closers = append(s.closers, stop)
			endpoint = "http://" + local
		}
		cl, err := objcopy.NewSourceClient(objcopy.SourceEndpoint{URL: endpoint, AccessKey: src.Store.AccessKey,
			SecretKey: src.Store.SecretKey})
		if err != nil {
			return nil, badInput(fmt.Errorf("the object store's endpoint: %w", err))
		}
		s.srcBucket = &objcopy.Bucket{Client: cl, Name: src.Store.Bucket}
		s.dstBucket = objcopy.Bucket{Client: m.AWS.S3, Name: bucket}
	}
	return s, nil
}

func (m *Migrate) openSource(ctx context.Context, c *dbaccess.Cluster, srv *migrate.DBServer, s *session) (*sql.DB, error) {
	addr := srv.Address
	if addr == "" {
		local, stop, err := migrate.ForwardService(ctx, c, srv.Service, 3306)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, stop)
		addr = local
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = srv.User, srv.Password, "tcp", addr
	cfg.AllowNativePasswords = true
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	s.closers = append(s.closers, func() { db.Close() })
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("logging in to the in-cluster MySQL (Service %s, via %s) as %q: %w", srv.Service, addr, srv.User, err)
	}
	return db, nil
}

// openDestination logs in to the RDS instance as the master user from the RDS secret, by verify's paths.
func (m *Migrate) openDestination(ctx context.Context, c *dbaccess.Cluster) (*dbaccess.Conn, error) {
	name := m.State.Snapshot().Outputs.RDSSecretName
	if name == "" {
		name = m.Config.RDS.SecretName
	}
	sec, err := m.secretJSON(ctx, name)
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(sec["port"])
	t := dbaccess.Target{Host: sec["host"], Port: port, User: sec["username"], Password: sec["password"]}
	opts := m.DB
	opts.Log = m.logger()
	opts.Relay.Installation = m.Config.Name
	if opts.Cluster == nil {
		opts.Cluster = c
	}
	conn, err := dbaccess.Open(ctx, t, opts)
	if err != nil {
		detail, action := explainConnect(err, t, name)
		if action != "" {
			detail += "; " + action
		}
		return nil, fmt.Errorf("reaching the RDS instance: %s", detail)
	}
	return conn, nil
}
