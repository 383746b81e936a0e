package operation

import (
	"context"
	"errors"
	"fmt"

	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/execute"
)

// openDB reaches the instance for up's steps that log in to it, by the paths the password check and verify use.
func (u *Up) openDB(ctx context.Context, t dbaccess.Target) (*dbaccess.Conn, error) {
	return dbaccess.Open(ctx, t, u.dbOptions())
}

// dbUsersError adds, to a run that could not log in to the instance to create the components' users, what to
// pass so it can; the steps that finished are recorded, so the next run goes on from there.
func dbUsersError(err error) error {
	var (
		de *execute.DBAccessError
		ue *dbaccess.UnreachableError
		ce *dbaccess.CertificateError
	)
	if !errors.As(err, &de) {
		return err
	}
	switch {
	case errors.As(err, &ue):
		return fmt.Errorf("%w; what finished is recorded: pass --db-address HOST:PORT for a tunnel you have (e.g. SSM port "+
			"forwarding), or --kubeconfig/--context so kfaws can log in through a relay pod in the cluster, and run kfaws up again "+
			"(or set rds.componentUsers: false)", err)
	case errors.As(err, &ce):
		return fmt.Errorf("%w; what finished is recorded: pass --db-ca-file with the RDS CA bundle "+
			"(https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem) and run kfaws up again", err)
	}
	return err
}
