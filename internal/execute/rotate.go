package execute

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/plan"
)

// The staging labels of AWS's rotation protocol.
const (
	stageCurrent = "AWSCURRENT"
	stagePending = "AWSPENDING"
)

// rotateDBPassword gives a component's user a new password: staged in its secret as AWSPENDING (or the one an
// interrupted run staged), set on the user by the master user, then made AWSCURRENT. Until the last step the
// secret's current password still works, or (after ALTER USER) the pending one does, and a run killed anywhere
// finds the pending version and finishes with the same password.
func (e *Executor) rotateDBPassword(ctx context.Context, s plan.Step, p plan.RotateDBPassword) error {
	comp, ok := dbusers.ByID(p.Component)
	if !ok {
		return fmt.Errorf("step %q names no known component %q", s.ID, p.Component)
	}
	if e.OpenDB == nil {
		return fmt.Errorf("rotating the password of MySQL user %q: this run has no way to reach the database", p.User)
	}
	current, pending, err := e.secretVersions(ctx, p.SecretName)
	if err != nil {
		return err
	}
	var pw string
	if pending != "" {
		e.progress(s, "reusing the password an interrupted run staged in secret %q", p.SecretName)
		pw, err = e.pendingPassword(ctx, p, pending)
	} else {
		e.progress(s, "staging a new password in secret %q as %s", p.SecretName, stagePending)
		pending, pw, err = e.stagePassword(ctx, p)
	}
	if err != nil {
		return err
	}
	conn, err := e.loginAsMaster(ctx, s, p.Instance, p.RDSSecretName)
	if err != nil {
		return err
	}
	defer e.closeDB(conn, p.Instance)
	if err := dbusers.SetPassword(ctx, conn.DB, comp, p.User, pw); err != nil {
		return err
	}
	e.progress(s, "making the new password of secret %q %s", p.SecretName, stageCurrent)
	return e.promote(ctx, p.SecretName, current, pending)
}

// secretVersions reads which versions of a secret are AWSCURRENT and AWSPENDING ("" for none).
func (e *Executor) secretVersions(ctx context.Context, name string) (current, pending string, err error) {
	out, err := e.AWS.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &name})
	if err != nil {
		return "", "", fmt.Errorf("secretsmanager:DescribeSecret %q: %w", name, err)
	}
	for id, stages := range out.VersionIdsToStages {
		if slices.Contains(stages, stageCurrent) {
			current = id
		}
		if slices.Contains(stages, stagePending) {
			pending = id
		}
	}
	if current == "" {
		return "", "", fmt.Errorf("secret %q has no %s version; delete it (kfaws creates it again) or fix it", name, stageCurrent)
	}
	return current, pending, nil
}

// pendingPassword reads the password staged in version id.
func (e *Executor) pendingPassword(ctx context.Context, p plan.RotateDBPassword, id string) (string, error) {
	pw, ok, err := e.storedPassword(ctx, p.SecretName, id, p.User)
	if err == nil && !ok {
		err = fmt.Errorf("the %s version %s of secret %q does not hold the JSON credentials of MySQL user %q; remove "+
			"that label (aws secretsmanager update-secret-version-stage --secret-id %s --version-stage %s --remove-from-version-id %s) "+
			"and run kfaws up again", stagePending, id, p.SecretName, p.User, p.SecretName, stagePending, id)
	}
	return pw, err
}

// stagePassword generates a password and stores it as a new AWSPENDING version of the secret.
func (e *Executor) stagePassword(ctx context.Context, p plan.RotateDBPassword) (version, password string, err error) {
	pw, err := e.generatePassword(ctx)
	if err != nil {
		return "", "", err
	}
	value, err := json.Marshal(componentSecret{Username: p.User, Password: pw, Database: p.Database})
	if err != nil {
		return "", "", err
	}
	out, err := e.AWS.SecretsManager.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: &p.SecretName,
		SecretString: aws.String(string(value)), VersionStages: []string{stagePending}})
	if err != nil {
		return "", "", fmt.Errorf("secretsmanager:PutSecretValue %q (%s): %w", p.SecretName, stagePending, err)
	}
	return aws.ToString(out.VersionId), pw, nil
}

// promote makes the pending version AWSCURRENT (AWS moves AWSPREVIOUS to the one it replaces) and takes its
// AWSPENDING label off, each only if not done yet.
func (e *Executor) promote(ctx context.Context, name, current, pending string) error {
	if current != pending {
		if _, err := e.AWS.SecretsManager.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
			SecretId: &name, VersionStage: aws.String(stageCurrent), MoveToVersionId: &pending, RemoveFromVersionId: &current,
		}); err != nil {
			return fmt.Errorf("secretsmanager:UpdateSecretVersionStage %q (%s to version %s): %w", name, stageCurrent, pending, err)
		}
	}
	if _, err := e.AWS.SecretsManager.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: &name, VersionStage: aws.String(stagePending), RemoveFromVersionId: &pending,
	}); err != nil {
		return fmt.Errorf("secretsmanager:UpdateSecretVersionStage %q (%s off version %s): %w", name, stagePending, pending, err)
	}
	return nil
}
