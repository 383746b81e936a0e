package operation_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/go-sql-driver/mysql"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/execute"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
	"github.com/kfaws/kfaws/localstack"
)

func TestMain(m *testing.M) { localstack.TestMain(m) }

var seq atomic.Int64

// install is one test's installation on the shared local stack, with names no other test uses.
type install struct {
	t       *testing.T
	stack   *localstack.Stack
	cluster *localstack.Cluster
	cfg     *config.Config
	clients *kaws.Clients
	dir     string
}

// newInstall seeds a fresh EKS cluster and returns a defaulted configuration for it; mutate cfg before use.
func newInstall(t *testing.T, mutate ...func(*config.Config)) *install {
	t.Helper()
	s := localstack.Shared(t)
	ctx := context.Background()
	n := seq.Add(1)
	// Unique across test binaries sharing nothing and runs of the same binary; valid in every AWS name.
	id := fmt.Sprintf("t%d-%d", time.Now().UnixNano()%1e9, n)
	region := "us-west-2"
	cl, err := s.SeedCluster(ctx, "c-"+id, region)
	if err != nil {
		t.Fatalf("seeding cluster: %v", err)
	}
	awsCfg, err := s.AWSConfig(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := config.New()
	c.Name = "i" + id
	c.Cluster, c.Region = cl.Name, region
	c.S3.Bucket = "b-" + id
	c.RDS.InstanceName = "db-" + id
	c.RDS.SubnetGroupName = "sng-" + id
	c.RDS.SecretName = "rds-" + id
	c.S3.SecretName = "s3-" + id
	c.RDS.MasterUsername = fmt.Sprintf("adm%d", n) // one MariaDB serves every instance: users must differ
	c.StateFile = filepath.Join(dir, "state.json")
	for _, m := range mutate {
		m(c)
	}
	c.Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	return &install{t: t, stack: s, cluster: cl, cfg: c, clients: kaws.NewClients(awsCfg), dir: dir}
}

// plainHTTP turns s3.requireTLS off, for tests that read or write objects: the local stack speaks plain HTTP,
// which the TLS-only bucket policy denies (moto enforces the statement on object requests).
func plainHTTP(c *config.Config) { c.S3.RequireTLS = aws.Bool(false) }

func (in *install) configuration() *operation.Configuration {
	in.t.Helper()
	st, err := state.Open(in.cfg.StatePath())
	if err != nil {
		in.t.Fatal(err)
	}
	return &operation.Configuration{Config: in.cfg, AWS: in.clients, State: st}
}

// on is configuration with the Kubernetes client k.
func (in *install) on(k *kube.Client) *operation.Configuration {
	conf := in.configuration()
	conf.Kube = k
	return conf
}

func (in *install) plan(ctx context.Context) *plan.Plan {
	in.t.Helper()
	res, err := (&operation.Plan{Configuration: in.configuration()}).Run(ctx)
	if err != nil {
		in.t.Fatalf("plan: %v", err)
	}
	return res.Plan
}

// up runs Up with a reporter that records every event; hook, when set, sees each event and may cancel.
func (in *install) up(ctx context.Context, hook func(event, step string)) (*operation.UpResult, *recorder, error) {
	rec := &recorder{hook: hook}
	res, err := (&operation.Up{Configuration: in.configuration(), Reporter: rec, PollInterval: 20 * time.Millisecond}).Run(ctx)
	return res, rec, err
}

func (in *install) mustUp(ctx context.Context) *operation.UpResult {
	in.t.Helper()
	res, rec, err := in.up(ctx, nil)
	if err != nil {
		in.t.Fatalf("up: %v\nevents:\n%s", err, rec)
	}
	return res
}

// rdsSecret reads back the RDS secret's JSON.
func (in *install) rdsSecret(ctx context.Context) map[string]string {
	in.t.Helper()
	return in.secretJSON(ctx, in.cfg.RDS.SecretName)
}

// secretJSON reads back a Secrets Manager secret holding a JSON object of strings.
func (in *install) secretJSON(ctx context.Context, name string) map[string]string {
	in.t.Helper()
	out, err := in.clients.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name})
	if err != nil {
		in.t.Fatalf("reading secret: %v", err)
	}
	v := map[string]string{}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil {
		in.t.Fatalf("secret is not JSON: %v", err)
	}
	return v
}

// connect opens MySQL with the RDS secret's credentials, as Kubeflow's components would.
func (in *install) connect(ctx context.Context) *sql.DB {
	in.t.Helper()
	v := in.rdsSecret(ctx)
	mc := mysql.NewConfig()
	mc.User, mc.Passwd, mc.Net, mc.Addr, mc.DBName = v["username"], v["password"], "tcp", v["host"]+":"+v["port"], v["database"]
	db, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { db.Close() })
	if err := db.PingContext(ctx); err != nil {
		in.t.Fatalf("connecting with the rds secret's credentials to %s: %v", mc.Addr, err)
	}
	return db
}

// recorder is a Reporter that keeps the event log.
type recorder struct {
	mu     sync.Mutex
	events []string
	hook   func(event, step string)
}

func (r *recorder) add(event, step string) {
	r.mu.Lock()
	r.events = append(r.events, event+" "+step)
	r.mu.Unlock()
	if r.hook != nil {
		r.hook(event, step)
	}
}

func (r *recorder) Start(s plan.Step)                { r.add("start", s.ID) }
func (r *recorder) Progress(s plan.Step, msg string) { r.add("progress", s.ID+" "+msg) }
func (r *recorder) Done(s plan.Step, err error, _ time.Duration) {
	switch {
	case err == nil:
		r.add("done", s.ID)
	case errors.Is(err, execute.ErrSkipped):
		r.add("skipped", s.ID)
	default:
		r.add("failed", s.ID+": "+err.Error())
	}
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.events, "\n")
}

func (r *recorder) has(event string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if strings.HasPrefix(e, event) {
			return true
		}
	}
	return false
}

func actions(p *plan.Plan) map[string]plan.Action {
	m := map[string]plan.Action{}
	for _, r := range p.Resources {
		m[r.Key] = r.Action
	}
	return m
}
