package plan

import (
	"fmt"
	"strings"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbusers"
)

// KeyComponentUser and KeyComponentSecret are the state keys of a component's MySQL user and of the secret
// holding its password.
func KeyComponentUser(id string) string   { return "rds/user/" + id }
func KeyComponentSecret(id string) string { return "rds/user-secret/" + id }

// componentOf is the component whose user or secret key is, if any.
func componentOf(key string) (dbusers.Component, bool) {
	for _, prefix := range []string{"rds/user/", "rds/user-secret/"} {
		if id, ok := strings.CutPrefix(key, prefix); ok {
			return dbusers.ByID(id)
		}
	}
	return dbusers.Component{}, false
}

// EnsureDBUser creates a component's MySQL user on the available instance, granted only its own database, with
// a password generated into the component's secret. It runs again after an interruption: the secret, once
// created, holds the password, and a user the state records as kfaws's is granted again, never given a new
// password.
type EnsureDBUser struct {
	Component string
	User      string
	Database  string
	// SecretName is the component's secret; NewSecret says it does not exist yet.
	SecretName string
	NewSecret  bool
	// Recorded is true when the state recorded the user as kfaws's before this run: only then may an existing
	// user of that name be used.
	Recorded bool
	// Instance and RDSSecretName are where kfaws logs in as the master user.
	Instance      string
	RDSSecretName string
	// KMSKey encrypts a new secret (kms.key), "" for Secrets Manager's own key.
	KMSKey string
}

// Kind implements Params.
func (EnsureDBUser) Kind() StepKind { return KindEnsureDBUser }

// componentUsers plans one MySQL user per component, each with its own secret (rds.componentUsers). The users
// live inside the instance, where plan cannot look: their secret's state stands for them (complete once the
// user is made), and the state file records each user kfaws created.
func (b *builder) componentUsers() {
	if !b.cfg.UsesComponentUsers() {
		return
	}
	ir, _ := b.p.Resource(KeyInstance)
	newInstance := ir.Action == Create
	for _, c := range dbusers.All {
		b.componentUser(c, newInstance)
	}
}

func (b *builder) componentUser(c dbusers.Component, newInstance bool) {
	r := b.cfg.RDS
	user, name, db := c.UserName(r.MasterUsername), c.SecretName(r.SecretName), c.Database(r.DatabaseName)
	sec := b.snap.ComponentSecrets[c.ID]
	uk, sk := KeyComponentUser(c.ID), KeyComponentSecret(c.ID)
	ur := Resource{Key: uk, Kind: "MySQL user", Name: user, Field: "rds.masterUsername",
		Detail: fmt.Sprintf("for the %s, granted only database %q", c.What, db)}
	sr := Resource{Key: sk, Kind: "secret", Name: name, Field: "rds.secretName", ARN: sec.ARN}
	rec, ok := b.recorded.Resources[uk]
	recorded := ok && rec.Owned && rec.ID == user
	owned := b.owned(sk, name, sec.Presence)
	params := EnsureDBUser{Component: c.ID, User: user, Database: db, SecretName: name, Recorded: recorded,
		Instance: r.InstanceName, RDSSecretName: r.SecretName, KMSKey: b.key}
	verb := "create"
	switch {
	case b.foreign(sec.Presence):
		ur.Action = Exists
		belongsToAnother(&sr, sec.Installation, "secret")
	case sec.Exists && !owned:
		ur.Action, sr.Action = Exists, Conflict
		sr.Detail = "secret exists and was not created by this installation; kfaws never changes it: delete it or choose another rds.secretName"
	case !sec.Exists:
		ur.Action, ur.Owned, sr.Action, sr.Owned = Create, true, Create, true
		sr.Detail = "generated password of MySQL user " + user
		params.NewSecret = true
	case sec.Deleted:
		b.step(sk, "restore", RestoreSecret{Name: name}, fmt.Sprintf("restore secret %q, which kfaws down scheduled for deletion", name))
		ur.Action, ur.Owned, sr.Action, sr.Owned = Update, true, Update, true
		sr.Detail, verb = "restored from the deletion kfaws down scheduled; its password is reused", "ensure"
	case !sec.Complete || newInstance:
		ur.Action, ur.Owned, sr.Action, sr.Owned = Update, true, Exists, true
		ur.Detail += "; its password is the one in the secret"
		verb = "ensure"
	default:
		ur.Action, ur.Owned, sr.Action, sr.Owned = Exists, true, Exists, true
	}
	if ur.Action == Create || ur.Action == Update {
		desc := fmt.Sprintf("create MySQL user %q for the %s, granted only database %q; its password generated into secret %q",
			user, c.What, db, name)
		if !params.NewSecret {
			desc = fmt.Sprintf("create (if missing) MySQL user %q for the %s with the password in secret %q, granted only database %q",
				user, c.What, name, db)
		}
		b.step(uk, verb, params, desc, KeyInstance, KeyRDSSecret, sk, KeyKMSKey)
	}
	if why := b.rotation(sec, recorded, owned); why != "" {
		b.rotateStep(c, why, &ur, &sr, RotateDBPassword{Component: c.ID, User: user, Database: db, SecretName: name,
			Instance: r.InstanceName, RDSSecretName: r.SecretName})
	}
	b.add(sr)
	b.add(ur)
}

// downComponentUsers decides the components' users and secrets in a teardown: the users go with the instance
// when kfaws deletes it, and their secrets with them; on an instance kfaws keeps, both stay, so Kubeflow's
// components can still log in.
func (b *builder) downComponentUsers(o DownOptions) {
	ir, _ := b.p.Resource(KeyInstance)
	instanceGoes := ir.Action == Delete
	for _, c := range dbusers.All {
		uk, sk := KeyComponentUser(c.ID), KeyComponentSecret(c.ID)
		if rec, ok := b.recorded.Resources[uk]; ok && rec.Owned {
			r := Resource{Key: uk, Kind: "MySQL user", Name: rec.ID, Owned: true, Action: Keep,
				Detail: "on a DB instance kfaws keeps: kept with its secret"}
			if instanceGoes {
				r.Action, r.Detail = Delete, "goes with DB instance "+ir.Name
				b.p.Forget = append(b.p.Forget, uk)
			}
			b.add(r)
		}
		sec := b.snap.ComponentSecrets[c.ID]
		name := c.SecretName(b.cfg.RDS.SecretName)
		if rec, ok := b.recorded.Resources[sk]; ok && rec.ID != "" {
			name = rec.ID
		}
		b.downComponentSecret(target{stateKey: sk, key: sk, name: name, presence: sec.Presence, scheduled: sec.Deleted}, instanceGoes, o)
	}
}

func (b *builder) downComponentSecret(t target, instanceGoes bool, o DownOptions) {
	if !t.presence.Exists {
		if _, ok := b.recorded.Resources[t.stateKey]; ok {
			b.p.Forget = append(b.p.Forget, t.stateKey)
		}
		return
	}
	r := Resource{Key: t.stateKey, Kind: "secret", Name: t.name, ARN: t.presence.ARN}
	switch {
	case !b.owned(t.key, t.name, t.presence):
		r.Action, r.Detail = Keep, "not created by this installation: never deleted"
	case !instanceGoes:
		r.Action, r.Owned, r.Detail = Keep, true, "password of a MySQL user on a DB instance kfaws keeps: kept"
	default:
		r.Action, r.Owned = Delete, true
		b.deleteStep(t, &r, o)
	}
	b.add(r)
}

// componentID is the component a user or secret key names, "" for another key.
func componentID(key string) string {
	c, _ := componentOf(key)
	return c.ID
}

// componentSecretNames are the components' secrets the secrets sync reads, when rds.componentUsers is on.
func componentSecretNames(c *config.Config) []string {
	if !c.UsesComponentUsers() {
		return nil
	}
	var out []string
	for _, comp := range dbusers.All {
		out = append(out, comp.SecretName(c.RDS.SecretName))
	}
	return out
}
