package verify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/kfaws/kfaws/internal/dbusers"
)

// ComponentUser is one component's MySQL user as its secret holds it. Password is a secret: it is only used to
// log in, never printed.
type ComponentUser struct {
	Component dbusers.Component
	User      string
	Password  string
	// Database is the component's own database; Others are the other components' databases it must not reach.
	Database string
	Others   []string
	// SecretErr is why the component's secret could not be read.
	SecretErr error
}

// ComponentUsersInput is what the per-component user checks need: the master user's connection (to read grants)
// and a way to log in as each component.
type ComponentUsersInput struct {
	Master *sql.DB
	Users  []ComponentUser
	// Login opens a connection as user with password by the path the master connection took.
	Login func(ctx context.Context, user, password string) (*sql.DB, error)
}

// errAccessDenied is MySQL's answer to a wrong password (ER_ACCESS_DENIED_ERROR).
const errAccessDenied = 1045

// CheckComponentUsers checks, for each component, that its user exists with exactly its grants, logs in with
// the password in its secret, and is refused every other component's database. It only reads.
func CheckComponentUsers(ctx context.Context, r *Report, in ComponentUsersInput) {
	w := recorder{r: r, area: AreaDB}
	for _, u := range in.Users {
		name := "user of " + u.Component.ID
		if u.SecretErr != nil {
			w.add(name, Fail, u.SecretErr.Error(), "run kfaws up, which creates the component's user and secret")
			continue
		}
		grants, err := dbusers.Grants(ctx, in.Master, u.User)
		if err != nil {
			w.add(name, Fail, fmt.Sprintf("reading the grants of MySQL user %q: %v", u.User, err), "run kfaws up, which creates it")
			continue
		}
		if problems := dbusers.GrantProblems(grants, u.Database); len(problems) > 0 {
			w.add(name, Fail, fmt.Sprintf("MySQL user %q: %s", u.User, strings.Join(problems, "; ")),
				fmt.Sprintf("grant it only %s ON `%s`.* (kfaws created it so; something changed it since)",
					strings.Join(dbusers.Privileges, ", "), u.Database))
			continue
		}
		db, err := in.Login(ctx, u.User, u.Password)
		if err != nil {
			detail := fmt.Sprintf("MySQL user %q cannot log in with the password in its secret: %v", u.User, err)
			var me *mysql.MySQLError
			if errors.As(err, &me) && me.Number == errAccessDenied {
				detail = fmt.Sprintf("MySQL user %q: access denied with the password in its secret", u.User)
			}
			w.add(name, Fail, detail, "put the user's password into its secret, or set the user's password to the secret's (ALTER USER)")
			continue
		}
		var reached []string
		for _, other := range u.Others {
			if !deniedDatabase(ctx, db, other) {
				reached = append(reached, other)
			}
		}
		db.Close()
		if len(reached) > 0 {
			w.add(name, Fail, fmt.Sprintf("MySQL user %q reaches database(s) %s of other components", u.User, strings.Join(reached, ", ")),
				fmt.Sprintf("revoke its grants outside `%s` (SHOW GRANTS FOR '%s'@'%%')", u.Database, u.User))
			continue
		}
		w.ok(name, fmt.Sprintf("MySQL user %q logs in, holds only %s on %q, and is refused %s", u.User,
			strings.Join(dbusers.Privileges, ", "), u.Database, strings.Join(u.Others, ", ")))
	}
}

// deniedDatabase reports whether db's user is refused database name (as a missing database is, to a user without
// rights on it: MySQL answers 1044 before it looks).
func deniedDatabase(ctx context.Context, db *sql.DB, name string) bool {
	conn, err := db.Conn(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "USE `"+strings.ReplaceAll(name, "`", "``")+"`")
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == dbusers.ErrDBAccessDenied || me.Number == dbusers.ErrTableAccessDeny)
}
