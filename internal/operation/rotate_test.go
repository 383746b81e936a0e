package operation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/middleware"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
)

// errAccessDenied is MySQL's ER_ACCESS_DENIED_ERROR: a login with a wrong password.
const errAccessDenied = 1045

// rotateUp runs up with --rotate-db-passwords (or a plain up) on conf.
func rotateUp(ctx context.Context, conf *operation.Configuration, rotate bool) (*operation.UpResult, *recorder, error) {
	rec := &recorder{}
	res, err := (&operation.Up{Configuration: conf, Reporter: rec, PollInterval: 20 * time.Millisecond, RotateDBPasswords: rotate}).Run(ctx)
	return res, rec, err
}

// passwords reads each component secret's current password.
func (in *install) passwords(ctx context.Context) map[string]string {
	out := map[string]string{}
	for _, c := range dbusers.All {
		out[c.ID] = in.secretJSON(ctx, c.SecretName(in.cfg.RDS.SecretName))["password"]
	}
	return out
}

// stages reads a secret's version ids by staging label.
func (in *install) stages(ctx context.Context, name string) map[string][]string {
	in.t.Helper()
	out, err := in.clients.SecretsManager.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &name})
	if err != nil {
		in.t.Fatal(err)
	}
	m := map[string][]string{}
	for id, stages := range out.VersionIdsToStages {
		for _, s := range stages {
			m[s] = append(m[s], id)
		}
	}
	return m
}

// pendingPassword reads the password staged AWSPENDING in a secret, "" when none is.
func (in *install) pendingPassword(ctx context.Context, name string) string {
	in.t.Helper()
	if len(in.stages(ctx, name)["AWSPENDING"]) == 0 {
		return ""
	}
	out, err := in.clients.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name,
		VersionStage: aws.String("AWSPENDING")})
	if err != nil {
		in.t.Fatal(err)
	}
	v := map[string]string{}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil {
		in.t.Fatal(err)
	}
	return v["password"]
}

// loginWorks reports whether the component's user logs in with password; a refusal other than access denied
// fails the test.
func (in *install) loginWorks(ctx context.Context, c dbusers.Component, password string) bool {
	in.t.Helper()
	db := in.loginAs(ctx, map[string]string{"username": c.UserName(in.cfg.RDS.MasterUsername), "password": password}, "")
	err := db.PingContext(ctx)
	if err != nil && mysqlErrno(err) != errAccessDenied {
		in.t.Fatalf("logging in as the %s's user: %v", c.ID, err)
	}
	return err == nil
}

// grantsOf are the users' grants without the password hashes SHOW GRANTS prints.
func (in *install) grantsOf(ctx context.Context) map[string][]string {
	in.t.Helper()
	root, err := in.stack.MySQLRoot(ctx)
	if err != nil {
		in.t.Fatal(err)
	}
	defer root.Close()
	out := map[string][]string{}
	for _, c := range dbusers.All {
		grants, err := dbusers.Grants(ctx, root, c.UserName(in.cfg.RDS.MasterUsername))
		if err != nil {
			in.t.Fatal(err)
		}
		for _, g := range grants {
			g, _, _ = strings.Cut(g, " IDENTIFIED")
			out[c.ID] = append(out[c.ID], g)
		}
	}
	return out
}

// noPasswordIn fails when any of passwords appears in what up returned, reported or recorded.
func (in *install) noPasswordIn(res *operation.UpResult, rec *recorder, err error, passwords ...map[string]string) {
	in.t.Helper()
	var texts []string
	if res != nil {
		doc, err := json.Marshal(res)
		if err != nil {
			in.t.Fatal(err)
		}
		texts = append(texts, string(doc))
		for _, s := range res.Plan.Steps {
			texts = append(texts, s.Description)
		}
	}
	if err != nil {
		texts = append(texts, err.Error())
	}
	texts = append(texts, rec.String())
	for _, pws := range passwords {
		for id, pw := range pws {
			if pw == "" {
				continue
			}
			for _, t := range texts {
				if strings.Contains(t, pw) {
					in.t.Errorf("the %s password appears in up's result, events or error", id)
				}
			}
			assertNoSecretInState(in.t, in.cfg.StatePath(), pw)
		}
	}
}

// TestRotateDBPasswords: up --rotate-db-passwords gives every component user a new password, which logs in
// while the old one no longer does, with the grants unchanged and nothing left staged; plan shows it first, and
// a plain plan afterwards has nothing to do. No password is printed, reported or recorded.
func TestRotateDBPasswords(t *testing.T) {
	ctx := context.Background()
	in := newInstall(t, componentUsers)
	in.mustUp(ctx)
	old, grants := in.passwords(ctx), in.grantsOf(ctx)

	preview, err := (&operation.Plan{Configuration: in.configuration(), RotateDBPasswords: true}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range dbusers.All {
		if r, _ := preview.Plan.Resource(plan.KeyComponentUser(c.ID)); r.Action != plan.Update {
			t.Errorf("plan --rotate-db-passwords, user of %s: %s %q", c.ID, r.Action, r.Detail)
		}
	}
	if n := len(preview.Plan.Steps); n != len(dbusers.All) {
		t.Errorf("plan --rotate-db-passwords has %d steps, want one rotation per component: %v", n, preview.Plan.Steps)
	}

	res, rec, err := rotateUp(ctx, in.configuration(), true)
	if err != nil {
		t.Fatalf("up --rotate-db-passwords: %v\n%s", err, rec)
	}
	want := []string{dbusers.KFPAPI.ID, dbusers.Cache.ID, dbusers.MLMD.ID, dbusers.Katib.ID}
	if !slices.Equal(res.RotatedDBPasswords, want) {
		t.Errorf("rotated %v, want %v", res.RotatedDBPasswords, want)
	}
	rotated := in.passwords(ctx)
	for _, c := range dbusers.All {
		name := c.SecretName(in.cfg.RDS.SecretName)
		if rotated[c.ID] == old[c.ID] || len(rotated[c.ID]) != 32 {
			t.Errorf("%s: the secret's password was not replaced by a new one of 32 characters", c.ID)
		}
		if !in.loginWorks(ctx, c, rotated[c.ID]) {
			t.Errorf("%s: the new password does not log in", c.ID)
		}
		if in.loginWorks(ctx, c, old[c.ID]) {
			t.Errorf("%s: the old password still logs in", c.ID)
		}
		if st := in.stages(ctx, name); len(st["AWSPENDING"]) > 0 || len(st["AWSCURRENT"]) != 1 || len(st["AWSPREVIOUS"]) != 1 {
			t.Errorf("%s: secret versions by stage after the rotation: %v", c.ID, st)
		}
		if sec := in.secretJSON(ctx, name); sec["username"] != c.UserName(in.cfg.RDS.MasterUsername) || sec["database"] != c.Database(in.cfg.RDS.DatabaseName) {
			t.Errorf("%s: secret after the rotation names user %q database %q", c.ID, sec["username"], sec["database"])
		}
	}
	if after := in.grantsOf(ctx); !jsonEqual(after, grants) {
		t.Errorf("grants changed by the rotation:\nbefore %v\nafter  %v", grants, after)
	}
	in.noPasswordIn(res, rec, err, old, rotated)

	if p := in.plan(ctx); p.HasChanges() {
		t.Errorf("plan after the rotation has steps: %v", p.Steps)
	}
	again := in.mustUp(ctx)
	if again.Changed || len(again.RotatedDBPasswords) > 0 {
		t.Errorf("a plain up after the rotation changed something: rotated %v", again.RotatedDBPasswords)
	}
	if got := in.passwords(ctx); !jsonEqual(got, rotated) {
		t.Error("a plain up after the rotation changed a password")
	}
}

// TestRotateWithoutComponentUsers: the flag without rds.componentUsers is bad input naming the field.
func TestRotateWithoutComponentUsers(t *testing.T) {
	in := newInstall(t, func(c *config.Config) { c.Option = config.OptionRDSOnly })
	_, err := (&operation.Plan{Configuration: in.configuration(), RotateDBPasswords: true}).Run(context.Background())
	if operation.Classify(err) != operation.BadInput || !strings.Contains(fmt.Sprint(err), "rds.componentUsers") {
		t.Errorf("plan --rotate-db-passwords without rds.componentUsers: %v, want bad input naming rds.componentUsers", err)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// killedAtStageMove returns clients with which the run dies just before the UpdateSecretVersionStage that moves
// stage in secret: the context is cancelled (what SIGINT does) and the call never reaches AWS.
func (in *install) killedAtStageMove(t *testing.T, secret, stage string, kill context.CancelFunc) *kaws.Clients {
	t.Helper()
	cfg, err := in.stack.AWSConfig(context.Background(), in.cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("killAtStageMove",
			func(ctx context.Context, input middleware.InitializeInput, next middleware.InitializeHandler) (
				middleware.InitializeOutput, middleware.Metadata, error) {
				p, ok := input.Parameters.(*secretsmanager.UpdateSecretVersionStageInput)
				hit := ok && awsmiddleware.GetServiceID(ctx) == "Secrets Manager" &&
					aws.ToString(p.SecretId) == secret && aws.ToString(p.VersionStage) == stage
				if hit {
					kill()
					return middleware.InitializeOutput{}, middleware.Metadata{}, errKilled
				}
				return next.HandleInitialize(ctx, input)
			}), middleware.After)
	})
	return kaws.NewClients(cfg)
}

// TestRotateDBPasswordsKilled: a rotation killed after ALTER USER and before the promotion, or between moving
// AWSCURRENT and taking AWSPENDING off, is finished by the next plain up (no flag) with the password the
// interrupted run staged, which then logs in; plan shows it as the rotation to finish.
func TestRotateDBPasswordsKilled(t *testing.T) {
	for _, tc := range []struct{ name, stage string }{
		{"before the promotion", "AWSCURRENT"},
		{"after AWSCURRENT moved", "AWSPENDING"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rotateKilled(t, tc.stage)
		})
	}
}

func rotateKilled(t *testing.T, stage string) {
	bg := context.Background()
	in := newInstall(t, componentUsers)
	in.mustUp(bg)
	old := in.passwords(bg)
	mlmd := dbusers.MLMD
	secret := mlmd.SecretName(in.cfg.RDS.SecretName)

	ctx, kill := context.WithCancel(bg)
	defer kill()
	conf := in.configuration()
	conf.AWS = in.killedAtStageMove(t, secret, stage, kill)
	res, rec, err := rotateUp(ctx, conf, true)
	if !errors.Is(err, errKilled) && !errors.Is(err, context.Canceled) {
		t.Fatalf("the rotation was not killed at %s: %v\n%s", stage, err, rec)
	}
	// The other components' rotations ran alongside and may have finished before the kill.
	afterKill, pending := in.passwords(bg), map[string]string{}
	for _, c := range dbusers.All {
		pending[c.ID] = in.pendingPassword(bg, c.SecretName(in.cfg.RDS.SecretName))
	}
	if pending[mlmd.ID] == "" {
		t.Fatalf("no password is staged AWSPENDING in %s after the kill", secret)
	}
	if !in.loginWorks(bg, mlmd, pending[mlmd.ID]) {
		t.Fatal("the kill came before ALTER USER: the staged password does not log in")
	}
	in.noPasswordIn(res, rec, err, old, pending)

	p := in.plan(bg)
	if r, _ := p.Resource(plan.KeyComponentUser(mlmd.ID)); r.Action != plan.Update || !strings.Contains(r.Detail, "finish the password rotation an interrupted run began") {
		t.Errorf("plan after the kill, user of %s: %s %q", mlmd.ID, r.Action, r.Detail)
	}
	res, rec, err = rotateUp(bg, in.configuration(), false)
	if err != nil {
		t.Fatalf("plain up after the kill: %v\n%s", err, rec)
	}
	if !slices.Contains(res.RotatedDBPasswords, mlmd.ID) {
		t.Errorf("the plain up reports rotations %v, want %s among them", res.RotatedDBPasswords, mlmd.ID)
	}
	final := in.passwords(bg)
	for _, c := range dbusers.All {
		want := afterKill[c.ID]
		if pending[c.ID] != "" {
			want = pending[c.ID] // staged by the killed run: finished with that very password
		}
		if final[c.ID] != want {
			t.Errorf("%s: the secret's password after the finishing up is not the one staged (or, with none staged, the one it held)", c.ID)
		}
		if c.ID == mlmd.ID && final[c.ID] == old[c.ID] {
			t.Errorf("%s: the finishing up left the old password", c.ID)
		}
		if !in.loginWorks(bg, c, final[c.ID]) {
			t.Errorf("%s: the secret's password does not log in after the finishing up", c.ID)
		}
		if st := in.stages(bg, c.SecretName(in.cfg.RDS.SecretName)); len(st["AWSPENDING"]) > 0 || len(st["AWSCURRENT"]) != 1 {
			t.Errorf("%s: secret versions by stage after the finishing up: %v", c.ID, st)
		}
	}
	in.noPasswordIn(res, rec, err, old, afterKill, final)
	if p := in.plan(bg); p.HasChanges() {
		t.Errorf("plan after the finished rotation has steps: %v", p.Steps)
	}
}
