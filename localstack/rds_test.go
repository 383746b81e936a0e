package localstack_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/go-sql-driver/mysql"

	"github.com/kfaws/kfaws/localstack"
)

func TestMain(m *testing.M) { localstack.TestMain(m) }

func rdsClient(t *testing.T, s *localstack.Stack) *rds.Client {
	t.Helper()
	cfg, err := s.AWSConfig(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return rds.NewFromConfig(cfg)
}

// createInstance creates a MySQL instance, optionally in a new parameter
// group whose auth parameter is set to plugin.
func createInstance(t *testing.T, c *rds.Client, id, version, user, password, dbName, authParam, plugin string) *rdstypes.DBInstance {
	t.Helper()
	ctx := context.Background()
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("mysql"),
		EngineVersion: aws.String(version), AllocatedStorage: aws.Int32(20),
		MasterUsername: aws.String(user), MasterUserPassword: aws.String(password), DBName: aws.String(dbName),
	}
	if authParam != "" {
		group := id + "-params"
		family := "mysql" + version[:3]
		if _, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String(group),
			DBParameterGroupFamily: aws.String(family), Description: aws.String("test")}); err != nil {
			t.Fatalf("creating parameter group: %v", err)
		}
		if _, err := c.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String(group),
			Parameters: []rdstypes.Parameter{{ParameterName: aws.String(authParam), ParameterValue: aws.String(plugin),
				ApplyMethod: rdstypes.ApplyMethodPendingReboot}}}); err != nil {
			t.Fatalf("modifying parameter group: %v", err)
		}
		in.DBParameterGroupName = aws.String(group)
	}
	out, err := c.CreateDBInstance(ctx, in)
	if err != nil {
		t.Fatalf("creating instance %q: %v", id, err)
	}
	return out.DBInstance
}

func deleteInstance(t *testing.T, c *rds.Client, id string) {
	t.Helper()
	_, err := c.DeleteDBInstance(context.Background(), &rds.DeleteDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), SkipFinalSnapshot: aws.Bool(true)})
	if err != nil {
		t.Fatalf("deleting instance %q: %v", id, err)
	}
}

func describe(t *testing.T, c *rds.Client, id string) rdstypes.DBInstance {
	t.Helper()
	out, err := c.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatalf("describing instance %q: %v", id, err)
	}
	return out.DBInstances[0]
}

// connect opens a connection as the master user to the instance's endpoint.
func connect(t *testing.T, inst rdstypes.DBInstance, user, password, dbName string) (*sql.DB, error) {
	t.Helper()
	if inst.Endpoint == nil {
		t.Fatalf("instance %q has no endpoint", aws.ToString(inst.DBInstanceIdentifier))
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.DBName = user, password, dbName
	cfg.Net = "tcp"
	cfg.Addr = aws.ToString(inst.Endpoint.Address) + ":" + strconv.Itoa(int(aws.ToInt32(inst.Endpoint.Port)))
	cfg.AllowNativePasswords = true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { db.Close() })
	return db, db.Ping()
}

// userPlugin reads the auth plugin of user@'%' on MariaDB.
func userPlugin(t *testing.T, s *localstack.Stack, user string) string {
	t.Helper()
	root, err := s.MySQLRoot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var plugin string
	err = root.QueryRow("SELECT plugin FROM mysql.user WHERE User = ? AND Host = '%'", user).Scan(&plugin)
	if errors.Is(err, sql.ErrNoRows) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return plugin
}

func TestCreateInstanceMasterUserConnects(t *testing.T) {
	s := localstack.Shared(t)
	c := rdsClient(t, s)
	created := createInstance(t, c, "connect-db", "8.4.7", "kfadmin", "s3cret-Pass", "kubeflow", "", "")
	if got := aws.ToString(created.Endpoint.Address); got != "127.0.0.1" {
		t.Errorf("CreateDBInstance endpoint address = %q, want 127.0.0.1", got)
	}
	inst := describe(t, c, "connect-db")
	if got := aws.ToString(inst.DBInstanceStatus); got != "available" {
		t.Errorf("status = %q, want available", got)
	}
	db, err := connect(t, inst, "kfadmin", "s3cret-Pass", "kubeflow")
	if err != nil {
		t.Fatalf("master user cannot connect: %v", err)
	}
	var name string
	if err := db.QueryRow("SELECT DATABASE()").Scan(&name); err != nil || name != "kubeflow" {
		t.Fatalf("SELECT DATABASE() = %q, %v; want kubeflow", name, err)
	}
	// The master user can create the other databases KFP needs.
	if _, err := db.Exec("CREATE DATABASE mlpipeline_connect"); err != nil {
		t.Fatalf("master user cannot create a database: %v", err)
	}
	if _, err := connect(t, inst, "kfadmin", "wrong", "kubeflow"); err == nil {
		t.Error("wrong password connected")
	}
	deleteInstance(t, c, "connect-db")
	if _, err := connect(t, inst, "kfadmin", "s3cret-Pass", ""); err == nil {
		t.Error("master user still connects after DeleteDBInstance")
	}
	if p := userPlugin(t, s, "kfadmin"); p != "" {
		t.Errorf("user kfadmin still exists after delete (plugin %q)", p)
	}
}
