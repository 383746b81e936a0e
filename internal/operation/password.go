package operation

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/plan"
)

// mysqlAccessDenied is MySQL's ER_ACCESS_DENIED_ERROR: the user or the password is wrong.
const mysqlAccessDenied = 1045

// checkGivenPassword logs in to the existing instance the plan names with the master password given in
// KFAWS_DB_MASTER_PASSWORD, through the path verify uses (tunnel, endpoint, relay pod), before any step records
// it. A password that does not log in, and a login that cannot be tried, stop up as bad input: nothing has
// changed yet, and recording an untested password would leave Kubeflow with a secret that does not work.
// Messages name the variable and the instance, never the password.
func (u *Up) checkGivenPassword(ctx context.Context, c *plan.LoginCheck) error {
	env := config.EnvDBMasterPassword
	if u.SkipPasswordCheck {
		u.logger().Warn("recording the given master password without logging in with it (--skip-password-check); "+
			"kfaws verify tests it", "variable", env, "instance", c.Instance)
		return nil
	}
	if c.Host == "" {
		return fmt.Errorf("DB instance %q has no endpoint yet (status %s), so the password in %s cannot be tested "+
			"before it is recorded; nothing was changed: run kfaws up again once the instance is available",
			c.Instance, c.Status, env)
	}
	t := dbaccess.Target{Host: c.Host, Port: int(c.Port), User: c.Username, Password: u.Config.RDS.MasterPassword}
	opts := u.dbOptions()
	u.logger().Info("testing the given master password by logging in", "instance", c.Instance, "user", c.Username)
	conn, err := dbaccess.Open(ctx, t, opts)
	if err == nil {
		if err := conn.Close(); err != nil {
			u.logger().Warn("closing the test login", "instance", c.Instance, "error", err)
		}
		return nil
	}
	return loginError(err, c)
}

// loginError says why the given password could not be tested or was refused, and what to do.
func loginError(err error, c *plan.LoginCheck) error {
	env := config.EnvDBMasterPassword
	var (
		me *mysql.MySQLError
		ue *dbaccess.UnreachableError
		ce *dbaccess.CertificateError
	)
	switch {
	case errors.As(err, &me) && me.Number == mysqlAccessDenied:
		return badInput(fmt.Errorf("%s does not log in to DB instance %q as master user %q (access denied); nothing was "+
			"changed: set it to the instance's master password, or reset that password (aws rds modify-db-instance "+
			"--db-instance-identifier %s --master-user-password ...) and run again", env, c.Instance, c.Username, c.Instance))
	case errors.As(err, &ue):
		return badInput(fmt.Errorf("cannot test %s against DB instance %q before recording it: %w; nothing was changed: "+
			"pass --db-address HOST:PORT for a tunnel you have (e.g. SSM port forwarding), or --kubeconfig/--context so "+
			"kfaws can log in through a relay pod in the cluster, or --skip-password-check to record it untested "+
			"(kfaws verify tests it later)", env, c.Instance, err))
	case errors.As(err, &ce):
		return badInput(fmt.Errorf("cannot test %s against DB instance %q before recording it: %w; nothing was changed: "+
			"pass --db-ca-file with the RDS CA bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)",
			env, c.Instance, err))
	}
	return fmt.Errorf("testing %s by logging in to DB instance %q as %q: %w; nothing was changed", env, c.Instance, c.Username, err)
}

// dbOptions are the paths up reaches the instance by: --db-address, the endpoint, or a relay pod through the
// Kubernetes client when there is one.
func (u *Up) dbOptions() dbaccess.Options {
	opts := u.DB
	opts.Log = u.logger()
	opts.Relay.Installation = u.Config.Name
	if opts.Cluster == nil {
		if k, err := u.KubeClient(); err == nil {
			if cl, err := kubeCluster(k); err == nil {
				opts.Cluster = cl
			}
		}
	}
	return opts
}
