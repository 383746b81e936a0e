package operation_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/operation"
	"github.com/kfaws/kfaws/internal/plan"
)

// requestLog keeps the form of every RDS query-protocol request of one action that passes through it.
type requestLog struct {
	action string
	next   aws.HTTPClient
	mu     sync.Mutex
	forms  []url.Values
}

func (l *requestLog) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Method == http.MethodPost {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") == l.action {
			l.mu.Lock()
			l.forms = append(l.forms, form)
			l.mu.Unlock()
		}
	}
	return l.next.Do(r)
}

func (l *requestLog) take() []url.Values {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.forms
	l.forms = nil
	return out
}

// logRequests routes the install's AWS calls through a log of action's requests.
func (in *install) logRequests(ctx context.Context, t *testing.T, action string) *requestLog {
	t.Helper()
	cfg, err := in.stack.AWSConfig(ctx, in.cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	l := &requestLog{action: action, next: awshttp.NewBuildableClient()}
	cfg.HTTPClient = l
	in.clients = kaws.NewClients(cfg)
	return l
}

// Settings of the instance kfaws created that differ from the configuration are an update in the plan, sent
// with ModifyDBInstance at the next maintenance window, or at once with ApplyImmediately. moto applies every
// modification at once and reports no pending values, so the request is what shows the difference.
func TestDriftOnOwnedInstance(t *testing.T) {
	in := newInstall(t)
	ctx := context.Background()
	in.mustUp(ctx)
	log := in.logRequests(ctx, t, "ModifyDBInstance")

	in.cfg.RDS.InstanceClass, in.cfg.RDS.AllocatedStorage = "db.m5.xlarge", 80
	backups, multiAZ, protect := int32(3), false, false
	in.cfg.RDS.BackupRetentionPeriod, in.cfg.RDS.MultiAZ, in.cfg.RDS.DeletionProtection = &backups, &multiAZ, &protect
	p := in.plan(ctx)
	r, _ := p.Resource(plan.KeyInstance)
	for _, want := range []string{"instance class db.m5.large → db.m5.xlarge", "storage 50 → 80 GiB", "backups 7 → 3 days",
		"multi-AZ true → false", "deletion protection true → false", "next maintenance window"} {
		if r.Action != plan.Update || !strings.Contains(r.Detail, want) {
			t.Errorf("instance: %s %q lacks %q", r.Action, r.Detail, want)
		}
	}
	in.mustUp(ctx)
	sent := log.take()
	if len(sent) != 1 {
		t.Fatalf("ModifyDBInstance sent %d times", len(sent))
	}
	f := sent[0]
	for k, v := range map[string]string{"DBInstanceIdentifier": in.cfg.RDS.InstanceName, "DBInstanceClass": "db.m5.xlarge",
		"AllocatedStorage": "80", "BackupRetentionPeriod": "3", "MultiAZ": "false", "DeletionProtection": "false",
		"ApplyImmediately": "false"} {
		if f.Get(k) != v {
			t.Errorf("ModifyDBInstance %s = %q, want %q", k, f.Get(k), v)
		}
	}
	if f.Has("MaxAllocatedStorage") || f.Has("EngineVersion") {
		t.Errorf("ModifyDBInstance sent unchanged settings: %v", f)
	}
	// What moto echoes: the new settings, at once.
	out, err := in.clients.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &in.cfg.RDS.InstanceName})
	if err != nil {
		t.Fatal(err)
	}
	db := out.DBInstances[0]
	if aws.ToString(db.DBInstanceClass) != "db.m5.xlarge" || aws.ToInt32(db.AllocatedStorage) != 80 || aws.ToBool(db.MultiAZ) {
		t.Errorf("instance after modify: class %s storage %d multi-AZ %t", aws.ToString(db.DBInstanceClass), aws.ToInt32(db.AllocatedStorage), aws.ToBool(db.MultiAZ))
	}
	if a := actions(in.plan(ctx))[plan.KeyInstance]; a != plan.Exists {
		t.Errorf("plan after the modification: instance is %s", a)
	}

	// With ApplyImmediately.
	in.cfg.RDS.InstanceClass = "db.m5.2xlarge"
	res, err := (&operation.Up{Configuration: in.configuration(), Reporter: &recorder{}, PollInterval: 20 * time.Millisecond,
		ApplyImmediately: true}).Run(ctx)
	if err != nil || !res.Changed {
		t.Fatalf("up --apply-immediately: %v", err)
	}
	sent = log.take()
	if len(sent) != 1 || sent[0].Get("ApplyImmediately") != "true" || sent[0].Get("DBInstanceClass") != "db.m5.2xlarge" {
		t.Errorf("ModifyDBInstance with apply-immediately: %v", sent)
	}
}
