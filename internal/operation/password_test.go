package operation_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
)

// A wrong master password given for an existing instance stops up before any change, as bad input that names
// the variable and the instance but not the password; the right one is then recorded and logs in.
func TestWrongPasswordForAnExistingInstanceIsRefused(t *testing.T) {
	const right, wrong = "Right-pass-1", "Wrong-pass-1"
	in := newInstall(t, func(c *config.Config) { c.RDS.MasterPassword = wrong })
	ctx := context.Background()
	in.createInstance(ctx, t, in.clients.RDS, right)

	res, rec, err := in.up(ctx, nil)
	in.refusedBeforeAnyChange(ctx, t, err, rec, "does not log in", right, wrong)
	if res == nil || res.Plan.LoginCheck == nil {
		t.Fatalf("the plan asked for no login check: %+v", res)
	}
	noPassword(t, res.Plan, right, wrong)

	in.cfg.RDS.MasterPassword = right
	in.mustUp(ctx)
	if v := in.rdsSecret(ctx); v["password"] != right || v["username"] != in.cfg.RDS.MasterUsername {
		t.Errorf("secret holds user %q and the wrong password: %t", v["username"], v["password"] != right)
	}
	in.connect(ctx)
	if p := in.plan(ctx); p.HasChanges() {
		t.Errorf("the recorded password is planned again: %+v", p.Steps)
	}
}

// A password recorded untested that does not log in is replaced on the next run by a corrected one, after the
// same login; another wrong one is refused and leaves the secret as it was; once it holds the given password,
// there is nothing to do.
func TestCorrectedPasswordReplacesTheRecordedOne(t *testing.T) {
	const right, wrong, stillWrong = "Right-pass-2", "Wrong-pass-2", "Wrong-pass-3"
	in := newInstall(t, func(c *config.Config) { c.RDS.MasterPassword = wrong })
	ctx := context.Background()
	in.createInstance(ctx, t, in.clients.RDS, right)
	rec := &recorder{}
	if _, err := (&operation.Up{Configuration: in.configuration(), Reporter: rec, PollInterval: 20 * time.Millisecond,
		SkipPasswordCheck: true}).Run(ctx); err != nil {
		t.Fatalf("up --skip-password-check: %v\n%s", err, rec)
	}
	if in.rdsSecret(ctx)["password"] != wrong {
		t.Fatal("the untested password was not recorded")
	}

	in.cfg.RDS.MasterPassword = stillWrong
	_, rec, err := in.up(ctx, nil)
	if operation.Classify(err) != operation.BadInput || rec.has("start") || in.rdsSecret(ctx)["password"] != wrong {
		t.Fatalf("another wrong password: class %v, events %q, secret changed %t: %v", operation.Classify(err), rec,
			in.rdsSecret(ctx)["password"] != wrong, err)
	}

	in.cfg.RDS.MasterPassword = right
	p := in.plan(ctx)
	if r, _ := p.Resource(plan.KeyRDSSecret); r.Action != plan.Update || !strings.Contains(r.Detail, config.EnvDBMasterPassword) {
		t.Errorf("secret: %s %q, want an update of its password", r.Action, r.Detail)
	}
	if len(p.Steps) != 1 || p.Steps[0].ID != plan.KeyRDSSecret+":password" {
		t.Errorf("steps %+v, want only the password's", p.Steps)
	}
	noPassword(t, p, right, wrong)
	in.mustUp(ctx)
	if in.rdsSecret(ctx)["password"] != right {
		t.Error("the corrected password was not stored")
	}
	in.connect(ctx)
	if p := in.plan(ctx); p.HasChanges() {
		t.Errorf("once the secret holds the given password, the plan still has %+v", p.Steps)
	}
}

// An instance no path reaches is not given an untested password: up refuses and says how to give a path or skip
// the test; with the test skipped, the password is recorded.
func TestUnreachableInstanceGetsNoUntestedPassword(t *testing.T) {
	const pw = "Untested-pass-1"
	in := newInstall(t, func(c *config.Config) { c.RDS.MasterPassword = pw })
	ctx := context.Background()
	// Created in moto itself, the instance keeps moto's made-up endpoint, which nothing answers.
	awsCfg, err := in.stack.AWSConfig(ctx, in.cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	moto := rds.NewFromConfig(awsCfg, func(o *rds.Options) { o.BaseEndpoint = aws.String(in.stack.MotoURL) })
	in.createInstance(ctx, t, moto, pw)

	conf := in.configuration()
	conf.KubeOptions.Kubeconfig = filepath.Join(t.TempDir(), "none") // no cluster to relay through
	rec := &recorder{}
	up := &operation.Up{Configuration: conf, Reporter: rec, PollInterval: 20 * time.Millisecond,
		DB: operation.DBOptions{DialTimeout: time.Second}}
	_, err = up.Run(ctx)
	in.refusedBeforeAnyChange(ctx, t, err, rec, "--skip-password-check", pw)
	for _, hint := range []string{"--db-address", "--kubeconfig"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("the refusal does not suggest %s: %v", hint, err)
		}
	}

	up.SkipPasswordCheck = true
	if _, err := up.Run(ctx); err != nil {
		t.Fatalf("up --skip-password-check: %v\n%s", err, rec)
	}
	if in.rdsSecret(ctx)["password"] != pw {
		t.Error("with the test skipped, the given password was not recorded")
	}
}

// createInstance creates the configured instance, not kfaws's, with the master password pw, through rdsClient.
func (in *install) createInstance(ctx context.Context, t *testing.T, rdsClient *rds.Client, pw string) {
	t.Helper()
	must(t)(rdsClient.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: &in.cfg.RDS.InstanceName, DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("mysql"),
		EngineVersion: aws.String("8.0.39"), MasterUsername: aws.String(in.cfg.RDS.MasterUsername), MasterUserPassword: aws.String(pw),
		DBName: aws.String(in.cfg.RDS.DatabaseName), AllocatedStorage: aws.Int32(20)}))
}

// refusedBeforeAnyChange checks that up failed as bad input naming the variable, the instance and says, without
// any of the passwords, and that no step started, no secret, bucket or state file exists.
func (in *install) refusedBeforeAnyChange(ctx context.Context, t *testing.T, err error, rec *recorder, says string, passwords ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("up succeeded")
	}
	if c := operation.Classify(err); c != operation.BadInput {
		t.Errorf("class %v, want bad input (exit 2): %v", c, err)
	}
	for _, want := range []string{config.EnvDBMasterPassword, in.cfg.RDS.InstanceName, says, "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	for _, pw := range passwords {
		if strings.Contains(err.Error(), pw) {
			t.Errorf("the error holds a password: %v", err)
		}
	}
	if rec.has("start") {
		t.Errorf("steps ran:\n%s", rec)
	}
	var nf *smtypes.ResourceNotFoundException
	if _, err := in.clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &in.cfg.RDS.SecretName}); !errors.As(err, &nf) {
		t.Errorf("the RDS secret exists after a refused up (%v)", err)
	}
	if _, err := in.clients.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &in.cfg.S3.Bucket}); err == nil {
		t.Error("a refused up created the bucket")
	}
	if _, err := os.Stat(in.cfg.StatePath()); err == nil {
		t.Error("a refused up wrote a state file")
	}
}

// noPassword fails when the plan, as JSON or printed with its params, holds any of the passwords.
func noPassword(t *testing.T, p *plan.Plan, passwords ...string) {
	t.Helper()
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	text := string(js)
	for _, s := range p.Steps {
		text += s.Description
		if b, err := json.Marshal(s.Params); err == nil {
			text += string(b)
		}
	}
	for _, pw := range passwords {
		if strings.Contains(text, pw) {
			t.Errorf("the plan holds a password:\n%s", text)
		}
	}
}
