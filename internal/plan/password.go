package plan

import (
	"fmt"

	"github.com/kfaws/kfaws/internal/config"
)

// LoginCheck asks up to log in to an existing DB instance with the master password given in
// KFAWS_DB_MASTER_PASSWORD before any step runs, so a wrong password is refused instead of recorded. The plan
// carries where to log in, never the password.
type LoginCheck struct {
	// Instance is the DB instance's identifier, for messages.
	Instance string
	// Username is the instance's master user.
	Username string
	// Host and Port are the instance's endpoint; Host is "" while RDS reports none (Status says why).
	Host   string
	Port   int32
	Status string
}

// testGivenPassword has up log in to the existing instance with the given password before any change.
func (b *builder) testGivenPassword() {
	in := b.snap.Instance
	user := in.MasterUsername
	if user == "" {
		user = b.cfg.RDS.MasterUsername
	}
	b.p.LoginCheck = &LoginCheck{Instance: b.cfg.RDS.InstanceName, Username: user, Host: in.Address, Port: in.Port, Status: in.Status}
}

// givenPassword decides what a password given in KFAWS_DB_MASTER_PASSWORD that the existing secret does not
// hold does: it replaces the password in a secret kfaws created, tested first by logging in when the instance
// exists (instanceExists); a secret kfaws did not create is never changed, so the contradiction is a conflict.
// It reports whether the secret changes.
func (b *builder) givenPassword(sr *Resource, secretOwned, instanceExists bool) bool {
	c := b.cfg.RDS
	if !b.snap.RDSSecret.PasswordDiffers {
		return false
	}
	if !secretOwned {
		sr.Action = Conflict
		sr.Detail = "secret not created by kfaws holds another master password than " + config.EnvDBMasterPassword +
			"; kfaws never changes it: put the password into the secret yourself, or unset " + config.EnvDBMasterPassword
		return false
	}
	sr.Action, sr.Detail = Update, "store the new password given in "+config.EnvDBMasterPassword
	desc := fmt.Sprintf("store the master password given in %s in secret %q", config.EnvDBMasterPassword, c.SecretName)
	user := c.MasterUsername
	if instanceExists {
		b.testGivenPassword()
		user = b.p.LoginCheck.Username
		sr.Detail += ", once it logs in to the instance"
		desc = fmt.Sprintf("store the master password given in %s, which logged in to DB instance %q, in secret %q",
			config.EnvDBMasterPassword, c.InstanceName, c.SecretName)
	}
	b.step(KeyRDSSecret, "password", StoreGivenPassword{SecretName: c.SecretName, Username: user}, desc, KeyRDSSecret)
	return true
}
