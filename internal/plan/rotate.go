package plan

import (
	"fmt"

	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/observe"
)

// RotateDBPassword gives a component's MySQL user a new password by AWS's rotation protocol, so a run killed at
// any point is finished by the next one and no password is ever lost: the new password is staged in the
// component's secret as AWSPENDING (an AWSPENDING version already there is reused, never generated again), set
// on the user by the master user, then made AWSCURRENT and the AWSPENDING label taken off.
type RotateDBPassword struct {
	Component string
	User      string
	Database  string
	// SecretName is the component's secret.
	SecretName string
	// Instance and RDSSecretName are where kfaws logs in as the master user.
	Instance      string
	RDSSecretName string
}

// Kind implements Params.
func (RotateDBPassword) Kind() StepKind { return KindRotateDBPassword }

// Why a component user's password is rotated, as plan lines say it.
const (
	finishRotation = "finish the password rotation an interrupted run began"
	askedRotation  = "rotate its password: a new one generated into the secret, set on the user, then made current"
)

// rotation decides whether a component's user gets a new password in this run: when an interrupted run left a
// version staged AWSPENDING in its secret, always; otherwise when the run asks (Options.RotateDBPasswords). Only a
// user the state records as kfaws's, whose existing secret kfaws owns and completed, is ever rotated. It returns
// what the plan line says, "" for no rotation.
func (b *builder) rotation(sec observe.Secret, recorded, owned bool) string {
	switch {
	case !recorded || !owned || !sec.Exists || sec.Deleted || !sec.Complete:
		return ""
	case sec.Pending != "":
		return finishRotation
	case b.opts.RotateDBPasswords:
		return askedRotation
	}
	return ""
}

// rotateStep adds the rotation of a component's user, after any step that (re)creates it, and marks the user
// and its secret as updated.
func (b *builder) rotateStep(c dbusers.Component, why string, ur, sr *Resource, p RotateDBPassword) {
	ur.Action, sr.Action = Update, Update
	ur.Detail += "; " + why
	desc := fmt.Sprintf("rotate the password of MySQL user %q (the %s): stage a new one in secret %q as AWSPENDING, "+
		"set it on the user, then make it AWSCURRENT", p.User, c.What, p.SecretName)
	sr.Detail = "a new password staged AWSPENDING, then made AWSCURRENT"
	if why == finishRotation {
		desc = fmt.Sprintf("%s for MySQL user %q (the %s): set the password staged AWSPENDING in secret %q on the user, "+
			"then make it AWSCURRENT", finishRotation, p.User, c.What, p.SecretName)
		sr.Detail = "its AWSPENDING password made AWSCURRENT"
	}
	b.step(ur.Key, "rotate", p, desc, KeyInstance, KeyRDSSecret, sr.Key, ur.Key)
}
