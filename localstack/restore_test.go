package localstack_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/kfaws/kfaws/localstack"
)

// An instance restored from the final snapshot of a deleted one, or from a manual snapshot, is backed by MariaDB
// with the snapshot's master user, password (the one it had when the snapshot was taken) and plugin, whatever
// the restored instance's parameter group says; it goes through the creation delay; its password can be changed;
// and the restore call is recorded with its parameters.
func TestRestoreFromSnapshotBacksTheSnapshotsMasterUser(t *testing.T) {
	s := localstack.Shared(t)
	c := rdsClient(t, s)
	ctx := context.Background()
	createInstance(t, c, "snapsrc", "8.4.7", "snapuser", "snap-pass-1", "snapdb", "authentication_policy", "mysql_native_password")
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("snapsrc"),
		DBSnapshotIdentifier: aws.String("snapsrc-manual")}); err != nil {
		t.Fatal(err)
	}
	// Changed after the manual snapshot, before the final one.
	if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("snapsrc"),
		MasterUserPassword: aws.String("snap-pass-2"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("snapsrc"),
		FinalDBSnapshotIdentifier: aws.String("snapsrc-final")}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordCalls("rds:RestoreDBInstanceFromDBSnapshot"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ snapshot, password string }{{"snapsrc-final", "snap-pass-2"}, {"snapsrc-manual", "snap-pass-1"}} {
		id := tc.snapshot + "-restored"
		out, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
			DBInstanceIdentifier: aws.String(id), DBSnapshotIdentifier: aws.String(tc.snapshot),
			DBInstanceClass: aws.String("db.t3.small"), DeletionProtection: aws.Bool(false)})
		if err != nil {
			t.Fatalf("restoring from %s: %v", tc.snapshot, err)
		}
		if got := aws.ToString(out.DBInstance.MasterUsername); got != "snapuser" {
			t.Errorf("restored master user %q, want the snapshot's", got)
		}
		if _, err := connect(t, describe(t, c, id), "snapuser", tc.password, "snapdb"); err != nil {
			t.Errorf("%s: the snapshot's password does not log in: %v", id, err)
		}
		if p := userPlugin(t, s, "snapuser"); p != "mysql_native_password" {
			t.Errorf("%s: plugin %q, want the snapshot's mysql_native_password", id, p)
		}
		if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id),
			MasterUserPassword: aws.String("restored-pass-3"), ApplyImmediately: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := connect(t, describe(t, c, id), "snapuser", "restored-pass-3", "snapdb"); err != nil {
			t.Errorf("%s: the new password does not log in: %v", id, err)
		}
		deleteInstance(t, c, id)
	}
	calls := s.Calls()
	if len(calls) != 2 || calls[0].Params["DBSnapshotIdentifier"] != "snapsrc-final" || calls[0].Params["DBInstanceClass"] != "db.t3.small" {
		t.Errorf("recorded restore calls %+v, want two, the first from snapsrc-final", calls)
	}
}

// A restore whose snapshot's master user belongs to a live instance is refused, as a second CreateDBInstance with
// that user is.
func TestRestoreRefusesAClashingMasterUser(t *testing.T) {
	s := localstack.Shared(t)
	c := rdsClient(t, s)
	ctx := context.Background()
	createInstance(t, c, "rclash", "8.4.7", "rclashuser", "rclash-pass", "rclash", "", "")
	defer deleteInstance(t, c, "rclash")
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("rclash"),
		DBSnapshotIdentifier: aws.String("rclash-snap")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String("rclash-2"), DBSnapshotIdentifier: aws.String("rclash-snap")})
	if err == nil {
		deleteInstance(t, c, "rclash-2")
		t.Fatal("a restore whose master user another live instance has was accepted")
	}
}
