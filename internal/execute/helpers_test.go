package execute_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/execute"
	"github.com/kfaws/kfaws/internal/observe"
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
	store   *state.Store
}

// newInstall seeds an EKS cluster in region and returns a defaulted configuration for it.
func newInstall(t *testing.T, region string, mutate ...func(*config.Config)) *install {
	t.Helper()
	s := localstack.Shared(t)
	ctx := context.Background()
	n := seq.Add(1)
	id := fmt.Sprintf("x%d-%d", time.Now().UnixNano()%1e9, n)
	cl, err := s.SeedCluster(ctx, "c-"+id, region)
	if err != nil {
		t.Fatalf("seeding cluster in %s: %v", region, err)
	}
	awsCfg, err := s.AWSConfig(ctx, region)
	if err != nil {
		t.Fatal(err)
	}
	c := config.New()
	c.Name, c.Cluster, c.Region = "i"+id, cl.Name, region
	c.S3.Bucket = "b-" + id
	c.RDS.InstanceName, c.RDS.SubnetGroupName, c.RDS.SecretName = "db-"+id, "sng-"+id, "rds-"+id
	c.RDS.MasterUsername = fmt.Sprintf("exec%d", n) // one MariaDB serves every instance: users must differ
	c.StateFile = filepath.Join(t.TempDir(), "state.json")
	for _, m := range mutate {
		m(c)
	}
	c.Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	st, err := state.Open(c.StatePath())
	if err != nil {
		t.Fatal(err)
	}
	return &install{t: t, stack: s, cluster: cl, cfg: c, clients: kaws.NewClients(awsCfg), store: st}
}

// plan observes AWS and plans, as `kfaws plan` does.
func (in *install) plan(ctx context.Context) (*plan.Plan, *observe.Snapshot) {
	in.t.Helper()
	snap, err := (&observe.Observer{AWS: in.clients, Config: in.cfg}).Observe(ctx)
	if err != nil {
		in.t.Fatalf("observe: %v", err)
	}
	p, err := plan.Build(in.cfg, snap, in.store.Snapshot())
	if err != nil {
		in.t.Fatalf("plan: %v", err)
	}
	return p, snap
}

// run plans and executes once; hook, when set, sees every event as it happens.
func (in *install) run(ctx context.Context, hook func(event string, s plan.Step)) (*plan.Plan, *recorder, error) {
	in.t.Helper()
	p, snap := in.plan(ctx)
	rec := &recorder{hook: hook}
	ex := &execute.Executor{AWS: in.clients, Config: in.cfg, Plan: p, Snapshot: snap, State: in.store, Reporter: rec,
		PollInterval: 20 * time.Millisecond}
	return p, rec, ex.Run(ctx)
}

// recorder is a Reporter that keeps the events in the order they happened.
type recorder struct {
	mu     sync.Mutex
	events []string
	hook   func(event string, s plan.Step)
}

func (r *recorder) add(event string, s plan.Step, detail string) {
	r.mu.Lock()
	r.events = append(r.events, strings.TrimSpace(event+" "+s.ID+" "+detail))
	r.mu.Unlock()
	if r.hook != nil {
		r.hook(event, s)
	}
}

func (r *recorder) Start(s plan.Step)                { r.add("start", s, "") }
func (r *recorder) Progress(s plan.Step, msg string) { r.add("progress", s, msg) }
func (r *recorder) Done(s plan.Step, err error, _ time.Duration) {
	switch {
	case err == nil:
		r.add("done", s, "")
	case errors.Is(err, execute.ErrSkipped):
		r.add("skipped", s, "")
	default:
		r.add("failed", s, err.Error())
	}
}

// index is the position of the first event that is exactly want, -1 when it never happened.
func (r *recorder) index(want string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Index(r.events, want)
}

// has reports whether an event starts with prefix.
func (r *recorder) has(prefix string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.events, func(e string) bool { return strings.HasPrefix(e, prefix) })
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.events, "\n")
}

func stepIDs(p *plan.Plan) []string {
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	return ids
}
