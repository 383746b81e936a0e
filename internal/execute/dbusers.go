package execute

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// DBOpener opens a connection to the instance as the given account, by whichever path reaches it (dbaccess).
type DBOpener func(ctx context.Context, t dbaccess.Target) (*dbaccess.Conn, error)

// componentSecret is a component's secret: its MySQL user, password and database.
type componentSecret struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Database string `json:"database"`
}

// storedPassword reads user's password from a version of the component's secret (versionID "" for the current
// one); ok is false when that version does not hold user's JSON credentials.
func (e *Executor) storedPassword(ctx context.Context, secret, versionID, user string) (pw string, ok bool, err error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: &secret}
	if versionID != "" {
		in.VersionId = &versionID
	}
	out, err := e.AWS.SecretsManager.GetSecretValue(ctx, in)
	if err != nil {
		return "", false, fmt.Errorf("secretsmanager:GetSecretValue %q: %w", secret, err)
	}
	var v componentSecret
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil || v.Password == "" || v.Username != user {
		return "", false, nil
	}
	return v.Password, true, nil
}

// ensureDBUser creates a component's secret with a generated password (unless an earlier attempt did), logs in
// as the master user and creates the component's user with that password, granted only its database, then
// marks the secret complete, which tells later plans the user is made.
func (e *Executor) ensureDBUser(ctx context.Context, s plan.Step, p plan.EnsureDBUser) error {
	comp, ok := dbusers.ByID(p.Component)
	if !ok {
		return fmt.Errorf("step %q names no known component %q", s.ID, p.Component)
	}
	if e.OpenDB == nil {
		return fmt.Errorf("creating MySQL user %q: this run has no way to reach the database", p.User)
	}
	pw, err := e.componentPassword(ctx, comp, p)
	if err != nil {
		return err
	}
	conn, err := e.loginAsMaster(ctx, s, p.Instance, p.RDSSecretName)
	if err != nil {
		return err
	}
	defer e.closeDB(conn, p.Instance)
	// Recorded before CREATE USER, so a run killed right after it still knows the user is kfaws's.
	intend := func() error {
		return e.State.SetResource(s.Resource, state.Resource{Kind: "MySQL user", ID: p.User, Owned: true})
	}
	if err := dbusers.Ensure(ctx, conn.DB, comp, p.User, pw, p.Database, p.Recorded, intend); err != nil {
		return err
	}
	complete := ownership.CompleteTag()
	if _, err := e.AWS.SecretsManager.TagResource(ctx, &secretsmanager.TagResourceInput{
		SecretId: &p.SecretName, Tags: []smtypes.Tag{{Key: aws.String(complete.Key), Value: aws.String(complete.Value)}},
	}); err != nil {
		return fmt.Errorf("secretsmanager:TagResource %q: %w", p.SecretName, err)
	}
	return nil
}

// loginAsMaster opens a connection to the available instance as its master user, with the password in the RDS
// secret.
func (e *Executor) loginAsMaster(ctx context.Context, s plan.Step, instance, rdsSecret string) (*dbaccess.Conn, error) {
	db, err := e.availableInstance(ctx, instance)
	if err != nil {
		return nil, err
	}
	in := observe.InstanceFrom(*db)
	master, err := e.masterPassword(ctx, rdsSecret)
	if err != nil {
		return nil, err
	}
	e.progress(s, "logging in to DB instance %q as its master user", instance)
	conn, err := e.OpenDB(ctx, dbaccess.Target{Host: in.Address, Port: int(in.Port), User: in.MasterUsername, Password: master})
	if err != nil {
		return nil, &DBAccessError{Instance: instance, Err: err}
	}
	return conn, nil
}

func (e *Executor) closeDB(conn *dbaccess.Conn, instance string) {
	if err := conn.Close(); err != nil {
		e.Log.Warn("closing the database connection", "instance", instance, "error", err)
	}
}

// componentPassword generates the component's password into a new secret, or reads the one an earlier attempt
// stored: a user's password never changes once it is in its secret.
func (e *Executor) componentPassword(ctx context.Context, comp dbusers.Component, p plan.EnsureDBUser) (string, error) {
	if !p.NewSecret {
		pw, ok, err := e.storedPassword(ctx, p.SecretName, "", p.User)
		if err == nil && !ok {
			err = fmt.Errorf("secret %q does not hold the JSON credentials of MySQL user %q; delete it (kfaws creates it again) or fix it", p.SecretName, p.User)
		}
		return pw, err
	}
	pw, err := e.generatePassword(ctx)
	if err != nil {
		return "", err
	}
	value, err := json.Marshal(componentSecret{Username: p.User, Password: pw, Database: p.Database})
	if err != nil {
		return "", err
	}
	desc := fmt.Sprintf("Kubeflow database credentials (MySQL user of the %s)", comp.What)
	if err := e.createSecret(ctx, plan.KeyComponentSecret(comp.ID), secretSpec{name: p.SecretName, desc: desc,
		value: string(value), kmsKey: p.KMSKey}); err != nil {
		return "", err
	}
	return pw, nil
}

// DBAccessError says the database could not be reached, or refused the master user, while creating the
// components' users; the operation turns it into advice.
type DBAccessError struct {
	Instance string
	Err      error
}

func (e *DBAccessError) Error() string {
	return fmt.Sprintf("logging in to DB instance %q as its master user: %v", e.Instance, e.Err)
}

func (e *DBAccessError) Unwrap() error { return e.Err }
