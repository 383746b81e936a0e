package operation_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kfaws/kfaws/internal/arn"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
	"github.com/kfaws/kfaws/internal/verify"
)

// verified is an installation that `up` provisioned, for verify tests.
type verified struct {
	*install
	root *sql.DB
	// db is the database up created (Katib's), named in the RDS secret.
	db string
}

// newVerified runs up on a fresh installation (static S3 keys, so the probe runs) and, when initialise is set,
// creates what KFP, its cache, MLMD and Katib create on their first start.
func newVerified(t *testing.T, initialise bool, mutate ...func(*config.Config)) *verified {
	t.Helper()
	mutate = append([]func(*config.Config){func(c *config.Config) {
		c.S3.Credentials = config.CredentialsStatic
		c.S3.AccessKeyID, c.S3.SecretAccessKey = "AKIAEXAMPLEKEY000001", "static-secret-value-not-to-leak"
		plainHTTP(c) // for the probe; TestVerifyTLSOnly turns it on
		// One MariaDB serves every test: each installation gets its own Katib database.
		c.RDS.DatabaseName = "kf_" + strings.ReplaceAll(c.Name[1:], "-", "_")
	}}, mutate...)
	in := newInstall(t, mutate...)
	ctx := context.Background()
	in.mustUp(ctx)
	root, err := in.stack.MySQLRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	v := &verified{install: in, root: root, db: in.rdsSecret(ctx)["database"]}
	if initialise {
		// One MariaDB serves every test: the KFP databases get per-test names, told to verify like the
		// names pipeline-install-config would give them.
		for _, f := range []string{"mlpipeline", "cachedb", "metadb"} {
			v.exec(t, fmt.Sprintf("CREATE DATABASE `%s`", v.name(f)))
			v.runSQLFile(t, v.name(f), filepath.Join("testdata", "verify", f+".sql"))
		}
		v.exec(t, fmt.Sprintf("INSERT INTO `%s`.MLMDEnv VALUES (10)", v.name("metadb")))
		v.exec(t, fmt.Sprintf("CREATE TABLE `%s`.observation_logs (trial_name VARCHAR(255) NOT NULL, "+
			"id INT AUTO_INCREMENT PRIMARY KEY, time DATETIME(6), metric_name VARCHAR(255) NOT NULL, value TEXT NOT NULL)", v.db))
	}
	return v
}

func (v *verified) name(kfp string) string {
	return kfp + "_" + strings.ReplaceAll(v.cfg.Name[1:], "-", "_")
}

func (v *verified) names() verify.DBNames {
	n := verify.DefaultDBNames(v.db)
	n.Pipeline, n.Cache, n.Metadata = v.name("mlpipeline"), v.name("cachedb"), v.name("metadb")
	return n
}

func (v *verified) exec(t *testing.T, q string) {
	t.Helper()
	if _, err := v.root.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (v *verified) runSQLFile(t *testing.T, db, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(data), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		conn, err := v.root.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(context.Background(), "USE `"+db+"`"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(context.Background(), stmt); err != nil {
			t.Fatalf("%s: %s: %v", path, stmt, err)
		}
		conn.Close()
	}
}

func (v *verified) run(t *testing.T, mutate ...func(*operation.Verify)) *verify.Report {
	t.Helper()
	names := v.names()
	op := &operation.Verify{Configuration: v.configuration(), Only: []verify.Area{verify.AreaDB, verify.AreaS3},
		DBNames: &names}
	for _, m := range mutate {
		m(op)
	}
	r, err := op.Run(context.Background())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func wantCheck(t *testing.T, r *verify.Report, name string, status verify.Status, detail string) {
	t.Helper()
	c, ok := r.Find(name)
	if !ok {
		t.Fatalf("no check %q in report:\n%s", name, reportText(r))
	}
	if c.Status != status || !strings.Contains(c.Detail, detail) {
		t.Fatalf("check %q: got %s %q, want %s containing %q\n%s", name, c.Status, c.Detail, status, detail, reportText(r))
	}
	if status != verify.OK && c.Action == "" && status != verify.Warn {
		t.Errorf("check %q has no action", name)
	}
}

func reportText(r *verify.Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %s/%s: %s: %s | %s\n", c.Area, c.Name, c.Status, c.Detail, c.Action)
	}
	return b.String()
}

func noSecrets(t *testing.T, r *verify.Report, secrets ...string) {
	t.Helper()
	text := reportText(r)
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Fatalf("report contains a secret:\n%s", text)
		}
	}
}

func TestVerifyHealthy(t *testing.T) {
	v := newVerified(t, true)
	r := v.run(t)
	if r.Failed() {
		t.Fatalf("healthy install failed verification:\n%s", reportText(r))
	}
	wantCheck(t, r, "connection", verify.Warn, "direct path") // the local MariaDB offers no TLS
	wantCheck(t, r, "auth plugin", verify.OK, "mysql_native_password")
	wantCheck(t, r, "database "+v.names().Metadata, verify.OK, "MLMD schema version 10")
	wantCheck(t, r, "database "+v.db, verify.OK, "observation_logs"[:0])
	wantCheck(t, r, "katib observation_logs", verify.NotYetInitialised, "no Katib trial")
	wantCheck(t, r, "encryption", verify.OK, "AES256")
	wantCheck(t, r, "TLS only", verify.Warn, "s3.requireTLS is false")
	wantCheck(t, r, "write/read/delete probe", verify.OK, "S3 secret's keys")
	wantCheck(t, r, "artifact prefixes", verify.NotYetInitialised, "no pipeline has run")
	noSecrets(t, r, v.rdsSecret(context.Background())["password"], v.cfg.S3.SecretAccessKey)
}

func TestVerifyNotYetInitialised(t *testing.T) {
	v := newVerified(t, false)
	r := v.run(t)
	if r.Failed() {
		t.Fatalf("a fresh install before apply must not fail:\n%s", reportText(r))
	}
	wantCheck(t, r, "database "+v.names().Pipeline, verify.NotYetInitialised, "ml-pipeline creates it")
	wantCheck(t, r, "katib observation_logs", verify.NotYetInitialised, "katib-db-manager creates it")
}

// On a bucket kfaws created, the TLS-only statement passes, and its absence fails with what to do. (The write
// probe is not judged here: the local stack speaks plain HTTP, which the statement denies.)
func TestVerifyTLSOnly(t *testing.T) {
	v := newVerified(t, true, func(c *config.Config) { c.S3.RequireTLS = aws.Bool(true) })
	wantCheck(t, v.run(t), "TLS only", verify.OK, "denies requests made without TLS")
	if _, err := v.clients.S3.DeleteBucketPolicy(context.Background(), &s3.DeleteBucketPolicyInput{Bucket: &v.cfg.S3.Bucket}); err != nil {
		t.Fatal(err)
	}
	r := v.run(t)
	wantCheck(t, r, "TLS only", verify.Fail, "lacks kfaws's statement")
	if c, _ := r.Find("TLS only"); c.Action != "kfaws up restores it" {
		t.Errorf("action %q", c.Action)
	}
}

func TestVerifyBroken(t *testing.T) {
	cases := []struct {
		name          string
		breakIt       func(t *testing.T, v *verified)
		mutate        func(*operation.Verify)
		check, detail string
		status        verify.Status
	}{
		{name: "wrong password in the secret", breakIt: func(t *testing.T, v *verified) {
			sec := v.rdsSecret(context.Background())
			sec["password"] = "not-the-password-1"
			v.putRDSSecret(t, sec)
		}, check: "connection", status: verify.Fail, detail: "access denied for user"},
		{name: "missing database", breakIt: func(t *testing.T, v *verified) {
			v.exec(t, "DROP DATABASE `"+v.db+"`")
		}, check: "database ", status: verify.Fail, detail: "katib-db-manager does not create its database"},
		{name: "wrong auth plugin", breakIt: func(t *testing.T, v *verified) {
			sec := v.rdsSecret(context.Background())
			// The local stand-in for caching_sha2_password (localstack/README.md); its plugin loads on first use.
			var active int
			if err := v.root.QueryRow("SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519' " +
				"AND PLUGIN_STATUS = 'ACTIVE'").Scan(&active); err == nil && active == 0 {
				v.exec(t, "INSTALL SONAME 'auth_ed25519'")
			}
			if _, err := v.root.Exec("ALTER USER ?@'%' IDENTIFIED VIA ed25519 USING PASSWORD(?)", sec["username"], sec["password"]); err != nil {
				var users []string
				rows, _ := v.root.Query("SELECT CONCAT(user,'@',host,' ',plugin) FROM mysql.user")
				for rows != nil && rows.Next() {
					var u string
					rows.Scan(&u)
					users = append(users, u)
				}
				t.Fatalf("changing the plugin of %q: %v (users: %v)", sec["username"], err, users)
			}
		}, check: "auth plugin", status: verify.Fail, detail: "authenticates with ed25519"},
		{name: "bucket without encryption", breakIt: func(t *testing.T, v *verified) {
			if _, err := v.clients.S3.DeleteBucketEncryption(context.Background(), &s3.DeleteBucketEncryptionInput{Bucket: &v.cfg.S3.Bucket}); err != nil {
				t.Fatal(err)
			}
		}, check: "encryption", status: verify.Fail, detail: "no default encryption"},
		{name: "unreachable endpoint without a path", breakIt: func(t *testing.T, v *verified) {
			sec := v.rdsSecret(context.Background())
			sec["host"], sec["port"] = "127.0.0.1", "1" // nothing listens on port 1
			v.putRDSSecret(t, sec)
		}, check: "connection", status: verify.Fail, detail: "not reachable from here"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newVerified(t, true)
			tc.breakIt(t, v)
			r := v.run(t)
			if !r.Failed() {
				t.Fatalf("not caught:\n%s", reportText(r))
			}
			name := tc.check
			if name == "database " {
				name += v.db
			}
			wantCheck(t, r, name, tc.status, tc.detail)
			noSecrets(t, r, v.rdsSecret(context.Background())["password"], v.cfg.S3.SecretAccessKey)
		})
	}
}

func TestVerifyUnreachableSaysWhatToDo(t *testing.T) {
	v := newVerified(t, false)
	sec := v.rdsSecret(context.Background())
	addr := sec["host"] + ":" + sec["port"]
	sec["host"], sec["port"] = "127.0.0.1", "1"
	v.putRDSSecret(t, sec)
	r := v.run(t)
	c, _ := r.Find("connection")
	if c.Status != verify.Fail || !strings.Contains(c.Action, "--db-address") || !strings.Contains(c.Action, "--context") {
		t.Fatalf("got %+v", c)
	}
	// With the user's tunnel (here: the real address), the same install verifies.
	r = v.run(t, func(o *operation.Verify) { o.DB = dbaccess.Options{Address: addr} })
	wantCheck(t, r, "connection", verify.Warn, "address path to "+addr)
}

func (v *verified) putRDSSecret(t *testing.T, m map[string]string) {
	t.Helper()
	var parts []string
	for k, val := range m {
		parts = append(parts, fmt.Sprintf("%q:%q", k, val))
	}
	if _, err := v.clients.SecretsManager.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: &v.cfg.RDS.SecretName, SecretString: aws.String("{" + strings.Join(parts, ",") + "}")}); err != nil {
		t.Fatal(err)
	}
}

// The observation_logs check against the real writer: Katib's db-manager creates the table on the provisioned
// database and stores the metrics a trial reports through its gRPC API.
func TestVerifyKatibObservationLogs(t *testing.T) {
	v := newVerified(t, false)
	wantCheck(t, v.run(t), "katib observation_logs", verify.NotYetInitialised, "katib-db-manager creates it")

	conn := startKatib(t, v.rdsSecret(context.Background()))
	wantCheck(t, v.run(t), "katib observation_logs", verify.NotYetInitialised, "no Katib trial has reported")

	reportMetrics(t, conn, "trial-1", 0.81, 0.86, 0.9)
	r := v.run(t)
	wantCheck(t, r, "katib observation_logs", verify.OK, "3 rows")
	wantCheck(t, r, "database "+v.db, verify.OK, "katib-db-manager")
}

// In IRSA mode the role's policies are evaluated: a role without kfaws's S3 policy is caught.
func TestVerifyIRSARoleWithoutPolicy(t *testing.T) {
	in := newInstall(t, func(c *config.Config) { c.RDS.DatabaseName = "kf_" + strings.ReplaceAll(c.Name[1:], "-", "_") })
	ctx := context.Background()
	in.mustUp(ctx)
	v := &verified{install: in, db: in.cfg.RDS.DatabaseName}
	r := v.run(t, func(o *operation.Verify) { o.Only = []verify.Area{verify.AreaS3} })
	wantCheck(t, r, "IRSA role permissions", verify.OK, "allows what KFP needs")

	role := in.cfg.IAM.BackendRoleName
	att, err := in.clients.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &role})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range att.AttachedPolicies {
		must(t)(in.clients.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &role, PolicyArn: p.PolicyArn}))
	}
	r = v.run(t, func(o *operation.Verify) { o.Only = []verify.Area{verify.AreaS3} })
	wantCheck(t, r, "IRSA role permissions", verify.Fail, "lacks s3:ListBucket (not allowed)")
}

// With the roles up recorded per profile, verify checks each profile's role for confinement to its own prefix,
// and under Pod Identity wants one association per profile.
func TestVerifyProfileConfinement(t *testing.T) {
	in := newInstall(t, func(c *config.Config) { c.RDS.DatabaseName = "kf_" + strings.ReplaceAll(c.Name[1:], "-", "_") })
	ctx := context.Background()
	in.mustUp(ctx)
	v := &verified{install: in, db: in.cfg.RDS.DatabaseName}
	o := in.configuration().State.Snapshot().Outputs
	ns, role := in.cfg.IAM.ProfileNamespace, in.cfg.IAM.ProfileRoleName
	if o.ProfileRoleARN == "" {
		t.Fatal("up recorded no profile role")
	}
	record := func(roles map[string]string) {
		t.Helper()
		must(t)(nil, in.configuration().State.Update(func(st *state.State) { st.Outputs.ProfileRoleARNs = roles }))
	}
	record(map[string]string{ns: o.ProfileRoleARN})
	// givePolicy leaves the profile role with doc as its only policy.
	givePolicy := func(doc string) {
		t.Helper()
		att, err := in.clients.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &role})
		must(t)(att, err)
		for _, p := range att.AttachedPolicies {
			must(t)(in.clients.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &role, PolicyArn: p.PolicyArn}))
		}
		inline, err := in.clients.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: &role})
		must(t)(inline, err)
		for _, n := range inline.PolicyNames {
			must(t)(in.clients.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: &role, PolicyName: aws.String(n)}))
		}
		must(t)(in.clients.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &role, PolicyName: aws.String("s3"), PolicyDocument: &doc}))
	}
	partition, bucket := arn.PartitionOf(o.ProfileRoleARN), in.cfg.S3.Bucket
	s3Only := func(op *operation.Verify) { op.Only = []verify.Area{verify.AreaS3} }

	givePolicy(plan.S3Policy(partition, bucket))
	wantCheck(t, v.run(t, s3Only), "profile "+ns+" S3 access", verify.Fail, "is not confined to private-artifacts/"+ns+"/")
	givePolicy(plan.ProfilePolicy(partition, in.cfg.Region, bucket, "", ns))
	wantCheck(t, v.run(t, s3Only), "profile "+ns+" S3 access", verify.OK, "writes private-artifacts/"+ns+"/")

	// Under Pod Identity every recorded profile needs its association (this installation has none: they fail).
	in.cfg.Identity = config.IdentityPodIdentity
	record(map[string]string{"team-x": o.ProfileRoleARN, "team-y": o.ProfileRoleARN})
	r := v.run(t, func(op *operation.Verify) { op.Only = []verify.Area{verify.AreaCluster} })
	for _, p := range []string{"team-x", "team-y"} {
		wantCheck(t, r, "pod identity "+p+"/default-editor", verify.Fail, "no EKS Pod Identity association")
	}
	if _, ok := r.Find("pod identity " + ns + "/default-editor"); ok {
		t.Errorf("an association is wanted for %s, which up recorded no access for:\n%s", ns, reportText(r))
	}
}
