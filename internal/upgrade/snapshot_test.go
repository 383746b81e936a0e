package upgrade

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// fakeRDS answers with a snapshot that reports each of statuses in turn, the last one for good.
type fakeRDS struct {
	mu       sync.Mutex
	statuses []string
	created  *rds.CreateDBSnapshotInput
	polls    int
}

func (f *fakeRDS) DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	return nil, &rdstypes.DBInstanceNotFoundFault{}
}

func (f *fakeRDS) CreateDBSnapshot(_ context.Context, in *rds.CreateDBSnapshotInput, _ ...func(*rds.Options)) (*rds.CreateDBSnapshotOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = in
	return &rds.CreateDBSnapshotOutput{}, nil
}

func (f *fakeRDS) DescribeDBSnapshots(_ context.Context, in *rds.DescribeDBSnapshotsInput, _ ...func(*rds.Options)) (*rds.DescribeDBSnapshotsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.created == nil {
		return nil, &rdstypes.DBSnapshotNotFoundFault{}
	}
	status := f.statuses[min(f.polls, len(f.statuses)-1)]
	f.polls++
	return &rds.DescribeDBSnapshotsOutput{DBSnapshots: []rdstypes.DBSnapshot{
		{DBSnapshotIdentifier: in.DBSnapshotIdentifier, Status: aws.String(status)},
	}}, nil
}

type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Take returns only once RDS reports the snapshot available, tagged as the installation's, with a line per status.
func TestTakeWaitsUntilAvailable(t *testing.T) {
	f := &fakeRDS{statuses: []string{"creating", "creating", "creating", "available"}}
	out := &lines{}
	s := &Snapshotter{RDS: f, Installation: "prod", Progress: out, PollInterval: time.Millisecond}
	if err := s.Take(context.Background(), "kubeflow-db", "kubeflow-db-pre-kfp-2-5-0-to-2-15-0-20260101-000000"); err != nil {
		t.Fatal(err)
	}
	if f.polls != 4 {
		t.Errorf("returned after %d status reads, want 4 (the fourth says available)", f.polls)
	}
	if aws.ToString(f.created.DBInstanceIdentifier) != "kubeflow-db" || len(f.created.Tags) != 2 ||
		aws.ToString(f.created.Tags[0].Value) != "prod" {
		t.Errorf("CreateDBSnapshot %+v: want the instance, tagged with the installation", f.created)
	}
	if got := strings.Count(out.String(), ": creating ("); got != 1 {
		t.Errorf("progress told the unchanged status %d times within a millisecond poll, want once:\n%s", got, out)
	}
}

// A status that does not change is still told at least every 30 s, and not at every read.
func TestTakeTellsAnUnchangedStatusEvery30s(t *testing.T) {
	for _, poll := range []time.Duration{7 * time.Second, 10 * time.Second, 20 * time.Second, time.Minute} {
		statuses := make([]string, 40)
		for i := range statuses {
			statuses[i] = "creating"
		}
		f := &fakeRDS{statuses: append(statuses, "available")}
		clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var told []time.Time
		s := &Snapshotter{RDS: f, PollInterval: poll,
			Progress: writerFunc(func(p []byte) (int, error) { told = append(told, clock); return len(p), nil }),
			now:      func() time.Time { return clock },
			after: func(d time.Duration) <-chan time.Time {
				clock = clock.Add(d)
				c := make(chan time.Time, 1)
				c <- clock
				return c
			}}
		if err := s.Take(context.Background(), "db", "db-pre-kfp-2-5-0-to-2-15-0-1"); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(told); i++ {
			if gap := told[i].Sub(told[i-1]); gap > progressEvery {
				t.Errorf("poll %s: %s without a progress line", poll, gap)
			}
		}
		if last := clock.Sub(told[len(told)-1]); last > progressEvery {
			t.Errorf("poll %s: silent for the last %s", poll, last)
		}
		if poll <= 10*time.Second && len(told) >= f.polls-1 {
			t.Errorf("poll %s: %d lines for %d reads; an unchanged status is not told at every read", poll, len(told), f.polls)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

func TestTakeFailsOnAFailedSnapshot(t *testing.T) {
	f := &fakeRDS{statuses: []string{"creating", "failed"}}
	s := &Snapshotter{RDS: f, PollInterval: time.Millisecond}
	err := s.Take(context.Background(), "db", "db-pre-kfp-2-5-0-to-2-15-0-1")
	if err == nil || !strings.Contains(err.Error(), "failed") || !strings.Contains(err.Error(), "did not run") {
		t.Errorf("Take of a failing snapshot: %v", err)
	}
}

func TestTakeStopsWhenCancelled(t *testing.T) {
	f := &fakeRDS{statuses: []string{"creating"}}
	s := &Snapshotter{RDS: f, PollInterval: time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := s.Take(ctx, "db", "db-pre-kfp-2-5-0-to-2-15-0-1")
	if err == nil || !strings.Contains(err.Error(), "last status creating") || !strings.Contains(err.Error(), "did not run") {
		t.Errorf("Take cancelled while creating: %v", err)
	}
}
