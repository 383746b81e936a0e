package operation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// Adopt finds what the awslabs setup script (auto-rds-s3-setup.py) created under the names the configuration
// gives, validates it, and records it in the state as adopted: plan and up use it as it is, and down keeps it
// unless told --delete-adopted. It changes nothing in AWS. Validation: the RDS secret has the script's shape,
// names the instance's endpoint and logs in to it (by the path verify uses); the secret's user is on
// mysql_native_password, which KFP's metadata server needs; and every resource passes the rules up applies
// (plan.Adopt).
type Adopt struct {
	*Configuration
	// DryRun validates and records nothing.
	DryRun bool
	// DB chooses how the login reaches the instance, as verify's DB does.
	DB dbaccess.Options
}

// AdoptResult is the verdict per resource and whether the state was written.
type AdoptResult struct {
	*plan.Adoption
	// Recorded is true when this run wrote adopted records into the state.
	Recorded bool `json:"recorded"`
	DryRun   bool `json:"dryRun"`
}

// AdoptError says that validation failed; nothing was recorded.
type AdoptError struct{ Failed []plan.AdoptLine }

func (e *AdoptError) Error() string {
	lines := []string{fmt.Sprintf("%d resource(s) of the awslabs setup cannot be adopted; nothing was recorded:", len(e.Failed))}
	for _, l := range e.Failed {
		lines = append(lines, fmt.Sprintf("  - %s %q: %s", l.Kind, l.Name, l.Detail))
	}
	return strings.Join(lines, "\n")
}

const adoptCommand = "kfaws adopt"

// Run observes, validates and, unless DryRun or a line failed, records. It holds the state lock while it
// validates and records (not for a dry run, which writes nothing). A failed validation is an *AdoptError.
func (a *Adopt) Run(ctx context.Context) (*AdoptResult, error) {
	if !a.DryRun {
		lock, err := a.State.Lock(adoptCommand)
		if err != nil {
			return nil, badInput(err)
		}
		defer func() {
			if err := lock.Release(); err != nil {
				a.logger().Warn("releasing the state lock", "error", err)
			}
		}()
	}
	recorded := a.State.Snapshot()
	a.logger().Info("observing AWS", "region", a.Config.Region, "cluster", a.Config.Cluster)
	snap, err := (&observe.Observer{AWS: a.AWS, Config: a.Config}).Observe(ctx)
	if err != nil {
		return nil, err
	}
	ad, err := plan.Adopt(a.Config, snap, recorded)
	if err != nil {
		return nil, err
	}
	res := &AdoptResult{Adoption: ad, DryRun: a.DryRun}
	a.checkDatabase(ctx, ad, snap.Instance)
	if ad.Failed() {
		e := &AdoptError{}
		for _, l := range ad.Lines {
			if l.Verdict == plan.AdoptFail {
				e.Failed = append(e.Failed, l)
			}
		}
		return res, e
	}
	recs := ad.Records()
	if a.DryRun || len(recs) == 0 {
		return res, nil
	}
	c := a.Config
	now := time.Now().UTC().Truncate(time.Second)
	err = a.State.Update(func(st *state.State) {
		st.Name, st.Region, st.Cluster, st.Option = c.Name, c.Region, c.Cluster, string(c.Option)
		for k, r := range recs {
			r.UpdatedAt = now
			st.Resources[k] = r
		}
	})
	res.Recorded = err == nil
	return res, err
}

// usable reports whether the line of key is one adopt goes on validating.
func usable(ad *plan.Adoption, key string) bool {
	l, ok := ad.Line(key)
	return ok && (l.Verdict == plan.AdoptNew || l.Verdict == plan.AdoptRecorded)
}

// checkDatabase reads the RDS secret, checks its shape and endpoint, logs in with it and checks the user's
// authentication plugin; each problem fails the secret's or the instance's line. The password never appears.
func (a *Adopt) checkDatabase(ctx context.Context, ad *plan.Adoption, in observe.Instance) {
	if !usable(ad, plan.KeyRDSSecret) || !usable(ad, plan.KeyInstance) {
		return
	}
	name := a.Config.RDS.SecretName
	sec, err := a.secretJSON(ctx, name)
	if err != nil {
		ad.Fail(plan.KeyRDSSecret, err.Error())
		return
	}
	v := plan.RDSSecretValue{Username: sec["username"], Database: sec["database"], Host: sec["host"], Port: sec["port"],
		HasPassword: sec["password"] != ""}
	if problem := plan.CheckRDSSecret(v, in); problem != "" {
		ad.Fail(plan.KeyRDSSecret, problem)
		return
	}
	port, _ := strconv.Atoi(v.Port)
	t := dbaccess.Target{Host: v.Host, Port: port, User: v.Username, Password: sec["password"], Database: v.Database}
	opts := a.DB
	opts.Log = a.logger()
	opts.Relay.Installation = a.Config.Name
	if opts.Cluster == nil {
		if k, err := a.KubeClient(); err == nil {
			if cl, err := kubeCluster(k); err == nil {
				opts.Cluster = cl
			}
		}
	}
	a.logger().Info("logging in with the RDS secret", "instance", a.Config.RDS.InstanceName, "user", t.User)
	conn, err := dbaccess.Open(ctx, t, opts)
	if err != nil {
		detail, action := explainConnect(err, t, name)
		ad.Fail(plan.KeyRDSSecret, strings.TrimSuffix(detail+"; "+action, "; "))
		return
	}
	defer conn.Close()
	l, _ := ad.Line(plan.KeyRDSSecret)
	l.Detail = fmt.Sprintf("logs in to database %q as %q (%s path)", v.Database, v.Username, conn.Path)
	if plugin := userPlugin(ctx, conn.DB); plugin != "" && plugin != "mysql_native_password" {
		ad.Fail(plan.KeyInstance, fmt.Sprintf("user %q of the RDS secret authenticates with %s, and KFP's metadata server "+
			"(MLMD) logs in only with mysql_native_password; kfaws never changes an adopted instance: run ALTER USER "+
			"'%s'@'%%' IDENTIFIED WITH mysql_native_password BY '<its password>' (after enabling the plugin in the "+
			"instance's parameter group on MySQL 8.4), then kfaws adopt again", v.Username, plugin, v.Username))
	}
}

// userPlugin is the authentication plugin of the logged-in account, "" when the server does not say (the user
// may not read mysql.user): the plan's warning about the parameter group then stands alone.
func userPlugin(ctx context.Context, db *sql.DB) string {
	var plugin sql.NullString
	err := db.QueryRowContext(ctx,
		"SELECT plugin FROM mysql.user WHERE CONCAT(user, '@', host) = CURRENT_USER()").Scan(&plugin)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ""
	}
	return plugin.String
}
