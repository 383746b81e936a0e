package operation_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-sql-driver/mysql"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/plan"
)

func componentUsers(c *config.Config) {
	c.Option, c.RDS.ComponentUsers = config.OptionRDSOnly, aws.Bool(true)
}

// loginAs opens MySQL with a component secret's credentials on the instance's endpoint.
func (in *install) loginAs(ctx context.Context, sec map[string]string, database string) *sql.DB {
	in.t.Helper()
	rds := in.rdsSecret(ctx)
	mc := mysql.NewConfig()
	mc.User, mc.Passwd, mc.Net, mc.Addr, mc.DBName = sec["username"], sec["password"], "tcp", rds["host"]+":"+rds["port"], database
	db, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { db.Close() })
	return db
}

func mysqlErrno(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// TestComponentUsers: up creates one user per component on the (MariaDB) instance, granted exactly its own
// database, each password in its own secret; a user cannot read another component's database; a second up
// changes nothing and rotates no password.
func TestComponentUsers(t *testing.T) {
	ctx := context.Background()
	in := newInstall(t, componentUsers)
	in.mustUp(ctx)
	root, err := in.stack.MySQLRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	secrets := map[string]map[string]string{}
	for _, c := range dbusers.All {
		sec := in.secretJSON(ctx, c.SecretName(in.cfg.RDS.SecretName))
		secrets[c.ID] = sec
		want := c.UserName(in.cfg.RDS.MasterUsername)
		if sec["username"] != want || len(sec["password"]) != 32 || sec["database"] != c.Database(in.cfg.RDS.DatabaseName) {
			t.Errorf("%s secret: user %q database %q, password of %d characters; want user %q, its database, 32 characters",
				c.ID, sec["username"], sec["database"], len(sec["password"]), want)
		}
		grants, err := dbusers.Grants(ctx, root, want)
		if err != nil {
			t.Fatalf("SHOW GRANTS for %s: %v", want, err)
		}
		if p := dbusers.GrantProblems(grants, sec["database"]); len(p) > 0 {
			t.Errorf("%s grants %v: %v", c.ID, grants, p)
		}
	}
	// The API server's user creates its own database (KFP runs CREATE DATABASE) and is refused the cache's.
	api := in.loginAs(ctx, secrets[dbusers.KFPAPI.ID], "")
	if _, err := api.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+dbusers.KFPAPI.Database("")+"`"); err != nil {
		t.Fatalf("the API server's user cannot create its own database: %v", err)
	}
	if _, err := api.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS `mlpipeline`.`kfaws_probe` (id INT)"); err != nil {
		t.Fatalf("the API server's user cannot create a table in its database: %v", err)
	}
	cache := in.loginAs(ctx, secrets[dbusers.Cache.ID], "")
	_, err = cache.ExecContext(ctx, "SELECT * FROM `mlpipeline`.`kfaws_probe`")
	if n := mysqlErrno(err); n != dbusers.ErrDBAccessDenied && n != dbusers.ErrTableAccessDeny {
		t.Errorf("the cache server's user reading the API server's table: %v, want access denied (1044/1142)", err)
	}
	if _, err := cache.ExecContext(ctx, "CREATE DATABASE `mlpipeline_other`"); mysqlErrno(err) != dbusers.ErrDBAccessDenied {
		t.Errorf("the cache server's user creating another database: %v, want 1044", err)
	}

	// Again: nothing to do, the same passwords.
	p := in.plan(ctx)
	if p.HasChanges() {
		t.Fatalf("second plan has steps: %v", p.Steps)
	}
	in.mustUp(ctx)
	for _, c := range dbusers.All {
		if got := in.secretJSON(ctx, c.SecretName(in.cfg.RDS.SecretName)); got["password"] != secrets[c.ID]["password"] {
			t.Errorf("%s password changed on a second up", c.ID)
		}
	}
	// The master user's secret is untouched: only kfaws logs in with it.
	if _, ok := actions(p)[plan.KeyComponentUser(dbusers.Katib.ID)]; !ok {
		t.Errorf("plan shows no user for Katib: %v", actions(p))
	}

	// The real Katib db-manager works with its own user, and is refused another component's database.
	katib := secrets[dbusers.Katib.ID]
	rds := in.rdsSecret(ctx)
	own := map[string]string{"username": katib["username"], "password": katib["password"], "host": rds["host"], "port": rds["port"], "database": katib["database"]}
	reportMetrics(t, startKatib(t, own), "trial-own-user", 0.5)
	refused := katibRefused(t, own, dbusers.KFPAPI.Database(""))
	if !strings.Contains(refused, "Access denied") {
		t.Errorf("katib db-manager on the API server's database: want access denied, log:\n%s", refused)
	}
}

// katibRefused runs the db-manager on database and returns its log once it gives up.
func katibRefused(t *testing.T, sec map[string]string, database string) string {
	t.Helper()
	cmd := exec.Command(katibBinary(t), "--listen-address", "127.0.0.1:0", "--connect-timeout", "6s")
	cmd.Env = append(os.Environ(), "DB_NAME=mysql", "DB_USER="+sec["username"], "DB_PASSWORD="+sec["password"],
		"KATIB_MYSQL_DB_HOST="+sec["host"], "KATIB_MYSQL_DB_PORT="+sec["port"], "KATIB_MYSQL_DB_DATABASE="+database)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Errorf("katib db-manager exited cleanly on database %q, want a failure", database)
	}
	return string(out)
}

// TestComponentUserConflict: a user of kfaws's name that kfaws did not create is never taken over.
func TestComponentUserConflict(t *testing.T) {
	ctx := context.Background()
	in := newInstall(t, componentUsers)
	root, err := in.stack.MySQLRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	user := dbusers.MLMD.UserName(in.cfg.RDS.MasterUsername)
	if _, err := root.ExecContext(ctx, "CREATE USER '"+user+"'@'%' IDENTIFIED BY 'theirs-123'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = root.ExecContext(context.Background(), "DROP USER IF EXISTS '"+user+"'@'%'") })
	_, rec, err := in.up(ctx, nil)
	var ce *dbusers.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("up with a foreign user %q: %v, want a conflict\n%s", user, err, rec)
	}
	grants, _ := dbusers.Grants(ctx, root, user)
	if len(grants) != 1 {
		t.Errorf("the foreign user was changed: %v", grants)
	}
}
