package execute

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/kfaws/kfaws/internal/plan"
)

// modifyInstance sends the settings plan found changed. RDS applies class, storage, Multi-AZ and engine version
// at the next maintenance window unless the run applies them immediately (e.ApplyImmediately); deletion
// protection and the storage ceiling take effect at once either way.
func (e *Executor) modifyInstance(ctx context.Context, s plan.Step, p plan.ModifyInstance) error {
	in := &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: &p.Identifier, ApplyImmediately: aws.Bool(e.ApplyImmediately),
		AllocatedStorage: p.AllocatedStorage, MaxAllocatedStorage: p.MaxAllocatedStorage,
		BackupRetentionPeriod: p.BackupRetentionPeriod, MultiAZ: p.MultiAZ, DeletionProtection: p.DeletionProtection,
	}
	if p.Class != "" {
		in.DBInstanceClass = &p.Class
	}
	if p.EngineVersion != "" {
		in.EngineVersion = &p.EngineVersion
	}
	if _, err := e.AWS.RDS.ModifyDBInstance(ctx, in); err != nil {
		return fmt.Errorf("rds:ModifyDBInstance %q: %w", p.Identifier, err)
	}
	if e.ApplyImmediately {
		e.progress(s, "RDS applies the changes now")
	} else {
		e.progress(s, "RDS applies the changes at the next maintenance window")
	}
	return nil
}
