package plan

// Resource keys, shared by the plan, the steps and the state file.
const (
	KeyOIDCProvider   = "iam/oidc-provider"
	KeyBucket         = "s3/bucket"
	KeyS3Secret       = "s3/secret"
	KeyS3Policy       = "iam/s3-policy"
	KeyBackendRole    = "iam/backend-role"
	KeyProfileRole    = "iam/profile-role"
	KeySecretsRole    = "iam/secrets-role"
	KeySubnetGroup    = "rds/subnet-group"
	KeyParameterGroup = "rds/parameter-group"
	KeySecurityGroup  = "rds/security-group"
	KeyRDSSecret      = "rds/secret"
	KeyInstance       = "rds/instance"
	KeyCSIAddon       = "eks/csi-driver-addon"
	KeyKMSKey         = "kms/key"
)

// Service accounts that assume kfaws's roles.
const (
	KubeflowNamespace     = "kubeflow"
	BackendServiceAccount = "ml-pipeline"
	UIServiceAccount      = "ml-pipeline-ui"
	ProfileServiceAccount = "default-editor"
	SecretsServiceAccount = "kubeflow-secrets-manager-sa"
)
