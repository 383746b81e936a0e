package operation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/go-sql-driver/mysql"

	"github.com/kfaws/kfaws/internal/arn"
	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/verify"
)

// Verify checks an installation: its databases, its bucket and the cluster objects that wire them. It reads
// only, except one probe object written to and deleted from the bucket (static credentials).
type Verify struct {
	*Configuration
	// Only limits the checks to these areas; empty means all.
	Only []verify.Area
	// DB chooses how the database is reached (--db-address, --db-ca-file, relay image). Cluster and Relay's
	// Installation are filled in from the Kubernetes client and the configuration.
	DB dbaccess.Options
	// DBNames, when set, replaces the database names read from pipeline-install-config (Katib's still comes
	// from the RDS secret).
	DBNames *verify.DBNames
}

// Run runs the checks and returns the report. Problems found are in the report; an error means verify itself
// could not run.
func (v *Verify) Run(ctx context.Context) (*verify.Report, error) {
	r := &verify.Report{}
	names := verify.DefaultDBNames(v.Config.RDS.DatabaseName)
	switch {
	case v.DBNames != nil:
		names = *v.DBNames
	case v.cluster() != nil:
		names = v.clusterDBNames(ctx, names)
	}
	if v.wants(verify.AreaDB) {
		v.checkDB(ctx, r, names)
	}
	if v.wants(verify.AreaS3) {
		v.checkS3(ctx, r)
	}
	if v.wants(verify.AreaCluster) {
		v.checkCluster(ctx, r)
	}
	return r, nil
}

func (v *Verify) wants(a verify.Area) bool {
	if len(v.Only) == 0 {
		return true
	}
	for _, o := range v.Only {
		if o == a {
			return true
		}
	}
	return false
}

// outputs returns the state's outputs, falling back to the configuration for names up has not recorded.
func (v *Verify) outputs() (bucket, rdsSecret, s3Secret string) {
	o := v.State.Snapshot().Outputs
	bucket, rdsSecret, s3Secret = o.Bucket, o.RDSSecretName, o.S3SecretName
	if bucket == "" {
		bucket = v.Config.S3.Bucket
	}
	if rdsSecret == "" {
		rdsSecret = v.Config.RDS.SecretName
	}
	if s3Secret == "" {
		s3Secret = v.Config.S3.SecretName
	}
	return bucket, rdsSecret, s3Secret
}

// secretJSON reads a Secrets Manager secret holding a JSON object; numbers become strings.
func (c *Configuration) secretJSON(ctx context.Context, name string) (map[string]string, error) {
	out, err := c.AWS.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name})
	if err != nil {
		return nil, fmt.Errorf("reading secret %q from Secrets Manager: %w", name, err)
	}
	raw := map[string]any{}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &raw); err != nil {
		// The error text could quote the secret; say only that it is not JSON.
		return nil, fmt.Errorf("secret %q is not a JSON object", name)
	}
	m := map[string]string{}
	for k, val := range raw {
		switch x := val.(type) {
		case string:
			m[k] = x
		case float64:
			m[k] = strconv.FormatFloat(x, 'f', -1, 64)
		}
	}
	return m, nil
}

func (v *Verify) checkDB(ctx context.Context, r *verify.Report, names verify.DBNames) {
	add := func(name string, s verify.Status, detail, action string) {
		r.Add(verify.Check{Area: verify.AreaDB, Name: name, Status: s, Detail: detail, Action: action})
	}
	if !v.Config.Option.UsesRDS() {
		add("databases", verify.OK, fmt.Sprintf("option %s keeps the databases in the cluster; nothing to check", v.Config.Option), "")
		return
	}
	_, secretName, _ := v.outputs()
	sec, err := v.secretJSON(ctx, secretName)
	if err != nil {
		add("rds secret", verify.Fail, err.Error(), "run kfaws up, which writes the secret")
		return
	}
	port, _ := strconv.Atoi(sec["port"])
	t := dbaccess.Target{Host: sec["host"], Port: port, User: sec["username"], Password: sec["password"]}
	if t.Host == "" || port == 0 || t.User == "" {
		add("rds secret", verify.Fail, fmt.Sprintf("secret %q lacks host, port or username", secretName),
			"the secret must hold {\"username\",\"password\",\"database\",\"host\",\"port\"}; kfaws up writes it")
		return
	}
	if sec["database"] != "" {
		names.Katib = sec["database"]
	}
	opts := v.DB
	opts.Log = v.logger()
	opts.Relay.Installation = v.Config.Name
	if k := v.cluster(); k != nil && opts.Cluster == nil {
		if c, err := kubeCluster(k); err == nil {
			opts.Cluster = c
		}
	}
	conn, err := dbaccess.Open(ctx, t, opts)
	if err != nil {
		detail, action := explainConnect(err, t, secretName)
		add("connection", verify.Fail, detail, action)
		return
	}
	defer conn.Close()
	status := verify.OK
	action := ""
	if !conn.TLS.Used() {
		status, action = verify.Warn, "enable TLS on the server (RDS always offers it)"
	}
	add("connection", status, fmt.Sprintf("%s path to %s as %q; %s", conn.Path, conn.Via, t.User, conn.TLS.Describe()), action)
	verify.CheckDB(ctx, r, verify.DBInput{DB: conn.DB, User: t.User, Names: names})
	if v.Config.UsesComponentUsers() {
		v.checkComponentUsers(ctx, r, conn, t, opts, secretName, names.Katib)
	}
}

// checkComponentUsers checks each component's own MySQL user, logging in as it by the path the master user's
// connection took.
func (v *Verify) checkComponentUsers(ctx context.Context, r *verify.Report, master *dbaccess.Conn, t dbaccess.Target,
	opts dbaccess.Options, rdsSecret, katibDB string) {
	in := verify.ComponentUsersInput{Master: master.DB, Login: func(ctx context.Context, user, password string) (*sql.DB, error) {
		o := opts
		o.Address, o.Cluster = master.Via, nil
		c, err := dbaccess.Open(ctx, dbaccess.Target{Host: t.Host, Port: t.Port, User: user, Password: password}, o)
		if err != nil {
			return nil, err
		}
		return c.DB, nil
	}}
	for _, c := range dbusers.All {
		u := verify.ComponentUser{Component: c, User: c.UserName(t.User), Database: c.Database(katibDB)}
		for _, o := range dbusers.All {
			if o.ID != c.ID {
				u.Others = append(u.Others, o.Database(katibDB))
			}
		}
		sec, err := v.secretJSON(ctx, c.SecretName(rdsSecret))
		switch {
		case err != nil:
			u.SecretErr = err
		case sec["username"] == "" || sec["password"] == "":
			u.SecretErr = fmt.Errorf("secret %q lacks username or password", c.SecretName(rdsSecret))
		default:
			u.User, u.Password = sec["username"], sec["password"]
		}
		in.Users = append(in.Users, u)
	}
	verify.CheckComponentUsers(ctx, r, in)
}

// explainConnect turns a connection error into a detail and an action; the password never appears.
func explainConnect(err error, t dbaccess.Target, secretName string) (string, string) {
	var ue *dbaccess.UnreachableError
	var ce *dbaccess.CertificateError
	var me *mysql.MySQLError
	switch {
	case errors.As(err, &ue):
		return err.Error(), "pass --db-address HOST:PORT for a tunnel you have (e.g. SSM port forwarding), or " +
			"--kubeconfig/--context so kfaws can relay through a pod in the cluster"
	case errors.As(err, &ce):
		return err.Error(), "download the RDS CA bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem) " +
			"and pass --db-ca-file"
	case errors.As(err, &me) && me.Number == 1045:
		return fmt.Sprintf("access denied for user %q: the password in secret %q does not match the database user", t.User, secretName),
			"put the user's password into the secret, or set the user's password to the secret's " +
				"(ALTER USER); the cluster's mysql-secret is synced from that secret"
	}
	return err.Error(), ""
}

func (v *Verify) checkS3(ctx context.Context, r *verify.Report) {
	if !v.Config.Option.UsesS3() {
		r.Add(verify.Check{Area: verify.AreaS3, Name: "bucket", Status: verify.OK,
			Detail: fmt.Sprintf("option %s keeps the object store in the cluster; nothing to check", v.Config.Option)})
		return
	}
	bucket, _, s3Secret := v.outputs()
	in := verify.S3Input{S3: v.AWS.S3, Bucket: bucket, IAM: v.AWS.IAM, RoleName: v.backendRole(),
		Partition: v.partition(), Static: v.Config.S3.Credentials == config.CredentialsStatic, Binding: v.binding()}
	if in.Static {
		sec, err := v.secretJSON(ctx, s3Secret)
		in.KeysErr = err
		in.AccessKey, in.SecretKey = sec["accesskey"], sec["secretkey"]
	} else {
		in.Profiles = v.profileRoles() // each profile confined to its own prefix; none recorded by older ups
	}
	in.TLS = verify.TLSInput{Owned: v.ownsBucket(ctx, bucket), Required: config.Value(v.Config.S3.RequireTLS),
		Statement: plan.TLSOnlyStatement(in.Partition, bucket)}
	if v.Config.KMS.Key != "" {
		in.KMS, in.KMSKey = v.AWS.KMS, v.State.Snapshot().Resources[plan.KeyKMSKey].ARN
		if in.KMSKey == "" {
			in.KMSKey = v.Config.KMS.Key // not recorded yet (no up since kms.key was set): as given
		}
	}
	verify.CheckS3(ctx, r, in)
}

// ownsBucket reports whether this installation created the bucket, as plan decides it: by its installation tag,
// or, untagged, by the state's record of it. A bucket whose tags cannot be read counts as not owned; the other
// bucket checks report why.
func (v *Verify) ownsBucket(ctx context.Context, bucket string) bool {
	obs := ownership.Observed{Name: bucket, ARN: arn.Builder{Partition: v.partition()}.Bucket(bucket)}
	out, err := v.AWS.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &bucket})
	if err != nil && kaws.ErrorCode(err) != "NoSuchTagSet" {
		return false
	}
	if err == nil {
		for _, t := range out.TagSet {
			if aws.ToString(t.Key) == ownership.TagInstallation {
				obs.Tag = aws.ToString(t.Value)
			}
		}
	}
	rec := v.State.Snapshot().Resources[plan.KeyBucket]
	return ownership.OwnsAWS(v.Config.Name, obs, ownership.Record{ID: rec.ID, ARN: rec.ARN, Owned: rec.Owned})
}

// backendRole is the IAM role up recorded for KFP's API server, or the configured name when none is recorded.
func (v *Verify) backendRole() string {
	if r, ok := v.State.Snapshot().Resources[plan.KeyBackendRole]; ok && r.ID != "" {
		return r.ID
	}
	return v.Config.IAM.BackendRoleName
}

// partition is the AWS partition of the installation: that of the roles up recorded, else the region's.
func (v *Verify) partition() string {
	o := v.State.Snapshot().Outputs
	for _, a := range []string{o.BackendRoleARN, o.SecretsRoleARN, o.ProfileRoleARN} {
		if p := arn.PartitionOf(a); p != "" {
			return p
		}
	}
	return arn.PartitionForRegion(v.Config.Region)
}
