package operation_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/go-sql-driver/mysql"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/verify"
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

	// verify finds every user in order; a grant added by hand on another component's database fails that user.
	names := verify.DefaultDBNames(in.cfg.RDS.DatabaseName)
	check := func() *verify.Report {
		t.Helper()
		r, err := (&operation.Verify{Configuration: in.configuration(), Only: []verify.Area{verify.AreaDB}, DBNames: &names}).Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := check()
	for _, c := range dbusers.All {
		if got, ok := r.Find("user of " + c.ID); !ok || got.Status != verify.OK {
			t.Errorf("verify, user of %s: %+v", c.ID, got)
		}
	}
	cacheUser := dbusers.Cache.UserName(in.cfg.RDS.MasterUsername)
	if _, err := root.ExecContext(ctx, "GRANT SELECT ON `mlpipeline`.* TO '"+cacheUser+"'@'%'"); err != nil {
		t.Fatal(err)
	}
	if got, _ := check().Find("user of " + dbusers.Cache.ID); got.Status != verify.Fail || !strings.Contains(got.Detail, "mlpipeline") {
		t.Errorf("verify after a grant on mlpipeline to the cache's user: %+v", got)
	}
	if _, err := root.ExecContext(ctx, "REVOKE SELECT ON `mlpipeline`.* FROM '"+cacheUser+"'@'%'"); err != nil {
		t.Fatal(err)
	}
	// A password in the secret that is not the user's: access denied, and the password is not in the report.
	mlmdSecret := dbusers.MLMD.SecretName(in.cfg.RDS.SecretName)
	wrong := map[string]string{"username": secrets[dbusers.MLMD.ID]["username"], "password": "Not-the-users-1",
		"database": secrets[dbusers.MLMD.ID]["database"]}
	putSecretJSON(ctx, t, in, mlmdSecret, wrong)
	got, _ := check().Find("user of " + dbusers.MLMD.ID)
	if got.Status != verify.Fail || !strings.Contains(got.Detail, "access denied") || strings.Contains(got.Detail, "Not-the-users-1") {
		t.Errorf("verify with a wrong password in the MLMD secret: %+v", got)
	}
	putSecretJSON(ctx, t, in, mlmdSecret, secrets[dbusers.MLMD.ID])

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

func putSecretJSON(ctx context.Context, t *testing.T, in *install, name string, v map[string]string) {
	t.Helper()
	b, _ := json.Marshal(v)
	if _, err := in.clients.SecretsManager.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &name,
		SecretString: aws.String(string(b))}); err != nil {
		t.Fatal(err)
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

// TestComponentUsersDown: down plans and deletes the components' secrets with the instance it deletes, and forgets
// their users (they go with the instance).
func TestComponentUsersDown(t *testing.T) {
	ctx := context.Background()
	in := newInstall(t, componentUsers)
	in.mustUp(ctx)
	down := func(dryRun bool) *operation.DownResult {
		t.Helper()
		d := &operation.Down{Configuration: in.configuration(), SkipCluster: true, ForceDeleteSecrets: true,
			SkipFinalSnapshot: true, PollInterval: 20 * time.Millisecond}
		d.DryRun = dryRun
		res, err := d.Run(ctx)
		if err != nil {
			t.Fatalf("down: %v", err)
		}
		return res
	}
	planned := down(true)
	for _, c := range dbusers.All {
		if r, _ := planned.Plan.Resource(plan.KeyComponentSecret(c.ID)); r.Action != plan.Delete {
			t.Errorf("down plan for %s's secret: %s %q", c.ID, r.Action, r.Detail)
		}
	}
	down(false)
	for _, c := range dbusers.All {
		name := c.SecretName(in.cfg.RDS.SecretName)
		if _, err := in.clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &name}); err == nil {
			t.Errorf("down kept secret %s", name)
		}
	}
	st := in.configuration().State.Snapshot()
	for _, c := range dbusers.All {
		for _, k := range []string{plan.KeyComponentSecret(c.ID), plan.KeyComponentUser(c.ID)} {
			if _, ok := st.Resources[k]; ok {
				t.Errorf("after down the state still records %s", k)
			}
		}
	}
}
