package dbusers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Privileges are what each component gets on its own database and nowhere else: what KFP's API server, cache
// server and MLMD run on start and on upgrade (CREATE DATABASE on their own database, CREATE/ALTER/DROP TABLE,
// indexes and foreign keys, DML; kubeflow/pipelines backend/src/apiserver/client_manager, backend/src/cache,
// ml-metadata's MySQL query config), and what Katib's db-manager needs for its one table.
var Privileges = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "INDEX", "DROP", "REFERENCES"}

// MySQL error numbers the checks look for.
const (
	errNoSuchGrant     = 1141 // ER_NONEXISTING_GRANT: SHOW GRANTS FOR a user that does not exist
	ErrDBAccessDenied  = 1044 // ER_DBACCESS_DENIED_ERROR
	ErrTableAccessDeny = 1142 // ER_TABLEACCESS_DENIED_ERROR
)

// ConflictError says a user of kfaws's name exists that kfaws did not create: kfaws never changes it.
type ConflictError struct{ User string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("MySQL user %q exists but kfaws did not create it (its state records no such user); kfaws "+
		"never changes a user it did not create: drop it yourself (DROP USER '%s'@'%%') or use another rds.masterUsername",
		e.User, e.User)
}

// Exists reports whether user@'%' exists.
func Exists(ctx context.Context, db *sql.DB, user string) (bool, error) {
	_, err := Grants(ctx, db, user)
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == errNoSuchGrant {
		return false, nil
	}
	return err == nil, err
}

// Grants returns SHOW GRANTS FOR user@'%', one statement a line.
func Grants(ctx context.Context, db *sql.DB, user string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SHOW GRANTS FOR "+account(user))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// IsMariaDB reports whether the server is MariaDB (the local stand-in for RDS), whose plain IDENTIFIED BY
// already uses mysql_native_password and which names the plugin differently.
func IsMariaDB(ctx context.Context, db *sql.DB) (bool, error) {
	var v string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return false, fmt.Errorf("reading the server version: %w", err)
	}
	return strings.Contains(strings.ToLower(v), "mariadb"), nil
}

// Ensure creates the component's user with password unless it exists, then grants it Privileges on database.
// A user that exists is used only when ours says kfaws created it (the state records it); its password is never
// changed, so a re-run rotates nothing (SetPassword rotates on request). The password never appears in an error.
// beforeCreate runs just before CREATE USER, to record that kfaws is creating it.
func Ensure(ctx context.Context, db *sql.DB, c Component, user, password, database string, ours bool, beforeCreate func() error) error {
	exists, err := Exists(ctx, db, user)
	if err != nil {
		return fmt.Errorf("looking for MySQL user %q: %w", user, err)
	}
	if exists && !ours {
		return &ConflictError{User: user}
	}
	if !exists {
		if err := beforeCreate(); err != nil {
			return err
		}
		ident, err := identifiedBy(ctx, db, c, password)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "CREATE USER "+account(user)+" "+ident); err != nil {
			return fmt.Errorf("creating MySQL user %q: %s", user, hide(err, password))
		}
	}
	if _, err := db.ExecContext(ctx, "GRANT "+strings.Join(Privileges, ", ")+" ON "+grantTarget(database)+" TO "+account(user)); err != nil {
		return fmt.Errorf("granting MySQL user %q its privileges on database %q: %w", user, database, err)
	}
	return nil
}

// SetPassword gives the component's existing user a new password, with the same plugin Ensure gave it, for a
// rotation kfaws was asked for. The password never appears in an error.
func SetPassword(ctx context.Context, db *sql.DB, c Component, user, password string) error {
	exists, err := Exists(ctx, db, user)
	if err != nil {
		return fmt.Errorf("looking for MySQL user %q: %w", user, err)
	}
	if !exists {
		return fmt.Errorf("MySQL user %q, which kfaws created, is missing from the instance; its password cannot be rotated", user)
	}
	ident, err := identifiedBy(ctx, db, c, password)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "ALTER USER "+account(user)+" "+ident); err != nil {
		return fmt.Errorf("setting the password of MySQL user %q: %s", user, hide(err, password))
	}
	return nil
}

// identifiedBy is the IDENTIFIED clause of the component's user: MLMD's names mysql_native_password on MySQL,
// where the default plugin may be another; MariaDB's plain IDENTIFIED BY already uses it.
func identifiedBy(ctx context.Context, db *sql.DB, c Component, password string) (string, error) {
	maria, err := IsMariaDB(ctx, db)
	if err != nil {
		return "", err
	}
	if c.NativePassword && !maria {
		return "IDENTIFIED WITH mysql_native_password BY " + literal(password), nil
	}
	return "IDENTIFIED BY " + literal(password), nil
}

// Drop drops the user if it exists.
func Drop(ctx context.Context, db *sql.DB, user string) error {
	if _, err := db.ExecContext(ctx, "DROP USER IF EXISTS "+account(user)); err != nil {
		return fmt.Errorf("dropping MySQL user %q: %w", user, err)
	}
	return nil
}

// grantRe reads one line of SHOW GRANTS: the privileges and what they are on.
var grantRe = regexp.MustCompile(`^GRANT (.+?) ON (\S+) TO `)

// GrantProblems compares SHOW GRANTS with exactly Privileges on database (and USAGE, which every user has) and
// says what differs.
func GrantProblems(grants []string, database string) []string {
	var problems []string
	want := grantTarget(database)
	found := false
	for _, g := range grants {
		m := grantRe.FindStringSubmatch(g)
		if m == nil {
			problems = append(problems, "unexpected grant: "+redact(g))
			continue
		}
		privs, on := splitPrivileges(m[1]), m[2]
		switch {
		case on == "*.*" && slices.Equal(privs, []string{"USAGE"}):
		case on == want && sameSet(privs, Privileges):
			found = true
		default:
			problems = append(problems, fmt.Sprintf("%s ON %s", strings.Join(privs, ", "), on))
		}
	}
	if !found {
		problems = append(problems, fmt.Sprintf("missing %s ON %s", strings.Join(Privileges, ", "), want))
	}
	return problems
}

func splitPrivileges(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// redact drops what follows IDENTIFIED (a password hash) from a SHOW GRANTS line.
func redact(g string) string {
	if i := strings.Index(g, " IDENTIFIED"); i >= 0 {
		return g[:i]
	}
	return g
}

// account quotes user@'%'.
func account(user string) string { return literal(user) + "@'%'" }

// literal quotes a string for MySQL. Names and generated passwords hold no quotes; escaping keeps it so.
func literal(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// grantTarget is `db`.* with _ and % escaped, since GRANT reads them as wildcards in a database name; SHOW
// GRANTS prints it back the same way.
func grantTarget(database string) string {
	r := strings.NewReplacer("`", "``", "_", `\_`, "%", `\%`)
	return "`" + r.Replace(database) + "`.*"
}

// hide removes the password from an error's text (a syntax error quotes the statement near the fault).
func hide(err error, password string) string {
	msg := err.Error()
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "(password hidden)")
	}
	return msg
}
