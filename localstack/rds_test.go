package localstack_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
	// go-sql-driver/mysql v1.10 strips a trailing zero byte from the auth
	// switch data, so an ed25519 login whose random 32-byte scramble ends in
	// 0 (1 in 256) fails with ErrMalformPkt. That is the client's bug, not
	// the stack's: try again with a fresh scramble.
	for range 5 {
		if err = db.Ping(); !errors.Is(err, mysql.ErrMalformPkt) {
			break
		}
	}
	return db, err
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
	created := createInstance(t, c, "Connect-DB", "8.4.7", "kfadmin", "s3cret-Pass", "kubeflow", "", "")
	if got := aws.ToString(created.Endpoint.Address); got != "127.0.0.1" {
		t.Errorf("CreateDBInstance endpoint address = %q, want 127.0.0.1", got)
	}
	inst := describe(t, c, "Connect-DB") // RDS matches identifiers case-insensitively
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
	root, err := s.MySQLRoot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var n int
	if err := root.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'kubeflow'").Scan(&n); err != nil || n != 0 {
		t.Errorf("database kubeflow after delete: count %d, err %v; want it dropped", n, err)
	}
}

func TestAuthPluginFollowsParameterGroup(t *testing.T) {
	s := localstack.Shared(t)
	c := rdsClient(t, s)
	cases := []struct {
		name, version, param, value, want string
	}{
		{"p84-native", "8.4.7", "authentication_policy", "mysql_native_password", "mysql_native_password"},
		{"p84-native-list", "8.4.7", "authentication_policy", "mysql_native_password,,", "mysql_native_password"},
		{"p84-default", "8.4.7", "", "", "ed25519"},
		{"p84-star", "8.4.7", "authentication_policy", "*,,", "ed25519"},
		{"p84-any-native", "8.4.7", "authentication_policy", "*:mysql_native_password", "mysql_native_password"},
		{"p84-any-sha2", "8.4.7", "authentication_policy", "*:caching_sha2_password", "ed25519"},
		{"p80-default", "8.0.40", "", "", "mysql_native_password"},
		{"p80-native", "8.0.40", "default_authentication_plugin", "mysql_native_password", "mysql_native_password"},
		{"p80-sha2", "8.0.40", "default_authentication_plugin", "caching_sha2_password", "ed25519"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			user := "plug" + strconv.Itoa(i)
			inst := createInstance(t, c, tc.name, tc.version, user, "pw-"+tc.name, "db"+strconv.Itoa(i), tc.param, tc.value)
			defer deleteInstance(t, c, tc.name)
			if got := userPlugin(t, s, user); got != tc.want {
				t.Errorf("plugin of master user = %q, want %q", got, tc.want)
			}
			if _, err := connect(t, *inst, user, "pw-"+tc.name, "db"+strconv.Itoa(i)); err != nil {
				t.Errorf("master user cannot connect: %v", err)
			}
			// A client that only speaks mysql_native_password logs in exactly
			// when the user has that plugin; otherwise the server asks for
			// another plugin, which such a client (MLMD's) cannot provide.
			wantSwitch := "client_ed25519"
			if tc.want == "mysql_native_password" {
				wantSwitch = ""
			}
			if got := nativeOnlyLogin(t, s.MySQLAddr, user, "pw-"+tc.name); got != wantSwitch {
				t.Errorf("native-only login: server asked for plugin %q, want %q (\"\" = logged in)", got, wantSwitch)
			}
		})
	}
}

func TestMasterUserClashIsRejected(t *testing.T) {
	s := localstack.Shared(t)
	c := rdsClient(t, s)
	createInstance(t, c, "clash-a", "8.4.7", "sameuser", "pw-a-123", "clasha", "", "")
	defer deleteInstance(t, c, "clash-a")
	_, err := c.CreateDBInstance(context.Background(), &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("clash-b"), DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("mysql"),
		EngineVersion: aws.String("8.4.7"), AllocatedStorage: aws.Int32(20),
		MasterUsername: aws.String("sameuser"), MasterUserPassword: aws.String("pw-b-123")})
	if err == nil || !strings.Contains(err.Error(), "clash-a") {
		t.Fatalf("second instance with the same master user: err = %v, want a clash naming \"clash-a\"", err)
	}
	// The first instance keeps its credentials.
	if _, err := connect(t, describe(t, c, "clash-a"), "sameuser", "pw-a-123", "clasha"); err != nil {
		t.Errorf("first instance's master user cannot connect after the clash: %v", err)
	}
}

func TestModifyPasswordChangesMariaDBUser(t *testing.T) {
	s := localstack.Shared(t)
	c := rdsClient(t, s)
	createInstance(t, c, "modpw", "8.4.7", "modpwuser", "old-pass-1", "modpw", "", "")
	defer deleteInstance(t, c, "modpw")
	if _, err := c.ModifyDBInstance(context.Background(), &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String("modpw"), MasterUserPassword: aws.String("new-pass-2"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, describe(t, c, "modpw"), "modpwuser", "new-pass-2", "modpw"); err != nil {
		t.Errorf("new password does not connect: %v", err)
	}
	if p := userPlugin(t, s, "modpwuser"); p != "ed25519" {
		t.Errorf("plugin after password change = %q, want ed25519", p)
	}
}

// steppedClock is a clock the test moves by hand.
type steppedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *steppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *steppedClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestCreationDelayStates steps a private stack's clock through the delay,
// so each state is seen however slow the machine is.
func TestCreationDelayStates(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test on the local stack; run without -short")
	}
	clock := &steppedClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := localstack.Start(context.Background(), localstack.Options{RDSDelay: 30 * time.Second, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := rdsClient(t, s)
	created := createInstance(t, c, "delayed", "8.4.7", "delayuser", "delay-pass", "delayed", "", "")
	if got := aws.ToString(created.DBInstanceStatus); got != "creating" {
		t.Errorf("CreateDBInstance status = %q, want creating", got)
	}
	if created.Endpoint != nil {
		t.Errorf("CreateDBInstance of a creating instance has endpoint %v, want none", created.Endpoint)
	}
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{{0, "creating"}, {19 * time.Second, "creating"}, {2 * time.Second, "backing-up"}, {9 * time.Second, "available"}} {
		clock.Advance(step.advance)
		inst := describe(t, c, "delayed")
		if got := aws.ToString(inst.DBInstanceStatus); got != step.want {
			t.Fatalf("status = %q, want %q", got, step.want)
		}
		if (step.want == "creating") != (inst.Endpoint == nil) {
			t.Fatalf("status %q with endpoint %v: want an endpoint exactly when not creating", step.want, inst.Endpoint)
		}
	}
	if _, err := connect(t, describe(t, c, "delayed"), "delayuser", "delay-pass", "delayed"); err != nil {
		t.Errorf("master user cannot connect once available: %v", err)
	}
}

func TestCreationDelayWaiter(t *testing.T) {
	s := localstack.Shared(t)
	c := rdsClient(t, s)
	s.SetRDSDelay(2 * time.Second)
	createInstance(t, c, "waited", "8.4.7", "waituser", "wait-pass", "waited", "", "")
	defer deleteInstance(t, c, "waited")
	w := rds.NewDBInstanceAvailableWaiter(c, func(o *rds.DBInstanceAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	out, err := w.WaitForOutput(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("waited")}, time.Minute)
	if err != nil {
		t.Fatalf("DBInstanceAvailable waiter: %v", err)
	}
	if _, err := connect(t, out.DBInstances[0], "waituser", "wait-pass", "waited"); err != nil {
		t.Errorf("master user cannot connect once available: %v", err)
	}
}

func TestSharedDatabaseNameOutlivesOneInstance(t *testing.T) {
	s := localstack.Shared(t)
	c := rdsClient(t, s)
	createInstance(t, c, "share-a", "8.4.7", "sharea", "pw-share-a", "shareddb", "", "")
	createInstance(t, c, "share-b", "8.4.7", "shareb", "pw-share-b", "shareddb", "", "")
	root, err := s.MySQLRoot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	exists := func() bool {
		var n int
		if err := root.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'shareddb'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	deleteInstance(t, c, "share-a")
	if !exists() {
		t.Error("database dropped while instance share-b still uses it")
	}
	deleteInstance(t, c, "share-b")
	if exists() {
		t.Error("database kept after its last instance was deleted")
	}
}
