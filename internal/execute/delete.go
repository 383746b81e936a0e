package execute

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	kaws "github.com/kfaws/kfaws/internal/aws"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// Every delete step treats a resource that is already gone as deleted, so a teardown interrupted at any point
// finishes when run again.

// progressEvery bounds the silence of a long wait: a status line at least this often.
const progressEvery = 30 * time.Second

// sgReleaseTimeout bounds the wait for RDS to release the network interfaces that keep a security group in use
// after its instance is deleted.
const sgReleaseTimeout = 15 * time.Minute

// deleteAddon deletes the add-on (and with it the driver it installed) and waits until EKS no longer lists it.
func (e *Executor) deleteAddon(ctx context.Context, s plan.Step, p plan.DeleteAddon) error {
	in := &eks.DescribeAddonInput{ClusterName: aws.String(p.Cluster), AddonName: aws.String(p.Name)}
	_, err := e.AWS.EKS.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String(p.Cluster), AddonName: aws.String(p.Name)})
	var gone *ekstypes.ResourceNotFoundException
	switch {
	case errors.As(err, &gone):
		return nil
	case err != nil:
		return fmt.Errorf("eks:DeleteAddon %q of cluster %q: %w", p.Name, p.Cluster, err)
	}
	e.progress(s, "waiting until EKS has removed the add-on")
	w := eks.NewAddonDeletedWaiter(e.AWS.EKS, func(o *eks.AddonDeletedWaiterOptions) { o.MinDelay = 2 * time.Second })
	if err := w.Wait(ctx, in, addonTimeout); err != nil {
		return fmt.Errorf("waiting for EKS add-on %q of cluster %q to be deleted: %w", p.Name, p.Cluster, err)
	}
	return nil
}

// deleteRole detaches the role's managed policies and deletes its inline ones, which IAM requires first.
func (e *Executor) deleteRole(ctx context.Context, _ plan.Step, p plan.DeleteRole) error {
	attached, err := e.AWS.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &p.Name})
	if isNoSuchEntity(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("iam:ListAttachedRolePolicies %q: %w", p.Name, err)
	}
	for _, a := range attached.AttachedPolicies {
		_, err := e.AWS.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &p.Name, PolicyArn: a.PolicyArn})
		if err != nil && !isNoSuchEntity(err) {
			return fmt.Errorf("iam:DetachRolePolicy %q %s: %w", p.Name, aws.ToString(a.PolicyArn), err)
		}
	}
	inline, err := e.AWS.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: &p.Name})
	if err != nil && !isNoSuchEntity(err) {
		return fmt.Errorf("iam:ListRolePolicies %q: %w", p.Name, err)
	}
	if inline != nil {
		for _, name := range inline.PolicyNames {
			_, err := e.AWS.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: &p.Name, PolicyName: aws.String(name)})
			if err != nil && !isNoSuchEntity(err) {
				return fmt.Errorf("iam:DeleteRolePolicy %q %s: %w", p.Name, name, err)
			}
		}
	}
	_, err = e.AWS.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: &p.Name})
	var conflict *iamtypes.DeleteConflictException
	switch {
	case isNoSuchEntity(err):
		return nil
	case errors.As(err, &conflict):
		return fmt.Errorf("IAM role %q is still in use (%s): remove it from the instance profiles or policies you added it "+
			"to, then run kfaws down again", p.Name, aws.ToString(conflict.Message))
	case err != nil:
		return fmt.Errorf("iam:DeleteRole %q: %w", p.Name, err)
	}
	return nil
}

// deletePolicy deletes the policy once nothing but what this teardown deleted uses it: kfaws does not detach its
// policy from roles, users or groups it did not create; it names them.
func (e *Executor) deletePolicy(ctx context.Context, _ plan.Step, p plan.DeletePolicy) error {
	users, err := e.AWS.IAM.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: &p.ARN})
	if isNoSuchEntity(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("iam:ListEntitiesForPolicy %s: %w", p.ARN, err)
	}
	var others []string
	for _, r := range users.PolicyRoles {
		others = append(others, "role "+aws.ToString(r.RoleName))
	}
	for _, u := range users.PolicyUsers {
		others = append(others, "user "+aws.ToString(u.UserName))
	}
	for _, g := range users.PolicyGroups {
		others = append(others, "group "+aws.ToString(g.GroupName))
	}
	if len(others) > 0 {
		return fmt.Errorf("IAM policy %s is attached to %s, which kfaws did not create: detach it there, then run kfaws down again",
			p.ARN, strings.Join(others, ", "))
	}
	versions, err := e.AWS.IAM.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: &p.ARN})
	if err != nil && !isNoSuchEntity(err) {
		return fmt.Errorf("iam:ListPolicyVersions %s: %w", p.ARN, err)
	}
	if versions != nil {
		for _, v := range versions.Versions {
			if v.IsDefaultVersion {
				continue // deleted with the policy
			}
			_, err := e.AWS.IAM.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: &p.ARN, VersionId: v.VersionId})
			if err != nil && !isNoSuchEntity(err) {
				return fmt.Errorf("iam:DeletePolicyVersion %s %s: %w", p.ARN, aws.ToString(v.VersionId), err)
			}
		}
	}
	if _, err := e.AWS.IAM.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: &p.ARN}); err != nil && !isNoSuchEntity(err) {
		return fmt.Errorf("iam:DeletePolicy %s: %w", p.ARN, err)
	}
	return nil
}

func isNoSuchEntity(err error) bool {
	var gone *iamtypes.NoSuchEntityException
	return errors.As(err, &gone)
}

// deleteInstance turns deletion protection off, has RDS take the final snapshot and delete the instance, and
// waits until the instance is gone and the snapshot available. A run interrupted after the delete call finds the
// instance deleting and waits again.
func (e *Executor) deleteInstance(ctx context.Context, s plan.Step, p plan.DeleteInstance) error {
	id := p.Identifier
	db, err := e.describeInstance(ctx, id)
	if err != nil || db == nil {
		return err
	}
	if status := aws.ToString(db.DBInstanceStatus); status != "deleting" {
		if aws.ToBool(db.DeletionProtection) {
			e.progress(s, "turning deletion protection off")
			if _, err := e.AWS.RDS.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
				DBInstanceIdentifier: &id, DeletionProtection: aws.Bool(false), ApplyImmediately: aws.Bool(true),
			}); err != nil {
				return fmt.Errorf("rds:ModifyDBInstance %q (deletion protection off): %w", id, err)
			}
		}
		in := &rds.DeleteDBInstanceInput{DBInstanceIdentifier: &id, SkipFinalSnapshot: aws.Bool(p.FinalSnapshot == "")}
		if p.FinalSnapshot != "" {
			in.FinalDBSnapshotIdentifier = &p.FinalSnapshot
		}
		_, err := e.AWS.RDS.DeleteDBInstance(ctx, in)
		var gone *rdstypes.DBInstanceNotFoundFault
		var busy *rdstypes.InvalidDBInstanceStateFault
		switch {
		case errors.As(err, &gone):
			return e.waitSnapshot(ctx, s, p.FinalSnapshot)
		case errors.As(err, &busy):
			return fmt.Errorf("DB instance %q is %s and cannot be deleted now; run kfaws down again once it is available", id, status)
		case err != nil:
			return fmt.Errorf("rds:DeleteDBInstance %q: %w", id, err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, e.instanceTimeout())
	defer cancel()
	err = e.wait(wctx, s, "DB instance "+id, func() (bool, string, error) {
		db, err := e.describeInstance(wctx, id)
		if err != nil || db == nil {
			return db == nil && err == nil, "deleted", err
		}
		return false, aws.ToString(db.DBInstanceStatus), nil
	})
	if err != nil {
		return err
	}
	return e.waitSnapshot(ctx, s, p.FinalSnapshot)
}

// describeInstance is the instance, nil when there is none.
func (e *Executor) describeInstance(ctx context.Context, id string) (*rdstypes.DBInstance, error) {
	out, err := e.AWS.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &id})
	var gone *rdstypes.DBInstanceNotFoundFault
	switch {
	case errors.As(err, &gone):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("rds:DescribeDBInstances %q: %w", id, err)
	case len(out.DBInstances) == 0:
		return nil, nil
	}
	return &out.DBInstances[0], nil
}

// waitSnapshot waits until the final snapshot is available: until then the data is not safe yet.
func (e *Executor) waitSnapshot(ctx context.Context, s plan.Step, id string) error {
	if id == "" {
		return nil
	}
	return e.wait(ctx, s, "final snapshot "+id, func() (bool, string, error) {
		out, err := e.AWS.RDS.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: &id})
		var gone *rdstypes.DBSnapshotNotFoundFault
		switch {
		case errors.As(err, &gone) || err == nil && len(out.DBSnapshots) == 0:
			return false, "", fmt.Errorf("the final snapshot %q of the deleted instance does not exist: RDS did not take it; "+
				"look for the instance's automated backups in the RDS console", id)
		case err != nil:
			return false, "", fmt.Errorf("rds:DescribeDBSnapshots %q: %w", id, err)
		}
		status := aws.ToString(out.DBSnapshots[0].Status)
		return status == "available", status, nil
	})
}

// wait polls check until it reports done, telling the reporter each new status and, while the status stays the
// same, how long it has waited at least every progressEvery.
func (e *Executor) wait(ctx context.Context, s plan.Step, what string, check func() (done bool, status string, err error)) error {
	start, last, told := time.Now(), "", time.Now()
	var cause error
	for ctx.Err() == nil {
		done, status, err := check()
		switch {
		case err == nil && done:
			return nil
		case ctx.Err() != nil: // the bound or a cancellation cut the call short
			cause = err
		case err != nil:
			return err
		}
		if status != "" && (status != last || time.Since(told) >= progressEvery) {
			e.progress(s, "%s: %s (%s elapsed)", what, status, time.Since(start).Round(time.Second))
			last, told = status, time.Now()
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(e.PollInterval, progressEvery)):
		}
	}
	if cause == nil {
		cause = ctx.Err()
	}
	if last == "" {
		last = "not seen yet"
	}
	return fmt.Errorf("waiting for %s (last status %s, %s): %w; it goes on in AWS: run %s again to resume",
		what, last, time.Since(start).Round(time.Second), cause, e.command())
}

func (e *Executor) deleteSubnetGroup(ctx context.Context, _ plan.Step, p plan.DeleteSubnetGroup) error {
	_, err := e.AWS.RDS.DeleteDBSubnetGroup(ctx, &rds.DeleteDBSubnetGroupInput{DBSubnetGroupName: &p.Name})
	var gone *rdstypes.DBSubnetGroupNotFoundFault
	var inUse *rdstypes.InvalidDBSubnetGroupStateFault
	switch {
	case errors.As(err, &gone):
	case errors.As(err, &inUse):
		return fmt.Errorf("DB subnet group %q is used by an instance kfaws did not delete: move that instance to another "+
			"group, then run kfaws down again", p.Name)
	case err != nil:
		return fmt.Errorf("rds:DeleteDBSubnetGroup %q: %w", p.Name, err)
	}
	return nil
}

func (e *Executor) deleteParameterGroup(ctx context.Context, _ plan.Step, p plan.DeleteParameterGroup) error {
	_, err := e.AWS.RDS.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: &p.Name})
	var gone *rdstypes.DBParameterGroupNotFoundFault
	var inUse *rdstypes.InvalidDBParameterGroupStateFault
	switch {
	case errors.As(err, &gone):
	case errors.As(err, &inUse):
		return fmt.Errorf("DB parameter group %q is used by an instance kfaws did not delete: give that instance another "+
			"parameter group, then run kfaws down again", p.Name)
	case err != nil:
		return fmt.Errorf("rds:DeleteDBParameterGroup %q: %w", p.Name, err)
	}
	return nil
}

// deleteSecurityGroup deletes the group, waiting while EC2 reports it in use: the network interfaces of a just
// deleted instance take minutes to go.
func (e *Executor) deleteSecurityGroup(ctx context.Context, s plan.Step, p plan.DeleteSecurityGroup) error {
	id := p.ID
	if id == "" {
		out, err := e.AWS.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: aws.String("group-name"), Values: []string{p.Name}}, {Name: aws.String("vpc-id"), Values: []string{p.VPCID}},
		}})
		if err != nil {
			return fmt.Errorf("ec2:DescribeSecurityGroups %q: %w", p.Name, err)
		}
		if len(out.SecurityGroups) == 0 {
			return nil
		}
		id = aws.ToString(out.SecurityGroups[0].GroupId)
	}
	ctx, cancel := context.WithTimeout(ctx, sgReleaseTimeout)
	defer cancel()
	return e.wait(ctx, s, "security group "+p.Name, func() (bool, string, error) {
		_, err := e.AWS.EC2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: &id})
		if err == nil {
			return true, "", nil
		}
		switch kaws.ErrorCode(err) { // an error without an AWS code (a lost connection) is no proof of deletion
		case "InvalidGroup.NotFound":
			return true, "", nil
		case "DependencyViolation":
			return false, "in use (network interfaces of the deleted instance, or rules of other groups that reference it)", nil
		}
		return false, "", fmt.Errorf("ec2:DeleteSecurityGroup %s (%s): %w", id, p.Name, err)
	})
}

// deleteSecret deletes the secret, recoverable for Secrets Manager's default 7 days unless forced.
func (e *Executor) deleteSecret(ctx context.Context, _ plan.Step, p plan.DeleteSecret) error {
	in := &secretsmanager.DeleteSecretInput{SecretId: &p.Name}
	if p.Force {
		in.ForceDeleteWithoutRecovery = aws.Bool(true)
	} else {
		in.RecoveryWindowInDays = aws.Int64(7)
	}
	_, err := e.AWS.SecretsManager.DeleteSecret(ctx, in)
	var gone *smtypes.ResourceNotFoundException
	var scheduled *smtypes.InvalidRequestException
	switch {
	case errors.As(err, &gone):
	case errors.As(err, &scheduled) && !p.Force && strings.Contains(aws.ToString(scheduled.Message), "deletion"):
		// already scheduled for deletion by an earlier run
	case err != nil:
		return fmt.Errorf("secretsmanager:DeleteSecret %q: %w", p.Name, err)
	}
	return nil
}

// deleteBucket empties the bucket of every version and delete marker, then deletes it.
func (e *Executor) deleteBucket(ctx context.Context, s plan.Step, p plan.DeleteBucket) error {
	var told time.Time
	em := &Emptier{S3: e.AWS.S3, Bucket: p.Name, Progress: func(deleted int64, elapsed time.Duration) {
		e.mu.Lock()
		due := time.Since(told) >= 2*time.Second
		if due {
			told = time.Now()
		}
		e.mu.Unlock()
		if due {
			e.progress(s, "%d objects deleted (%.0f/s)", deleted, float64(deleted)/max(elapsed.Seconds(), 1e-3))
		}
	}}
	res, err := em.Run(ctx)
	if err != nil {
		return fmt.Errorf("emptying bucket %q (%d objects deleted): %w", p.Name, res.Deleted, err)
	}
	if res.Deleted > 0 {
		e.progress(s, "emptied: %d objects in %s (%.0f/s)", res.Deleted, res.Elapsed.Round(time.Millisecond), res.Rate())
	}
	_, err = e.AWS.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &p.Name})
	if err != nil && !isNoSuchBucket(err) {
		return fmt.Errorf("s3:DeleteBucket %q: %w", p.Name, err)
	}
	return nil
}

// restoreSecret cancels a secret's scheduled deletion.
func (e *Executor) restoreSecret(ctx context.Context, s plan.Step, p plan.RestoreSecret) error {
	out, err := e.AWS.SecretsManager.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: &p.Name})
	if err != nil {
		return fmt.Errorf("secretsmanager:RestoreSecret %q: %w", p.Name, err)
	}
	return e.record(s.Resource, aws.ToString(out.ARN))
}

// forget removes a deleted resource's record.
func (e *Executor) forget(key string) error { return e.State.RemoveResource(key) }

// clearOutputs drops the outputs of what a teardown deleted; the final snapshot's name stays, as where the data is.
func (e *Executor) clearOutputs() error {
	return e.State.Update(func(st *state.State) {
		st.Outputs = state.Outputs{FinalSnapshot: st.Outputs.FinalSnapshot, UpgradeSnapshot: st.Outputs.UpgradeSnapshot}
		for k, r := range st.Resources {
			if !r.Owned && !r.Adopted {
				delete(st.Resources, k) // what it reused is no concern of an installation that is gone; what the
				// user had it adopt stays adopted, so down --delete-adopted still finds it
			}
		}
	})
}
