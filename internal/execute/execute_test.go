package execute_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
	"github.com/kfaws/kfaws/localstack/proxy"
)

// A step starts only after every step it waits for is done. The dependencies are slowed down so that a step
// that did not wait would start first.
func TestStepsStartAfterWhatTheyWaitFor(t *testing.T) {
	in := newInstall(t, "us-west-2")
	for _, op := range []string{"iam:CreateOpenIDConnectProvider", "iam:CreatePolicy", "rds:CreateDBSubnetGroup",
		"rds:CreateDBParameterGroup", "secretsmanager:CreateSecret"} {
		if err := in.stack.InjectFault(op, proxy.FaultLatency, 1, 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	p, rec, err := in.run(context.Background(), nil)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, rec)
	}
	waited := 0
	for _, s := range p.Steps {
		start := rec.index("start " + s.ID)
		if start < 0 {
			t.Errorf("%s never started:\n%s", s.ID, rec)
			continue
		}
		for _, dep := range s.After {
			if done := rec.index("done " + dep); done < 0 || done > start {
				t.Errorf("%s started (event %d) before %s was done (event %d)", s.ID, start, dep, done)
			}
			waited++
		}
	}
	if waited < 8 {
		t.Errorf("the fresh plan has only %d dependencies; the test checks too little:\n%s", waited, strings.Join(stepIDs(p), "\n"))
	}
}

// A failed step stops the steps that wait for it, and only those: they are reported skipped and never start,
// and the run's error names the failed step, not the skipped ones.
func TestFailedStepSkipsItsDependents(t *testing.T) {
	in := newInstall(t, "us-west-2")
	if err := in.stack.InjectFault("rds:CreateDBSubnetGroup", proxy.Fault500, 100, 0); err != nil {
		t.Fatal(err)
	}
	p, rec, err := in.run(context.Background(), nil)
	if err == nil {
		t.Fatalf("the run succeeded although every CreateDBSubnetGroup failed:\n%s", rec)
	}
	if !rec.has("failed " + plan.KeySubnetGroup + ":create") {
		t.Errorf("the subnet group step is not reported failed:\n%s", rec)
	}
	dependents := []string{plan.KeyInstance + ":create", plan.KeyInstance + ":wait", plan.KeyRDSSecret + ":endpoint"}
	for _, id := range dependents {
		if !rec.has("skipped "+id) || rec.has("start "+id) {
			t.Errorf("%s should be skipped without starting:\n%s", id, rec)
		}
	}
	for _, s := range p.Steps {
		if s.ID != plan.KeySubnetGroup+":create" && !slices.Contains(dependents, s.ID) && !rec.has("done "+s.ID) {
			t.Errorf("independent step %s did not finish:\n%s", s.ID, rec)
		}
	}
	msg := err.Error()
	if !strings.Contains(msg, "create DB subnet group") || strings.Contains(msg, "skipped") || strings.Contains(msg, "create DB instance") {
		t.Errorf("the error should name the failed step only: %v", err)
	}
	_, err = in.clients.RDS.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &in.cfg.RDS.InstanceName})
	var nf *rdstypes.DBInstanceNotFoundFault
	if !errors.As(err, &nf) {
		t.Errorf("the DB instance exists although its step was skipped: %v", err)
	}
	if _, ok := in.store.Snapshot().Resources[plan.KeyInstance]; ok {
		t.Error("the skipped instance is recorded in the state")
	}
}

// When a step is reported done, its resource is already in the state file on disk, owned, under its name, with
// its ARN (the security group: its id; the parameter group too); a run killed right after loses nothing.
func TestEachStepIsRecordedWhenDone(t *testing.T) {
	in := newInstall(t, "us-west-2")
	path := in.cfg.StatePath()
	type seen struct {
		step string
		res  state.Resource
		ok   bool
	}
	var (
		mu       sync.Mutex
		recorded []seen
	)
	hook := func(event string, s plan.Step) {
		if event != "done" {
			return
		}
		st, err := state.Open(path)
		if err != nil {
			t.Errorf("reading the state after %s: %v", s.ID, err)
			return
		}
		r, ok := st.Snapshot().Resources[s.Resource]
		mu.Lock() // steps finish on their own goroutines
		recorded = append(recorded, seen{s.ID, r, ok})
		mu.Unlock()
	}
	p, rec, err := in.run(context.Background(), hook)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, rec)
	}
	if len(recorded) != len(p.Steps) {
		t.Fatalf("%d steps done, %d expected:\n%s", len(recorded), len(p.Steps), rec)
	}
	for _, r := range recorded {
		key, _, _ := strings.Cut(r.step, ":")
		want, _ := p.Resource(key)
		switch {
		case !r.ok:
			t.Errorf("%s done, but %s is not in the state file", r.step, key)
		case !r.res.Owned || r.res.ID != want.Name || r.res.Kind != want.Kind:
			t.Errorf("%s: recorded %+v, want owned %s %q", r.step, r.res, want.Kind, want.Name)
		case key == plan.KeySecurityGroup && !strings.HasPrefix(r.res.ARN, "sg-"):
			t.Errorf("%s: recorded id %q, want the group id", r.step, r.res.ARN)
		case key != plan.KeySecurityGroup && !strings.HasPrefix(r.res.ARN, "arn:aws:"):
			t.Errorf("%s: recorded ARN %q", r.step, r.res.ARN)
		}
	}
	out := in.store.Snapshot().Outputs
	if out.BackendRoleARN != "arn:aws:iam::123456789012:role/"+in.cfg.IAM.BackendRoleName || out.DBHost == "" ||
		out.OIDCProvider != "arn:aws:iam::123456789012:oidc-provider/"+strings.TrimPrefix(in.cluster.OIDCIssuer, "https://") {
		t.Errorf("outputs: %+v", out)
	}
}

// A run that failed is finished by the next one, which plans and runs only what is left: nothing the first run
// finished is done again, and the master password the first run generated is the one the instance gets.
func TestSecondRunFinishesWithoutRedoing(t *testing.T) {
	ctx := context.Background()
	in := newInstall(t, "us-west-2")
	if err := in.stack.InjectFault("rds:CreateDBSubnetGroup", proxy.Fault500, 100, 0); err != nil {
		t.Fatal(err)
	}
	first, rec1, err := in.run(ctx, nil)
	if err == nil {
		t.Fatalf("first run succeeded:\n%s", rec1)
	}
	in.stack.ClearFaults()
	password := in.secretField(ctx, "password")

	second, rec2, err := in.run(ctx, nil)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, rec2)
	}
	for _, s := range first.Steps {
		if rec1.has("done "+s.ID) && (rec2.has("start "+s.ID) || slices.Contains(stepIDs(second), s.ID)) {
			t.Errorf("%s, done by the first run, is in the second:\n%s", s.ID, rec2)
		}
	}
	for _, id := range []string{plan.KeySubnetGroup + ":create", plan.KeyInstance + ":create", plan.KeyRDSSecret + ":endpoint"} {
		if !rec2.has("done " + id) {
			t.Errorf("the second run did not do %s:\n%s", id, rec2)
		}
	}
	if got := in.secretField(ctx, "password"); got != password || in.secretField(ctx, "host") == "" {
		t.Error("the second run changed the master password or did not record the endpoint")
	}
	if p, _ := in.plan(ctx); p.HasChanges() {
		t.Errorf("after the second run the plan still has steps: %v", stepIDs(p))
	}
}

// secretField reads one field of the RDS secret.
func (in *install) secretField(ctx context.Context, field string) string {
	in.t.Helper()
	out, err := in.clients.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &in.cfg.RDS.SecretName})
	if err != nil {
		in.t.Fatal(err)
	}
	v := map[string]string{}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil {
		in.t.Fatal(err)
	}
	return v[field]
}
