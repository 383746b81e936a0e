package upgrade

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/kfaws/kfaws/internal/ownership"
)

// RDSAPI is what the Snapshotter calls; *rds.Client has it.
type RDSAPI interface {
	DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	CreateDBSnapshot(context.Context, *rds.CreateDBSnapshotInput, ...func(*rds.Options)) (*rds.CreateDBSnapshotOutput, error)
	DescribeDBSnapshots(context.Context, *rds.DescribeDBSnapshotsInput, ...func(*rds.Options)) (*rds.DescribeDBSnapshotsOutput, error)
}

// progressEvery bounds the silence while a snapshot is taken: a status line at least this often.
const progressEvery = 30 * time.Second

// defaultPoll is how often the snapshot's status is read; RDS takes minutes for a snapshot.
const defaultPoll = 10 * time.Second

// Snapshotter takes manual DB snapshots and waits for them.
type Snapshotter struct {
	RDS RDSAPI
	// Installation tags the snapshot as the installation's, as everything kfaws creates in AWS.
	Installation string
	// Progress receives the status lines; nil discards.
	Progress io.Writer
	// PollInterval is how often the status is read; 0 for 10 s.
	PollInterval time.Duration
	// now and after stand in for the clock in tests; nil means time.Now and time.After.
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

// Instance describes the DB instance id; nil when it does not exist.
func (s *Snapshotter) Instance(ctx context.Context, id string) (*Instance, error) {
	out, err := s.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &id})
	var gone *rdstypes.DBInstanceNotFoundFault
	switch {
	case errors.As(err, &gone) || err == nil && len(out.DBInstances) == 0:
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("rds:DescribeDBInstances %q: %w", id, err)
	}
	db := out.DBInstances[0]
	in := &Instance{Identifier: id}
	if db.DBSubnetGroup != nil {
		in.SubnetGroup = aws.ToString(db.DBSubnetGroup.DBSubnetGroupName)
	}
	if len(db.DBParameterGroups) > 0 {
		in.ParameterGroup = aws.ToString(db.DBParameterGroups[0].DBParameterGroupName)
	}
	for _, g := range db.VpcSecurityGroups {
		in.SecurityGroups = append(in.SecurityGroups, aws.ToString(g.VpcSecurityGroupId))
	}
	return in, nil
}

// Take has RDS snapshot the instance under name and waits until the snapshot is available: only then is the
// data safe. A snapshot of that name already there (a run interrupted while waiting) is waited for, not taken again.
func (s *Snapshotter) Take(ctx context.Context, instance, name string) error {
	var tags []rdstypes.Tag
	for _, t := range ownership.Tags(s.Installation) {
		tags = append(tags, rdstypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	_, err := s.RDS.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{
		DBInstanceIdentifier: &instance, DBSnapshotIdentifier: &name, Tags: tags,
	})
	var exists *rdstypes.DBSnapshotAlreadyExistsFault
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("rds:CreateDBSnapshot %q of DB instance %q: %w", name, instance, err)
	}
	return s.wait(ctx, name)
}

// wait polls the snapshot until it is available, telling Progress each new status and, while the status stays
// the same, at least every progressEvery how long it has waited.
func (s *Snapshotter) wait(ctx context.Context, name string) error {
	poll := s.PollInterval
	if poll <= 0 {
		poll = defaultPoll
	}
	poll = min(poll, progressEvery)
	now, after := s.clock()
	start, told, last := now(), time.Time{}, ""
	for {
		status, err := s.status(ctx, name)
		if err != nil || status == "available" {
			return err
		}
		if status == "failed" {
			return fmt.Errorf("DB snapshot %q failed; the apply did not run: look at the instance's events "+
				"(aws rds describe-events --source-type db-snapshot --source-identifier %s), then apply again", name, name)
		}
		// Tell now when the next chance would come too late.
		if status != last || now().Sub(told)+poll > progressEvery {
			fmt.Fprintf(s.progress(), "  DB snapshot %s: %s (%s elapsed)\n", name, status, now().Sub(start).Round(time.Second))
			last, told = status, now()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for DB snapshot %q (last status %s): %w; the apply did not run, and running it "+
				"again takes a new snapshot", name, last, ctx.Err())
		case <-after(poll):
		}
	}
}

func (s *Snapshotter) status(ctx context.Context, name string) (string, error) {
	out, err := s.RDS.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: &name})
	var gone *rdstypes.DBSnapshotNotFoundFault
	switch {
	case errors.As(err, &gone) || err == nil && len(out.DBSnapshots) == 0:
		return "", fmt.Errorf("DB snapshot %q is gone while kfaws waited for it; apply again to take a new one", name)
	case err != nil:
		return "", fmt.Errorf("rds:DescribeDBSnapshots %q: %w", name, err)
	}
	return aws.ToString(out.DBSnapshots[0].Status), nil
}

// Latest is the newest available manual snapshot of instance whose name starts with prefix, "" when there is none.
func (s *Snapshotter) Latest(ctx context.Context, instance, prefix string) (string, error) {
	in := &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: &instance, SnapshotType: aws.String("manual")}
	var names []string
	for p := rds.NewDescribeDBSnapshotsPaginator(s.RDS, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("rds:DescribeDBSnapshots of DB instance %q: %w", instance, err)
		}
		for _, sn := range out.DBSnapshots {
			if n := aws.ToString(sn.DBSnapshotIdentifier); strings.HasPrefix(strings.ToLower(n), strings.ToLower(prefix)) && aws.ToString(sn.Status) == "available" {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	sort.Strings(names) // the names end in the time, YYYYMMDD-HHMMSS
	return names[len(names)-1], nil
}

func (s *Snapshotter) clock() (func() time.Time, func(time.Duration) <-chan time.Time) {
	now, after := s.now, s.after
	if now == nil {
		now = time.Now
	}
	if after == nil {
		after = time.After
	}
	return now, after
}

func (s *Snapshotter) progress() io.Writer {
	if s.Progress == nil {
		return io.Discard
	}
	return s.Progress
}
