package observe

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// DBSnapshot is the DB snapshot `kfaws up --from-snapshot` restores the instance from.
type DBSnapshot struct {
	// Name is the snapshot asked for; "" when up restores nothing.
	Name   string
	Exists bool
	ARN    string
	// Status is RDS's: creating, available, ...; only an available snapshot can be restored.
	Status         string
	Engine         string
	EngineVersion  string
	MasterUsername string
	// AllocatedStorage is the snapshot's storage in GiB: a restored instance has at least that much.
	AllocatedStorage int32
	// Instance is the identifier of the DB instance the snapshot was taken of.
	Instance string
}

// dbSnapshot reads the named DB snapshot; one that does not exist is reported with Exists false.
func (o *Observer) dbSnapshot(ctx context.Context, name string) (DBSnapshot, error) {
	s := DBSnapshot{Name: name}
	out, err := o.AWS.RDS.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: &name})
	var nf *rdstypes.DBSnapshotNotFoundFault
	if errors.As(err, &nf) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("rds:DescribeDBSnapshots: %w", err)
	}
	if len(out.DBSnapshots) == 0 {
		return s, nil
	}
	d := out.DBSnapshots[0]
	s.Exists, s.ARN, s.Status = true, aws.ToString(d.DBSnapshotArn), aws.ToString(d.Status)
	s.Engine, s.EngineVersion, s.MasterUsername = aws.ToString(d.Engine), aws.ToString(d.EngineVersion), aws.ToString(d.MasterUsername)
	s.AllocatedStorage, s.Instance = aws.ToInt32(d.AllocatedStorage), aws.ToString(d.DBInstanceIdentifier)
	return s, nil
}
