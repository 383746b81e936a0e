package operation_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// upFrom runs Up restoring the instance from snapshot.
func (in *install) upFrom(ctx context.Context, snapshot string) (*operation.UpResult, *recorder, error) {
	rec := &recorder{}
	res, err := (&operation.Up{Configuration: in.configuration(), Reporter: rec, PollInterval: 20 * time.Millisecond,
		FromSnapshot: snapshot}).Run(ctx)
	return res, rec, err
}

// After kfaws down took its final snapshot, up --from-snapshot restores the instance from it with kfaws's
// settings and ownership, and the RDS secret logs in to it afterwards: the secret restored from its scheduled
// deletion (its password is the snapshot's) or, deleted for good, a new one with a generated password, which up
// sets on the instance. The local stack keeps no data in a snapshot (one MariaDB serves every instance), so what
// is checked is the restore call, the instance and the login, not the rows.
func TestUpFromFinalSnapshot(t *testing.T) {
	for _, force := range []bool{false, true} {
		name := map[bool]string{false: "secret restored", true: "secret deleted for good"}[force]
		t.Run(name, func(t *testing.T) {
			in := newInstall(t)
			ctx := context.Background()
			in.mustUp(ctx)
			before := in.rdsSecret(ctx)
			in.connect(ctx)
			down, err := (&operation.Down{Configuration: in.configuration(), SkipCluster: true, ForceDeleteSecrets: force,
				PollInterval: 20 * time.Millisecond}).Run(ctx)
			if err != nil || down.FinalSnapshot == "" {
				t.Fatalf("down: final snapshot %q, %v", down.FinalSnapshot, err)
			}
			if err := in.stack.RecordCalls("rds:RestoreDBInstanceFromDBSnapshot", "rds:CreateDBInstance", "rds:ModifyDBInstance"); err != nil {
				t.Fatal(err)
			}
			in.stack.SetRDSDelay(300 * time.Millisecond) // the restored instance is creating for a while, as on RDS
			defer in.stack.SetRDSDelay(0)

			res, rec, err := in.upFrom(ctx, down.FinalSnapshot)
			if err != nil {
				t.Fatalf("up --from-snapshot: %v\nevents:\n%s", err, rec)
			}
			in.wantRestoreCall(in.stack.Calls(), down.FinalSnapshot)
			if r, _ := res.Plan.Resource(plan.KeyRDSSecret); force == (r.Action != plan.Create) {
				t.Errorf("secret: %s %q", r.Action, r.Detail)
			}
			after := in.rdsSecret(ctx)
			if samePassword := after["password"] == before["password"]; samePassword == force {
				t.Errorf("the secret's password is the old one: %t, want %t", samePassword, !force)
			}
			if after["username"] != in.cfg.RDS.MasterUsername || after["host"] == "" {
				t.Errorf("secret after the restore: user %q host %q", after["username"], after["host"])
			}
			in.connect(ctx)

			db := in.describeInstance(ctx)
			if !slices.ContainsFunc(db.TagList, func(tg rdstypes.Tag) bool {
				return aws.ToString(tg.Key) == ownership.TagInstallation && aws.ToString(tg.Value) == in.cfg.Name
			}) {
				t.Errorf("the restored instance is not tagged as installation %q's: %v", in.cfg.Name, db.TagList)
			}
			st := in.configuration().State.Snapshot()
			if r := st.Resources[plan.KeyInstance]; !r.Owned || r.ARN != aws.ToString(db.DBInstanceArn) {
				t.Errorf("state records the instance as %+v, want owned with ARN %s", r, aws.ToString(db.DBInstanceArn))
			}
			if st.Outputs.RestoringFrom != "" || st.Outputs.DBHost == "" {
				t.Errorf("state outputs after the restore: %+v", st.Outputs)
			}
			// The storage ceiling a restore cannot set was set with the password: nothing is left to do.
			if p := in.plan(ctx); p.HasChanges() {
				t.Errorf("plan after up --from-snapshot has changes: %+v", p.Steps)
			}
		})
	}
}

func (in *install) describeInstance(ctx context.Context) rdstypes.DBInstance {
	in.t.Helper()
	out, err := in.clients.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &in.cfg.RDS.InstanceName})
	if err != nil || len(out.DBInstances) == 0 {
		in.t.Fatalf("describing the instance: %v", err)
	}
	return out.DBInstances[0]
}

// wantRestoreCall checks the calls recorded during up: one restore from snapshot with the configuration's
// settings and the ownership tags, no create, and one master password change.
func (in *install) wantRestoreCall(calls []proxy.Call, snapshot string) {
	in.t.Helper()
	var restores, modifies []proxy.Call
	for _, c := range calls {
		switch c.Operation {
		case "rds:RestoreDBInstanceFromDBSnapshot":
			restores = append(restores, c)
		case "rds:ModifyDBInstance":
			modifies = append(modifies, c)
		case "rds:CreateDBInstance":
			in.t.Errorf("up --from-snapshot created the instance: %+v", c.Params)
		}
	}
	if len(restores) != 1 {
		in.t.Fatalf("%d restore calls, want 1: %+v", len(restores), calls)
	}
	r := in.cfg.RDS
	got := restores[0].Params
	want := map[string]string{
		"DBInstanceIdentifier": r.InstanceName, "DBSnapshotIdentifier": snapshot, "DBInstanceClass": r.InstanceClass,
		"DBSubnetGroupName": r.SubnetGroupName, "DBParameterGroupName": r.ParameterGroupName, "StorageType": r.StorageType,
		"MultiAZ": "true", "DeletionProtection": "true", "PubliclyAccessible": "false", "CopyTagsToSnapshot": "true",
		"Engine": "mysql",
	}
	for k, v := range want {
		if got[k] != v {
			in.t.Errorf("restore call: %s = %q, want %q", k, got[k], v)
		}
	}
	var tagged, grouped bool
	for k, v := range got {
		tagged = tagged || (strings.HasPrefix(k, "Tags.") && v == in.cfg.Name)
		grouped = grouped || (strings.HasPrefix(k, "VpcSecurityGroupIds.") && strings.HasPrefix(v, "sg-"))
	}
	if !tagged || !grouped {
		in.t.Errorf("restore call without the installation tag (%t) or the security group (%t): %v", tagged, grouped, got)
	}
	if len(modifies) != 1 || modifies[0].Params["MasterUserPassword"] != "****" || modifies[0].Params["ApplyImmediately"] != "true" {
		in.t.Errorf("master password calls: %+v, want one ModifyDBInstance with MasterUserPassword applied immediately", modifies)
	}
}

// A snapshot that does not exist, or of another MySQL major version, stops up before any change, naming it; a
// snapshot given for an instance that exists is ignored with a warning.
func TestUpFromUnusableSnapshot(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	res, _, err := in.upFrom(ctx, "no-such-snapshot")
	var ce *operation.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `DB snapshot "no-such-snapshot" (--from-snapshot) does not exist`) {
		t.Fatalf("up from a missing snapshot: %v", err)
	}
	if res.Changed || len(in.configuration().State.Snapshot().Resources) > 0 {
		t.Errorf("up from a missing snapshot changed something: %+v", in.configuration().State.Snapshot().Resources)
	}
	if _, _, err := in.upFrom(ctx, "bad--name"); operation.Classify(err) != operation.BadInput {
		t.Errorf("up from a malformed snapshot name: %v, want bad input", err)
	}

	in.mustUp(ctx)
	if _, err := in.clients.RDS.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: &in.cfg.RDS.InstanceName,
		DBSnapshotIdentifier: aws.String(in.cfg.RDS.InstanceName + "-manual")}); err != nil {
		t.Fatal(err)
	}
	res, _, err = in.upFrom(ctx, in.cfg.RDS.InstanceName+"-manual")
	if err != nil || res.Changed || !slices.ContainsFunc(res.Plan.Warnings, func(w string) bool { return strings.Contains(w, "is ignored") }) {
		t.Errorf("up --from-snapshot with the instance in place: changed %t, warnings %v, %v", res.Changed, res.Plan.Warnings, err)
	}
}

// An up --from-snapshot killed once the restore call is made finishes with a plain up: the state says the
// instance still has the snapshot's master password, so up sets the secret's before recording the endpoint.
func TestUpFromSnapshotKilledAfterTheRestore(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	in.mustUp(ctx)
	down, err := (&operation.Down{Configuration: in.configuration(), SkipCluster: true, ForceDeleteSecrets: true,
		PollInterval: 20 * time.Millisecond}).Run(ctx)
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	killCtx, kill := context.WithCancel(ctx)
	defer kill()
	rec := &recorder{hook: func(event, step string) {
		if event == "done" && step == plan.KeyInstance+":create" {
			kill()
		}
	}}
	_, err = (&operation.Up{Configuration: in.configuration(), Reporter: rec, PollInterval: 20 * time.Millisecond,
		FromSnapshot: down.FinalSnapshot}).Run(killCtx)
	if err == nil {
		t.Fatalf("up was not killed after the restore:\n%s", rec)
	}
	if got := in.configuration().State.Snapshot().Outputs.RestoringFrom; got != down.FinalSnapshot {
		t.Fatalf("state after the killed restore: restoringFrom %q, want %q", got, down.FinalSnapshot)
	}
	res := in.mustUp(ctx)
	if !slices.ContainsFunc(res.Plan.Steps, func(s plan.Step) bool { return s.Kind() == plan.KindSetMasterPassword }) {
		t.Errorf("the resumed up does not set the master password: %+v", res.Plan.Steps)
	}
	in.connect(ctx)
	if p := in.plan(ctx); p.HasChanges() {
		t.Errorf("plan after the resumed up has changes: %+v", p.Steps)
	}
}
