package execute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// rdsSecret is the RDS secret's JSON, in the reference's format: every field a string.
type rdsSecret struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Database string `json:"database"`
	Host     string `json:"host"`
	Port     string `json:"port"`
}

func (e *Executor) rdsTags() []rdstypes.Tag {
	var out []rdstypes.Tag
	for _, t := range e.tags() {
		out = append(out, rdstypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return out
}

func (e *Executor) secretTags(complete bool) []smtypes.Tag {
	tags := e.tags()
	if complete {
		tags = append(tags, ownership.CompleteTag())
	}
	var out []smtypes.Tag
	for _, t := range tags {
		out = append(out, smtypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return out
}

func (e *Executor) createSubnetGroup(ctx context.Context, s plan.Step, p plan.CreateSubnetGroup) error {
	if err := e.intend(s.Resource, p.Name); err != nil {
		return err
	}
	out, err := e.AWS.RDS.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{
		DBSubnetGroupName:        &p.Name,
		DBSubnetGroupDescription: aws.String("Kubeflow databases: private subnets of EKS cluster " + p.Cluster),
		SubnetIds:                p.Subnets,
		Tags:                     e.rdsTags(),
	})
	var exists *rdstypes.DBSubnetGroupAlreadyExistsFault
	var arn string
	switch {
	case errors.As(err, &exists):
		if arn, err = e.subnetGroupARN(ctx, p.Name); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("rds:CreateDBSubnetGroup %q: %w", p.Name, err)
	default:
		arn = aws.ToString(out.DBSubnetGroup.DBSubnetGroupArn)
	}
	return e.record(s.Resource, arn)
}

func (e *Executor) createParameterGroup(ctx context.Context, s plan.Step, p plan.CreateParameterGroup) error {
	if err := e.intend(s.Resource, p.Name); err != nil {
		return err
	}
	out, err := e.AWS.RDS.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{
		DBParameterGroupName:   &p.Name,
		DBParameterGroupFamily: &p.Family,
		Description:            aws.String("Kubeflow on RDS: mysql_native_password, utf8mb4 (managed by kfaws)"),
		Tags:                   e.rdsTags(),
	})
	var exists *rdstypes.DBParameterGroupAlreadyExistsFault
	var arn string
	switch {
	case errors.As(err, &exists):
		if arn, err = e.parameterGroupARN(ctx, p.Name); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("rds:CreateDBParameterGroup %q: %w", p.Name, err)
	default:
		arn = aws.ToString(out.DBParameterGroup.DBParameterGroupArn)
	}
	if err := e.record(s.Resource, arn); err != nil {
		return err
	}
	return e.setParameters(ctx, s, plan.SetParameters{Name: p.Name, Parameters: p.Parameters})
}

// setParameters writes kfaws's parameters. pending-reboot is accepted for static and dynamic parameters alike,
// and a new instance starts with them either way.
func (e *Executor) setParameters(ctx context.Context, _ plan.Step, p plan.SetParameters) error {
	var params []rdstypes.Parameter
	for k, v := range p.Parameters {
		params = append(params, rdstypes.Parameter{
			ParameterName: aws.String(k), ParameterValue: aws.String(v), ApplyMethod: rdstypes.ApplyMethodPendingReboot,
		})
	}
	if _, err := e.AWS.RDS.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{
		DBParameterGroupName: &p.Name, Parameters: params,
	}); err != nil {
		return fmt.Errorf("rds:ModifyDBParameterGroup %q: %w", p.Name, err)
	}
	return nil
}

// createRDSSecret writes the master credentials before the instance exists, so that a run killed at any later
// point leaves the password where the next run finds it.
func (e *Executor) createRDSSecret(ctx context.Context, s plan.Step, p plan.CreateRDSSecret) error {
	// The configured password, which the plan does not carry; plan asks for a generated one when none is configured.
	pw := e.Config.RDS.MasterPassword
	if p.Generate {
		var err error
		if pw, err = e.generatePassword(ctx); err != nil {
			return err
		}
	}
	e.setPassword(pw)
	value, err := json.Marshal(rdsSecret{Username: p.Username, Password: pw, Database: p.Database})
	if err != nil {
		return err
	}
	return e.createSecret(ctx, s.Resource, secretSpec{name: p.Name, desc: "Kubeflow database credentials (RDS master user)",
		value: string(value), kmsKey: p.KMSKey})
}

func (e *Executor) createInstance(ctx context.Context, s plan.Step, p plan.CreateInstance) error {
	pw, err := e.masterPassword(ctx, p.SecretName)
	if err != nil {
		return err
	}
	sg := p.SecurityGroupID
	if sg == "" {
		sg = e.securityGroupID()
	}
	if err := e.intend(s.Resource, p.Identifier); err != nil {
		return err
	}
	// An instance created anew has the secret's password: a restore an earlier run began is no longer pending.
	if err := e.State.Update(func(st *state.State) { st.Outputs.RestoringFrom = "" }); err != nil {
		return err
	}
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier:  &p.Identifier,
		DBInstanceClass:       &p.Class,
		Engine:                aws.String("mysql"),
		EngineVersion:         &p.EngineVersion,
		DBName:                &p.Database,
		MasterUsername:        &p.MasterUsername,
		MasterUserPassword:    &pw,
		AllocatedStorage:      aws.Int32(p.AllocatedStorage),
		StorageType:           &p.StorageType,
		StorageEncrypted:      aws.Bool(true),
		BackupRetentionPeriod: p.BackupRetentionPeriod,
		MultiAZ:               p.MultiAZ,
		PubliclyAccessible:    aws.Bool(false),
		DeletionProtection:    p.DeletionProtection,
		CopyTagsToSnapshot:    aws.Bool(true),
		DBSubnetGroupName:     &p.SubnetGroup,
		DBParameterGroupName:  &p.ParameterGroup,
		VpcSecurityGroupIds:   []string{sg},
		Tags:                  e.rdsTags(),
	}
	if p.MaxAllocatedStorage > 0 {
		in.MaxAllocatedStorage = aws.Int32(p.MaxAllocatedStorage)
	}
	if p.KMSKey != "" {
		key, err := e.keyARN(p.KMSKey)
		if err != nil {
			return err
		}
		in.KmsKeyId = &key
	}
	out, err := e.AWS.RDS.CreateDBInstance(ctx, in)
	var made *rdstypes.DBInstance
	if out != nil {
		made = out.DBInstance
	}
	return e.recordInstance(ctx, s, p.Identifier, made, err, fmt.Sprintf("rds:CreateDBInstance %q", p.Identifier))
}

// recordInstance records the instance a create or restore call made, or the one a resumed run finds already
// there; call names the call in the error of any other failure.
func (e *Executor) recordInstance(ctx context.Context, s plan.Step, id string, made *rdstypes.DBInstance, err error, call string) error {
	var exists *rdstypes.DBInstanceAlreadyExistsFault
	switch {
	case errors.As(err, &exists):
		arn, err := e.instanceARN(ctx, id)
		if err != nil {
			return err
		}
		return e.record(s.Resource, arn)
	case err != nil:
		return fmt.Errorf("%s: %w", call, err)
	}
	return e.record(s.Resource, aws.ToString(made.DBInstanceArn))
}

// waitInstance polls until the instance is available, reporting each status change and, while it stays the same,
// how long it has waited at least every progressEvery. RDS takes 10-20 minutes; the wait stops at
// InstanceTimeout, the instance going on in AWS.
func (e *Executor) waitInstance(ctx context.Context, s plan.Step, p plan.WaitInstance) error {
	return e.waitUntil(ctx, s, p.Identifier, func(*rdstypes.DBInstance) bool { return true })
}

// waitUntil is waitInstance until, besides, done says what the step waits for has happened; it keeps the
// description it ended with for the steps after it.
func (e *Executor) waitUntil(ctx context.Context, s plan.Step, id string, done func(*rdstypes.DBInstance) bool) error {
	ctx, cancel := context.WithTimeout(ctx, e.instanceTimeout())
	defer cancel()
	var db *rdstypes.DBInstance
	err := e.wait(ctx, s, "DB instance "+id, func() (bool, string, error) {
		out, err := e.AWS.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &id})
		if err != nil {
			return false, "", fmt.Errorf("rds:DescribeDBInstances %q: %w", id, err)
		}
		if len(out.DBInstances) == 0 {
			return false, "", fmt.Errorf("DB instance %q disappeared while waiting for it", id)
		}
		db = &out.DBInstances[0]
		switch status := aws.ToString(db.DBInstanceStatus); status {
		case "available":
			return done(db), status, nil
		case "failed", "deleting", "incompatible-parameters", "incompatible-network", "incompatible-restore", "storage-full":
			return false, status, fmt.Errorf("DB instance %q is %s; see its events in the RDS console", id, status)
		default:
			return false, status, nil
		}
	})
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.available = db
	e.mu.Unlock()
	return nil
}

// recordEndpoint completes the RDS secret with the instance's endpoint and marks it complete.
func (e *Executor) recordEndpoint(ctx context.Context, _ plan.Step, p plan.RecordEndpoint) error {
	pw, err := e.masterPassword(ctx, p.SecretName)
	if err != nil {
		return err
	}
	db, err := e.availableInstance(ctx, p.Instance)
	if err != nil {
		return err
	}
	in := observe.InstanceFrom(*db)
	value, err := json.Marshal(rdsSecret{
		Username: in.MasterUsername, Password: pw, Database: in.DBName, Host: in.Address, Port: strconv.Itoa(int(in.Port)),
	})
	if err != nil {
		return err
	}
	if _, err := e.AWS.SecretsManager.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: &p.SecretName, SecretString: aws.String(string(value)),
	}); err != nil {
		return fmt.Errorf("secretsmanager:PutSecretValue %q: %w", p.SecretName, err)
	}
	complete := ownership.CompleteTag()
	if _, err := e.AWS.SecretsManager.TagResource(ctx, &secretsmanager.TagResourceInput{
		SecretId: &p.SecretName, Tags: []smtypes.Tag{{Key: aws.String(complete.Key), Value: aws.String(complete.Value)}},
	}); err != nil {
		return fmt.Errorf("secretsmanager:TagResource %q: %w", p.SecretName, err)
	}
	return e.State.Update(func(st *state.State) {
		st.Outputs.DBHost, st.Outputs.DBPort = in.Address, in.Port
	})
}

func (e *Executor) setPassword(pw string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.password = pw
}

// masterPassword returns the password this run generated, or reads it back from the RDS secret (name) that an
// interrupted run (or this run's first step) wrote.
func (e *Executor) masterPassword(ctx context.Context, name string) (string, error) {
	e.mu.Lock()
	pw := e.password
	e.mu.Unlock()
	if pw != "" {
		return pw, nil
	}
	out, err := e.AWS.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name})
	if err != nil {
		return "", fmt.Errorf("secretsmanager:GetSecretValue %q: %w", name, err)
	}
	var v rdsSecret
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil || v.Password == "" {
		return "", fmt.Errorf("secret %q does not hold a JSON object with a password; fix or delete it", name)
	}
	e.setPassword(v.Password)
	return v.Password, nil
}

// availableInstance is the description the wait ended with, or a fresh one when this run did not wait.
func (e *Executor) availableInstance(ctx context.Context, id string) (*rdstypes.DBInstance, error) {
	e.mu.Lock()
	db := e.available
	e.mu.Unlock()
	if db != nil {
		return db, nil
	}
	out, err := e.AWS.RDS.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: &id})
	if err != nil {
		return nil, fmt.Errorf("rds:DescribeDBInstances %q: %w", id, err)
	}
	if len(out.DBInstances) == 0 || out.DBInstances[0].Endpoint == nil {
		return nil, fmt.Errorf("DB instance %q has no endpoint yet; run kfaws up again", id)
	}
	return &out.DBInstances[0], nil
}

// storeGivenPassword writes the configured master password (which up tested by logging in when the instance
// exists) and the master user name into the RDS secret, keeping the rest of its value; later steps of this run
// use that password.
func (e *Executor) storeGivenPassword(ctx context.Context, _ plan.Step, p plan.StoreGivenPassword) error {
	pw := e.Config.RDS.MasterPassword
	if pw == "" {
		return fmt.Errorf("no master password given in the configuration to store in secret %q", p.SecretName)
	}
	out, err := e.AWS.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &p.SecretName})
	if err != nil {
		return fmt.Errorf("secretsmanager:GetSecretValue %q: %w", p.SecretName, err)
	}
	value := map[string]any{}
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &value); err != nil {
		return fmt.Errorf("secret %q does not hold a JSON object; fix or delete it", p.SecretName)
	}
	value["password"] = pw
	if p.Username != "" {
		value["username"] = p.Username
	}
	b, err := json.Marshal(value)
	if err != nil {
		return err
	}
	if _, err := e.AWS.SecretsManager.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: &p.SecretName, SecretString: aws.String(string(b)),
	}); err != nil {
		return fmt.Errorf("secretsmanager:PutSecretValue %q: %w", p.SecretName, err)
	}
	e.setPassword(pw)
	return nil
}

// generatePassword asks Secrets Manager for a password within RDS for MySQL's rule (config's password rule:
// 8 to 41 printable ASCII characters other than / @ " and space): 32 letters and digits.
func (e *Executor) generatePassword(ctx context.Context) (string, error) {
	out, err := e.AWS.SecretsManager.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{
		PasswordLength: aws.Int64(32), ExcludePunctuation: aws.Bool(true), IncludeSpace: aws.Bool(false),
		RequireEachIncludedType: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("secretsmanager:GetRandomPassword: %w", err)
	}
	return aws.ToString(out.RandomPassword), nil
}
