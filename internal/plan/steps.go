package plan

import (
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/policy"
)

// StepKind names what a step does. Execute has one implementation per kind and runs it with the step's Params,
// so nothing plan decided is decided again.
type StepKind string

// The kinds of step plan emits.
const (
	KindRegisterOIDCProvider StepKind = "register-oidc-provider"
	KindCreateBucket         StepKind = "create-bucket"
	KindConfigureBucket      StepKind = "configure-bucket"
	KindBucketTLSPolicy      StepKind = "bucket-tls-policy"
	KindCreateStaticKeys     StepKind = "create-static-keys-secret"
	KindCreatePolicy         StepKind = "create-policy"
	KindUpdatePolicy         StepKind = "update-policy"
	KindEnsureRole           StepKind = "ensure-role"
	KindCreateSubnetGroup    StepKind = "create-subnet-group"
	KindCreateParameterGroup StepKind = "create-parameter-group"
	KindSetParameters        StepKind = "set-parameters"
	KindCreateSecurityGroup  StepKind = "create-security-group"
	KindAdmitMySQL           StepKind = "admit-mysql"
	KindCreateRDSSecret      StepKind = "create-rds-secret"
	KindCreateInstance       StepKind = "create-instance"
	KindModifyInstance       StepKind = "modify-instance"
	KindWaitInstance         StepKind = "wait-instance"
	KindRecordEndpoint       StepKind = "record-endpoint"
	KindCreateAddon          StepKind = "create-addon"
	KindConfigureAddon       StepKind = "configure-addon"
	KindCreateAssociation    StepKind = "create-pod-identity-association"
	KindUpdateAssociation    StepKind = "update-pod-identity-association"
	KindRestoreSecret        StepKind = "restore-secret"
	KindStoreGivenPassword   StepKind = "store-given-password"
	KindRestoreInstance      StepKind = "restore-instance"
	KindSetMasterPassword    StepKind = "set-master-password"
	KindCreateKMSKey         StepKind = "create-kms-key"
	KindRestoreKMSKey        StepKind = "restore-kms-key"
	KindEncryptSecret        StepKind = "encrypt-secret"
	KindEnsureDBUser         StepKind = "ensure-db-user"
	KindRotateDBPassword     StepKind = "rotate-db-password"

	// Teardown (BuildDown).
	KindDeleteAddon          StepKind = "delete-addon"
	KindDeleteAssociation    StepKind = "delete-pod-identity-association"
	KindDeleteRole           StepKind = "delete-role"
	KindDeletePolicy         StepKind = "delete-policy"
	KindDeleteInstance       StepKind = "delete-instance"
	KindDeleteSubnetGroup    StepKind = "delete-subnet-group"
	KindDeleteParameterGroup StepKind = "delete-parameter-group"
	KindDeleteSecurityGroup  StepKind = "delete-security-group"
	KindDeleteSecret         StepKind = "delete-secret"
	KindDeleteBucket         StepKind = "delete-bucket"
	KindDeleteKMSKey         StepKind = "delete-kms-key"
)

// StepKinds lists every kind Build and BuildDown can emit; execute's tests check it has an implementation for each.
func StepKinds() []StepKind {
	return []StepKind{
		KindRegisterOIDCProvider, KindCreateBucket, KindConfigureBucket, KindBucketTLSPolicy, KindCreateStaticKeys, KindCreatePolicy,
		KindUpdatePolicy, KindEnsureRole, KindCreateSubnetGroup, KindCreateParameterGroup, KindSetParameters,
		KindCreateSecurityGroup, KindAdmitMySQL, KindCreateRDSSecret, KindCreateInstance, KindModifyInstance,
		KindWaitInstance, KindRecordEndpoint, KindCreateAddon, KindConfigureAddon, KindRestoreSecret, KindStoreGivenPassword,
		KindRestoreInstance, KindSetMasterPassword, KindCreateKMSKey, KindRestoreKMSKey, KindEncryptSecret, KindEnsureDBUser,
		KindRotateDBPassword,
		KindCreateAssociation, KindUpdateAssociation,
		KindDeleteAddon, KindDeleteAssociation, KindDeleteRole, KindDeletePolicy, KindDeleteInstance, KindDeleteSubnetGroup,
		KindDeleteParameterGroup, KindDeleteSecurityGroup, KindDeleteSecret, KindDeleteBucket, KindDeleteKMSKey,
	}
}

// Deletes reports whether a step of this kind deletes its resource: once it has run, the state forgets the
// resource instead of recording it.
func (k StepKind) Deletes() bool {
	switch k {
	case KindDeleteAddon, KindDeleteAssociation, KindDeleteRole, KindDeletePolicy, KindDeleteInstance, KindDeleteSubnetGroup,
		KindDeleteParameterGroup, KindDeleteSecurityGroup, KindDeleteSecret, KindDeleteBucket, KindDeleteKMSKey:
		return true
	}
	return false
}

// Params are the decisions one step carries; each type belongs to one StepKind. None holds a secret value:
// passwords and keys stay in the configuration, so a plan can be printed or logged whole.
type Params interface {
	Kind() StepKind
}

// RegisterOIDCProvider registers the cluster's OIDC issuer with IAM, for IRSA.
type RegisterOIDCProvider struct {
	// Issuer is the issuer URL, https:// included.
	Issuer   string
	Audience string
}

// CreateBucket creates the bucket in Region, then configures it as ConfigureBucket does, and, when TLSOnly is
// set, puts it into the bucket policy as BucketTLSPolicy does.
type CreateBucket struct {
	Bucket  string
	Region  string
	TLSOnly *policy.Statement
	// KMSKey is the ARN of the key for SSE-KMS default encryption (CreatedKeyARN: the key this run creates);
	// "" for SSE-S3.
	KMSKey string
}

// BucketTLSPolicy puts Statement into the policy of a bucket kfaws owns, replacing the statement with its Sid and
// keeping the others, or, when Statement is nil, takes kfaws's statement (TLSOnlySid) out.
type BucketTLSPolicy struct {
	Bucket    string
	Statement *policy.Statement
}

// ConfigureBucket sets the ownership tags, the public access block and default encryption on a bucket.
type ConfigureBucket struct {
	Bucket string
	// KMSKey is as in CreateBucket.
	KMSKey string
}

// CreateStaticKeys stores the configured static S3 keys in a new secret.
type CreateStaticKeys struct {
	SecretName string
	// KMSKey encrypts the secret (CreatedKeyARN: the key this run creates); "" for the AWS managed key.
	KMSKey string
}

// CreatePolicy creates a customer managed IAM policy.
type CreatePolicy struct {
	Name        string
	Description string
	Document    string
}

// UpdatePolicy makes Document the default version of a policy kfaws created.
type UpdatePolicy struct {
	ARN      string
	Name     string
	Document string
}

// EnsureRole creates an IAM role that Binding lets ServiceAccount assume, or restores the trust of the role
// when it exists, then gives it its permissions.
type EnsureRole struct {
	Name           string
	ServiceAccount identity.ServiceAccount
	// AlsoTrusted are further accounts the role must let assume it (KFP's UI shares the API server's role).
	AlsoTrusted []identity.ServiceAccount
	Binding     identity.Binding
	// AttachPolicies are ARNs of managed policies to attach.
	AttachPolicies []string
	// DetachPolicies are ARNs of policies kfaws created under an old name, to detach.
	DetachPolicies []string
	// InlinePolicies are written (overwritten) on the role.
	InlinePolicies []InlinePolicy
}

// InlinePolicy is a policy embedded in a role.
type InlinePolicy struct {
	Name     string
	Document string
}

// CreateSubnetGroup creates the DB subnet group from the subnets plan chose.
type CreateSubnetGroup struct {
	Name    string
	Subnets []string
	// Cluster names the EKS cluster, for the group's description.
	Cluster string
}

// CreateParameterGroup creates a DB parameter group, then sets Parameters in it.
type CreateParameterGroup struct {
	Name       string
	Family     string
	Parameters map[string]string
}

// SetParameters writes parameters into an existing DB parameter group.
type SetParameters struct {
	Name       string
	Parameters map[string]string
}

// CreateSecurityGroup creates the DB security group in the cluster's VPC, then admits MySQL from Ingress.
type CreateSecurityGroup struct {
	Name    string
	VPCID   string
	Cluster string
	// Ingress are the sources admitted on 3306: security group ids (sg-...) or CIDRs.
	Ingress []string
}

// AdmitMySQL adds ingress rules on 3306 to an existing security group.
type AdmitMySQL struct {
	// GroupID is the group's id; "" means the group this run created.
	GroupID string
	Ingress []string
}

// CreateRDSSecret writes the master credentials into a new secret, before the instance exists.
type CreateRDSSecret struct {
	Name     string
	Username string
	Database string
	// Generate asks Secrets Manager for a password; otherwise the configured one is written.
	Generate bool
	// KMSKey is as in CreateStaticKeys.
	KMSKey string
}

// StoreGivenPassword writes the master password given in KFAWS_DB_MASTER_PASSWORD, and Username, into the RDS
// secret kfaws created, keeping the rest of its value. The password is not here: it stays in the configuration.
type StoreGivenPassword struct {
	SecretName string
	Username   string
}

// CreateInstance creates the DB instance. The master password is read from the RDS secret (or this run's memory).
type CreateInstance struct {
	Identifier            string
	Class                 string
	EngineVersion         string
	Database              string
	MasterUsername        string
	AllocatedStorage      int32
	MaxAllocatedStorage   int32
	StorageType           string
	BackupRetentionPeriod *int32
	MultiAZ               *bool
	DeletionProtection    *bool
	SubnetGroup           string
	ParameterGroup        string
	// SecurityGroupID is the group to use; "" means the group this run created.
	SecurityGroupID string
	// SecretName is where the master password is, when this run did not generate it.
	SecretName string
	// KMSKey encrypts the storage (CreatedKeyARN: the key this run creates); "" for RDS's AWS managed key.
	KMSKey string
}

// RestoreInstance creates the DB instance from a DB snapshot, with the settings CreateInstance would give it
// that a restore takes. The instance keeps the snapshot's engine version, master user and master password; a
// SetMasterPassword step follows it.
type RestoreInstance struct {
	Identifier            string
	Snapshot              string
	Class                 string
	AllocatedStorage      *int32
	StorageType           string
	BackupRetentionPeriod *int32
	MultiAZ               *bool
	DeletionProtection    *bool
	SubnetGroup           string
	ParameterGroup        string
	// SecurityGroupID is the group to use; "" means the group this run created.
	SecurityGroupID string
}

// SetMasterPassword sets the master password of the instance restored from Snapshot to the one in the RDS secret
// (SecretName), and the settings a restore cannot take, then waits until RDS has applied them.
type SetMasterPassword struct {
	Identifier          string
	SecretName          string
	Snapshot            string
	MaxAllocatedStorage *int32
}

// ModifyInstance brings the settings of an instance kfaws created back to the configuration; only the fields
// set change. RDS applies them at the next maintenance window unless the run applies them immediately.
type ModifyInstance struct {
	Identifier            string
	Class                 string
	EngineVersion         string
	AllocatedStorage      *int32
	MaxAllocatedStorage   *int32
	BackupRetentionPeriod *int32
	MultiAZ               *bool
	DeletionProtection    *bool
}

// WaitInstance waits until the DB instance is available.
type WaitInstance struct {
	Identifier string
}

// RecordEndpoint completes the RDS secret with the available instance's endpoint.
type RecordEndpoint struct {
	SecretName string
	Instance   string
}

// CreateAddon installs an EKS add-on at Version with Configuration, tagged as kfaws's, and waits until it is
// ACTIVE.
type CreateAddon struct {
	Cluster       string
	Name          string
	Version       string
	Configuration string
}

// ConfigureAddon sets the configuration of an add-on kfaws created, keeping its version, and waits until it is
// ACTIVE again.
type ConfigureAddon struct {
	Cluster       string
	Name          string
	Configuration string
}

// CreateAssociation creates the EKS Pod Identity association that lets ServiceAccount assume RoleARN on Cluster,
// tagged as kfaws's.
type CreateAssociation struct {
	Cluster        string
	ServiceAccount identity.ServiceAccount
	RoleARN        string
}

// UpdateAssociation points the association ID, which kfaws created, at RoleARN again.
type UpdateAssociation struct {
	Cluster        string
	ID             string
	ServiceAccount identity.ServiceAccount
	RoleARN        string
}

// DeleteAssociation deletes the association ID (already gone is success).
type DeleteAssociation struct {
	Cluster        string
	ID             string
	ServiceAccount identity.ServiceAccount
}

// RestoreSecret cancels the scheduled deletion of a secret kfaws created (an earlier kfaws down deleted it within
// Secrets Manager's recovery window), so up uses it again, its value (the RDS master password) included.
type RestoreSecret struct {
	Name string
}

// CreateKMSKey creates a symmetric encryption key tagged as kfaws's and gives it Alias.
type CreateKMSKey struct {
	Alias       string
	Description string
}

// RestoreKMSKey cancels the deletion kfaws down scheduled for the key kfaws created, and enables it.
type RestoreKMSKey struct {
	ARN   string
	Alias string
	// CreateAlias gives the key Alias, which it lacks.
	CreateAlias bool
}

// EncryptSecret has a secret kfaws created encrypted with KMSKey from its next version on.
type EncryptSecret struct {
	Name   string
	KMSKey string
}

// DeleteKMSKey schedules the deletion of the key kfaws created, after KMS's shortest waiting period (WindowDays).
type DeleteKMSKey struct {
	ARN        string
	Alias      string
	WindowDays int32
}

// DeleteAddon deletes an EKS add-on and waits until it is gone.
type DeleteAddon struct {
	Cluster string
	Name    string
}

// DeleteRole detaches the role's managed policies, deletes its inline ones, then deletes it.
type DeleteRole struct {
	Name string
}

// DeletePolicy deletes a customer managed policy with its non-default versions.
type DeletePolicy struct {
	ARN string
}

// DeleteInstance turns deletion protection off, deletes the DB instance after RDS has taken FinalSnapshot (none
// when ""), and waits until the instance, and the snapshot, are done.
type DeleteInstance struct {
	Identifier    string
	FinalSnapshot string
}

// DeleteSubnetGroup deletes a DB subnet group.
type DeleteSubnetGroup struct {
	Name string
}

// DeleteParameterGroup deletes a DB parameter group.
type DeleteParameterGroup struct {
	Name string
}

// DeleteSecurityGroup deletes a security group by ID (by Name in VPCID when the ID is unknown).
type DeleteSecurityGroup struct {
	ID    string
	Name  string
	VPCID string
}

// DeleteSecret deletes a secret, at once when Force, else after Secrets Manager's recovery window.
type DeleteSecret struct {
	Name  string
	Force bool
}

// DeleteBucket empties the bucket of every object version and delete marker, then deletes it.
type DeleteBucket struct {
	Name string
}

// Kind implementations: one kind per params type.

func (RegisterOIDCProvider) Kind() StepKind { return KindRegisterOIDCProvider }
func (CreateBucket) Kind() StepKind         { return KindCreateBucket }
func (ConfigureBucket) Kind() StepKind      { return KindConfigureBucket }
func (BucketTLSPolicy) Kind() StepKind      { return KindBucketTLSPolicy }
func (CreateStaticKeys) Kind() StepKind     { return KindCreateStaticKeys }
func (CreatePolicy) Kind() StepKind         { return KindCreatePolicy }
func (UpdatePolicy) Kind() StepKind         { return KindUpdatePolicy }
func (EnsureRole) Kind() StepKind           { return KindEnsureRole }
func (CreateSubnetGroup) Kind() StepKind    { return KindCreateSubnetGroup }
func (CreateParameterGroup) Kind() StepKind { return KindCreateParameterGroup }
func (SetParameters) Kind() StepKind        { return KindSetParameters }
func (CreateSecurityGroup) Kind() StepKind  { return KindCreateSecurityGroup }
func (AdmitMySQL) Kind() StepKind           { return KindAdmitMySQL }
func (CreateRDSSecret) Kind() StepKind      { return KindCreateRDSSecret }
func (CreateInstance) Kind() StepKind       { return KindCreateInstance }
func (ModifyInstance) Kind() StepKind       { return KindModifyInstance }
func (WaitInstance) Kind() StepKind         { return KindWaitInstance }
func (RecordEndpoint) Kind() StepKind       { return KindRecordEndpoint }
func (CreateAddon) Kind() StepKind          { return KindCreateAddon }
func (ConfigureAddon) Kind() StepKind       { return KindConfigureAddon }
func (RestoreSecret) Kind() StepKind        { return KindRestoreSecret }
func (StoreGivenPassword) Kind() StepKind   { return KindStoreGivenPassword }
func (RestoreInstance) Kind() StepKind      { return KindRestoreInstance }
func (SetMasterPassword) Kind() StepKind    { return KindSetMasterPassword }
func (DeleteAddon) Kind() StepKind          { return KindDeleteAddon }
func (CreateAssociation) Kind() StepKind    { return KindCreateAssociation }
func (UpdateAssociation) Kind() StepKind    { return KindUpdateAssociation }
func (DeleteAssociation) Kind() StepKind    { return KindDeleteAssociation }
func (DeleteRole) Kind() StepKind           { return KindDeleteRole }
func (DeletePolicy) Kind() StepKind         { return KindDeletePolicy }
func (DeleteInstance) Kind() StepKind       { return KindDeleteInstance }
func (DeleteSubnetGroup) Kind() StepKind    { return KindDeleteSubnetGroup }
func (DeleteParameterGroup) Kind() StepKind { return KindDeleteParameterGroup }
func (DeleteSecurityGroup) Kind() StepKind  { return KindDeleteSecurityGroup }
func (DeleteSecret) Kind() StepKind         { return KindDeleteSecret }
func (DeleteBucket) Kind() StepKind         { return KindDeleteBucket }
func (CreateKMSKey) Kind() StepKind         { return KindCreateKMSKey }
func (RestoreKMSKey) Kind() StepKind        { return KindRestoreKMSKey }
func (EncryptSecret) Kind() StepKind        { return KindEncryptSecret }
func (DeleteKMSKey) Kind() StepKind         { return KindDeleteKMSKey }
