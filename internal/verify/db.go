package verify

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DBInput is what the database checks need.
type DBInput struct {
	// DB is connected with the components' account and no default database.
	DB *sql.DB
	// User is that account's name (the RDS secret's username, synced into mysql-secret).
	User  string
	Names DBNames
}

// NativePassword is the plugin MLMD forces on its client
// (ml-metadata@v1.14.0:ml_metadata/metadata_store/mysql_metadata_source.cc, ConnectImpl).
const NativePassword = "mysql_native_password"

// CheckDB runs the database checks. It only reads.
func CheckDB(ctx context.Context, r *Report, in DBInput) {
	w := recorder{r: r, area: AreaDB}
	checkServer(ctx, w, in.DB)
	checkAuthPlugin(ctx, w, in.DB, in.User)
	dbs, err := databases(ctx, in.DB)
	if err != nil {
		w.add("databases", Fail, err.Error(), "check that the user in the RDS secret may run SHOW DATABASES")
		return
	}
	for _, c := range in.Names.Components() {
		checkComponent(ctx, w, in.DB, dbs, c)
	}
	checkObservationLogs(ctx, w, in.DB, in.Names.Katib, dbs)
}

func checkServer(ctx context.Context, w recorder, db *sql.DB) {
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		w.add("server version", Fail, fmt.Sprintf("reading the server version: %v", err), "")
		return
	}
	detail := version
	// MySQL 9 removed mysql_native_password, which MLMD needs (kubeflow/pipelines#9549). MariaDB versions (10.x, 11.x) are
	// not MySQL's numbering and keep the plugin.
	if major := majorVersion(version); major >= 9 && !strings.Contains(strings.ToLower(version), "mariadb") {
		w.add("server version", Fail, detail+": MySQL 9 has no mysql_native_password, so MLMD cannot log in",
			"use MySQL 8.4 or 8.0 (kfaws up --db-engine-version 8.4)")
		return
	}
	var secure sql.NullString
	// Katib's DSN has no TLS setting (katib@v0.19.0:pkg/db/v1beta1/mysql/mysql.go): a server that requires TLS locks it out.
	if err := db.QueryRowContext(ctx, "SELECT @@require_secure_transport").Scan(&secure); err == nil &&
		(secure.String == "1" || strings.EqualFold(secure.String, "ON")) {
		w.add("server version", Fail, detail+"; require_secure_transport is on, which Katib's db-manager cannot satisfy",
			"set require_secure_transport=0 in the instance's parameter group (kfaws's own group does)")
		return
	}
	w.ok("server version", detail)
}

func majorVersion(v string) int {
	n, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return n
}

var (
	mysqlWith = regexp.MustCompile(`(?i)IDENTIFIED WITH '?([a-z0-9_]+)'?`)
	mariaVia  = regexp.MustCompile(`(?i)IDENTIFIED VIA ([a-z0-9_]+)`)
	mariaBy   = regexp.MustCompile(`(?i)IDENTIFIED BY PASSWORD`)
)

// authPlugin reads the plugin of the current account: mysql.user when readable (the RDS master user may),
// else SHOW CREATE USER, of which only the plugin name is kept (the rest holds the password hash).
func authPlugin(ctx context.Context, db *sql.DB) (string, error) {
	var plugin string
	err := db.QueryRowContext(ctx,
		"SELECT plugin FROM mysql.user WHERE CONCAT(user, '@', host) = CURRENT_USER()").Scan(&plugin)
	if err == nil && plugin != "" {
		return plugin, nil
	}
	var stmt string
	if err := db.QueryRowContext(ctx, "SHOW CREATE USER CURRENT_USER()").Scan(&stmt); err != nil {
		return "", fmt.Errorf("reading the account's authentication plugin: %w", err)
	}
	switch {
	case mysqlWith.MatchString(stmt):
		return mysqlWith.FindStringSubmatch(stmt)[1], nil
	case mariaVia.MatchString(stmt):
		return mariaVia.FindStringSubmatch(stmt)[1], nil
	case mariaBy.MatchString(stmt):
		return NativePassword, nil
	}
	return "", fmt.Errorf("SHOW CREATE USER names no authentication plugin")
}

func checkAuthPlugin(ctx context.Context, w recorder, db *sql.DB, user string) {
	plugin, err := authPlugin(ctx, db)
	if err != nil {
		w.add("auth plugin", Warn, err.Error(), "check by hand that user "+strconv.Quote(user)+
			" uses mysql_native_password (SELECT user, plugin FROM mysql.user)")
		return
	}
	if plugin != NativePassword {
		w.add("auth plugin", Fail, fmt.Sprintf("user %q authenticates with %s; metadata-grpc-deployment (MLMD) "+
			"only speaks mysql_native_password and cannot log in", user, plugin),
			fmt.Sprintf("ALTER USER '%s'@'%%' IDENTIFIED WITH mysql_native_password BY '<password from the RDS secret>' "+
				"(on MySQL 8.4 the parameter group needs mysql_native_password=ON, which kfaws's group sets)", user))
		return
	}
	w.ok("auth plugin", fmt.Sprintf("user %q authenticates with %s (what MLMD needs)", user, plugin))
}

func databases(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	names, err := column(ctx, db, "SHOW DATABASES")
	if err != nil {
		return nil, fmt.Errorf("listing databases: %w", err)
	}
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m, nil
}

func tables(ctx context.Context, db *sql.DB, database string) (map[string]bool, error) {
	names, err := column(ctx, db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", database)
	if err != nil {
		return nil, fmt.Errorf("listing the tables of database %q: %w", database, err)
	}
	m := map[string]bool{}
	for _, n := range names {
		m[strings.ToLower(n)] = true
	}
	return m, nil
}

func column(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func checkComponent(ctx context.Context, w recorder, db *sql.DB, dbs map[string]bool, c Component) {
	name := "database " + c.Database
	if !dbs[c.Database] {
		if c.CreatesDatabase {
			w.add(name, NotYetInitialised, fmt.Sprintf("absent: %s creates it when it first starts", c.Name),
				fmt.Sprintf("start %s (kfaws apply) and run verify again", c.Name))
			return
		}
		w.add(name, Fail, fmt.Sprintf("absent: %s does not create its database and fails without it", c.Name),
			fmt.Sprintf("CREATE DATABASE `%s` (kfaws up creates it with the instance)", c.Database))
		return
	}
	have, err := tables(ctx, db, c.Database)
	if err != nil {
		w.add(name, Fail, err.Error(), "")
		return
	}
	var missing []string
	for _, t := range c.Tables {
		if !have[strings.ToLower(t)] {
			missing = append(missing, t)
		}
	}
	switch {
	case len(missing) == 0:
		w.ok(name, fmt.Sprintf("present with the %d tables %s creates%s", len(c.Tables), c.Name, schemaNote(ctx, db, c)))
	case len(missing) == len(c.Tables):
		w.add(name, NotYetInitialised, fmt.Sprintf("present but empty: %s creates its tables when it first starts", c.Name),
			fmt.Sprintf("start %s (kfaws apply) and run verify again", c.Name))
	default:
		w.add(name, Fail, fmt.Sprintf("%d of %s's tables are missing: %s", len(missing), c.Name, strings.Join(missing, ", ")),
			fmt.Sprintf("look at the logs of %s: it stopped while creating its schema (privileges?)", c.Name))
	}
}

// schemaNote adds MLMD's schema version, which decides whether it upgrades on start
// (ml-metadata@v1.14.0:ml_metadata/metadata_store/query_config_executor.cc).
func schemaNote(ctx context.Context, db *sql.DB, c Component) string {
	if c.Name != "metadata-grpc-deployment" {
		return ""
	}
	var v sql.NullInt64
	q := fmt.Sprintf("SELECT MAX(schema_version) FROM `%s`.`MLMDEnv`", strings.ReplaceAll(c.Database, "`", ""))
	if err := db.QueryRowContext(ctx, q).Scan(&v); err != nil || !v.Valid {
		return "; MLMDEnv holds no schema version"
	}
	return fmt.Sprintf("; MLMD schema version %d", v.Int64)
}

func checkObservationLogs(ctx context.Context, w recorder, db *sql.DB, katib string, dbs map[string]bool) {
	const name = "katib observation_logs"
	if !dbs[katib] {
		return // the database check already failed
	}
	var n int64
	q := fmt.Sprintf("SELECT COUNT(*) FROM `%s`.observation_logs", strings.ReplaceAll(katib, "`", ""))
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		w.add(name, NotYetInitialised, "no observation_logs table yet: katib-db-manager creates it when it starts",
			"start katib-db-manager (kfaws apply) and run verify again")
		return
	}
	if n == 0 {
		w.add(name, NotYetInitialised, "empty: no Katib trial has reported metrics yet",
			"run a Katib experiment; its trials' metrics land here")
		return
	}
	w.ok(name, fmt.Sprintf("%d rows: Katib trials have reported metrics", n))
}
