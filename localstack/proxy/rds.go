package proxy

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Emulated RDS instance states, in the order a new instance goes through them.
const (
	StatusCreating  = "creating"
	StatusBackingUp = "backing-up"
	StatusAvailable = "available"
)

// instance is an RDS instance the proxy backs with a user and database on MariaDB.
type instance struct {
	id     string
	user   string
	dbName string
	native bool
	// password is the master user's, kept so a DB snapshot of the instance can hand it to the instances restored
	// from it, as RDS does.
	password string
	created  time.Time
	delay    time.Duration
}

// snapshot is what a DB snapshot keeps of its instance for the data plane: the master user, its password and
// plugin, and the initial database's name.
type snapshot struct {
	user, password, dbName string
	native                 bool
}

// status is the state the instance reports at now: creating for the first
// two thirds of its delay, backing-up for the last third, then available.
func (in *instance) status(now time.Time) string {
	elapsed := now.Sub(in.created)
	switch {
	case elapsed >= in.delay:
		return StatusAvailable
	case elapsed*3 < in.delay*2:
		return StatusCreating
	default:
		return StatusBackingUp
	}
}

// rdsPlane is the RDS data plane: it mirrors RDS instances into users and
// databases of one MariaDB server and remembers the auth-plugin choice of
// each DB parameter group.
type rdsPlane struct {
	admin *sql.DB // root on MariaDB; nil disables users and databases
	host  string
	port  int
	log   *slog.Logger
	now   func() time.Time

	mu        sync.Mutex
	delay     time.Duration
	groups    map[string]bool // parameter group -> selects mysql_native_password
	instances map[string]*instance
	snapshots map[string]snapshot // by snapshotKey
}

func newRDSPlane(admin *sql.DB, host string, port int, log *slog.Logger) *rdsPlane {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &rdsPlane{admin: admin, host: host, port: port, log: log, now: time.Now,
		groups: map[string]bool{}, instances: map[string]*instance{}, snapshots: map[string]snapshot{}}
}

func (p *rdsPlane) setDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

func (p *rdsPlane) lookup(id string) (instance, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	in, ok := p.instances[instanceKey(id)]
	if !ok {
		return instance{}, false
	}
	return *in, true
}

// recordParameters remembers whether a ModifyDBParameterGroup request made
// its group select mysql_native_password as the default auth plugin.
func (p *rdsPlane) recordParameters(form map[string][]string) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	group := get("DBParameterGroupName")
	// aws-sdk-go-v2 names list members after the model ("Parameter"); other
	// clients use the generic "member".
	for i := 1; ; i++ {
		prefix := fmt.Sprintf("Parameters.Parameter.%d.", i)
		if get(prefix+"ParameterName") == "" {
			prefix = fmt.Sprintf("Parameters.member.%d.", i)
		}
		name := get(prefix + "ParameterName")
		if name == "" {
			return
		}
		value := strings.TrimSpace(get(prefix + "ParameterValue"))
		switch name {
		case "authentication_policy":
			p.setGroup(group, policyDefaultPlugin(value) == "mysql_native_password")
		case "default_authentication_plugin":
			p.setGroup(group, value == "mysql_native_password")
		}
	}
}

// policyDefaultPlugin reads the default plugin from an authentication_policy
// value: its first element is "plugin", "*:plugin" (any plugin allowed,
// that one by default) or "*" (the server default, caching_sha2_password).
func policyDefaultPlugin(value string) string {
	first, _, _ := strings.Cut(value, ",")
	first = strings.TrimSpace(first)
	if _, plugin, ok := strings.Cut(first, ":"); ok {
		first = strings.TrimSpace(plugin)
	}
	if first == "*" || first == "" {
		return "caching_sha2_password"
	}
	return first
}

func (p *rdsPlane) setGroup(group string, native bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.groups[group] = native
}

func (p *rdsPlane) forgetGroup(group string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.groups, group)
}

// wantsNative decides the master user's plugin as RDS would: the parameter
// group's setting if it has one, else the engine default, which is
// mysql_native_password up to 8.0 and caching_sha2_password from 8.4.
func (p *rdsPlane) wantsNative(group, engineVersion string) bool {
	p.mu.Lock()
	native, set := p.groups[group]
	p.mu.Unlock()
	if set {
		return native
	}
	return !newerThan80(engineVersion)
}

func newerThan80(version string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major > 8 || (major == 8 && minor > 0)
}

// clash names the live instance other than id whose master user is user.
func (p *rdsPlane) clash(id, user string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, in := range p.instances {
		if instanceKey(in.id) != instanceKey(id) && in.user == user {
			return in.id
		}
	}
	return ""
}

// create makes the master user and initial database for a new instance and
// starts its emulated creation delay.
func (p *rdsPlane) create(ctx context.Context, id, user, password, dbName string, native bool) error {
	p.mu.Lock()
	in := &instance{id: id, user: user, dbName: dbName, native: native, password: password, created: p.now(), delay: p.delay}
	p.mu.Unlock()
	if p.admin != nil {
		if err := p.createUser(ctx, in, password); err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.instances[instanceKey(id)] = in
	p.mu.Unlock()
	p.log.Info("rds instance backed by mariadb", "instance", id, "user", user, "database", dbName, "native", native)
	return nil
}

func (p *rdsPlane) createUser(ctx context.Context, in *instance, password string) error {
	type stmt struct {
		sql  string
		args []any
	}
	var stmts []stmt
	// Without a password (ManageMasterUserPassword) there is nothing to log in with.
	if in.user != "" && password != "" {
		if !in.native {
			if err := p.ensureED25519(ctx); err != nil {
				return err
			}
		}
		stmts = append(stmts,
			stmt{"DROP USER IF EXISTS ?@'%'", []any{in.user}},
			stmt{identifiedStatement("CREATE USER", in.native), []any{in.user, password}},
			stmt{"GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", []any{in.user}})
	}
	if in.dbName != "" {
		stmts = append(stmts, stmt{"CREATE DATABASE IF NOT EXISTS " + quoteIdent(in.dbName), nil})
	}
	for _, s := range stmts {
		if _, err := p.admin.ExecContext(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("instance %q: creating master user %q and database %q on mariadb: %w", in.id, in.user, in.dbName, err)
		}
	}
	return nil
}

// identifiedStatement builds "<verb> ?@'%' IDENTIFIED ..." for the plugin:
// mysql_native_password, or ed25519 standing in for caching_sha2_password,
// which MariaDB lacks. Both refuse a client that only speaks the other.
func identifiedStatement(verb string, native bool) string {
	if native {
		return verb + " ?@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD(?)"
	}
	return verb + " ?@'%' IDENTIFIED VIA ed25519 USING PASSWORD(?)"
}

func (p *rdsPlane) ensureED25519(ctx context.Context) error {
	var n int
	err := p.admin.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519' AND PLUGIN_STATUS = 'ACTIVE'").Scan(&n)
	if err != nil {
		return fmt.Errorf("checking for the ed25519 auth plugin on mariadb: %w", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := p.admin.ExecContext(ctx, "INSTALL SONAME 'auth_ed25519'"); err != nil {
		return fmt.Errorf("installing the ed25519 auth plugin on mariadb: %w", err)
	}
	return nil
}

// setPassword applies ModifyDBInstance's MasterUserPassword, keeping the plugin.
func (p *rdsPlane) setPassword(ctx context.Context, id, password string) error {
	in, ok := p.lookup(id)
	if !ok || p.admin == nil || in.user == "" {
		return nil
	}
	if _, err := p.admin.ExecContext(ctx, identifiedStatement("ALTER USER", in.native), in.user, password); err != nil {
		return fmt.Errorf("instance %q: changing the password of master user %q on mariadb: %w", id, in.user, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if live, ok := p.instances[instanceKey(id)]; ok {
		live.password = password
	}
	return nil
}

// takeSnapshot keeps, under the DB snapshot's name, what instance id's restores need (CreateDBSnapshot, or
// DeleteDBInstance with a final snapshot). Only the credentials are kept: every instance's databases live on
// one MariaDB server, so a snapshot of their data is not emulated.
func (p *rdsPlane) takeSnapshot(id, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if in, ok := p.instances[instanceKey(id)]; ok && name != "" {
		p.snapshots[snapshotKey(name)] = snapshot{user: in.user, password: in.password, dbName: in.dbName, native: in.native}
	}
}

func (p *rdsPlane) forgetSnapshot(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.snapshots, snapshotKey(name))
}

// snapshotOf returns what the DB snapshot name (an identifier or an ARN) keeps; ok is false for a snapshot the
// proxy did not see taken.
func (p *rdsPlane) snapshotOf(name string) (snapshot, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.snapshots[snapshotKey(name)]
	return s, ok
}

// restore backs an instance restored from a DB snapshot as RDS would: the snapshot's master user with its
// password and plugin (the instance's parameter group does not change them), and its initial database.
func (p *rdsPlane) restore(ctx context.Context, id, name, dbName string) error {
	s, ok := p.snapshotOf(name)
	if !ok {
		// A snapshot taken before this proxy started: its password is unknown, so the instance gets no user.
		return p.create(ctx, id, "", "", dbName, true)
	}
	if dbName == "" {
		dbName = s.dbName
	}
	return p.create(ctx, id, s.user, s.password, dbName, s.native)
}

// remove drops the instance's master user, and its database unless another
// live instance named the same database.
func (p *rdsPlane) remove(ctx context.Context, id string) error {
	p.mu.Lock()
	in, ok := p.instances[instanceKey(id)]
	delete(p.instances, instanceKey(id))
	shared := false
	for _, other := range p.instances {
		shared = shared || (ok && other.dbName == in.dbName)
	}
	p.mu.Unlock()
	if !ok || p.admin == nil {
		return nil
	}
	if in.user != "" {
		if _, err := p.admin.ExecContext(ctx, "DROP USER IF EXISTS ?@'%'", in.user); err != nil {
			return fmt.Errorf("instance %q: dropping master user %q on mariadb: %w", id, in.user, err)
		}
	}
	if in.dbName != "" && !shared {
		if _, err := p.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(in.dbName)); err != nil {
			return fmt.Errorf("instance %q: dropping database %q on mariadb: %w", id, in.dbName, err)
		}
	}
	p.log.Info("rds instance removed from mariadb", "instance", id)
	return nil
}

// instanceKey folds an instance identifier as RDS (and moto) do: they
// store it in lower case and match it case-insensitively.
func instanceKey(id string) string { return strings.ToLower(id) }

// snapshotKey folds a DB snapshot identifier, or the last part of its ARN, as RDS does.
func snapshotKey(name string) string {
	if strings.HasPrefix(name, "arn:") {
		name = name[strings.LastIndex(name, ":")+1:]
	}
	return strings.ToLower(name)
}

func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
