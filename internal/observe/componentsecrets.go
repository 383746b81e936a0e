package observe

import (
	"context"

	"github.com/kfaws/kfaws/internal/dbusers"
)

// observeComponentSecrets reads the secrets of the components' own database users, whether or not
// rds.componentUsers is on now: those an earlier run created are found, and kfaws down deletes them, either way.
func (o *Observer) observeComponentSecrets(run runFunc, s *Snapshot) {
	r := o.Config.RDS
	run("the components' database secrets", func(ctx context.Context) error {
		m := map[string]Secret{}
		for _, c := range dbusers.All {
			sec, err := o.secret(ctx, c.SecretName(r.SecretName))
			if err != nil {
				return err
			}
			m[c.ID] = sec
		}
		s.ComponentSecrets = m
		return nil
	})
}
