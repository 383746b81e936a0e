package execute

import (
	"context"

	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/plan"
)

type stepFunc func(ctx context.Context, s plan.Step) error

// steps maps every step id the plan can emit to its implementation. Each is idempotent: run again after an
// interruption, it finishes the job instead of failing on what the first attempt already did.
func (e *Executor) steps() map[string]stepFunc {
	c := e.Config
	return map[string]stepFunc{
		plan.KeyOIDCProvider + ":create":   e.createOIDCProvider,
		plan.KeyBucket + ":create":         e.createBucket,
		plan.KeyBucket + ":configure":      e.configureBucket,
		plan.KeyS3Secret + ":create":       e.createS3Secret,
		plan.KeyS3Policy + ":create":       e.createS3Policy,
		plan.KeyBackendRole + ":create":    e.s3Role(c.IAM.BackendRoleName, plan.KubeflowNamespace, plan.BackendServiceAccount),
		plan.KeyBackendRole + ":update":    e.s3Role(c.IAM.BackendRoleName, plan.KubeflowNamespace, plan.BackendServiceAccount),
		plan.KeyProfileRole + ":create":    e.s3Role(c.IAM.ProfileRoleName, c.IAM.ProfileNamespace, plan.ProfileServiceAccount),
		plan.KeyProfileRole + ":update":    e.s3Role(c.IAM.ProfileRoleName, c.IAM.ProfileNamespace, plan.ProfileServiceAccount),
		plan.KeySecretsRole + ":create":    e.secretsRole,
		plan.KeySecretsRole + ":update":    e.secretsRole,
		plan.KeySubnetGroup + ":create":    e.createSubnetGroup,
		plan.KeyParameterGroup + ":create": e.createParameterGroup,
		plan.KeyParameterGroup + ":update": e.setParameters,
		plan.KeySecurityGroup + ":create":  e.createSecurityGroup,
		plan.KeySecurityGroup + ":update":  e.authorizeMySQL,
		plan.KeyRDSSecret + ":create":      e.createRDSSecret,
		plan.KeyInstance + ":create":       e.createInstance,
		plan.KeyInstance + ":wait":         e.waitInstance,
		plan.KeyRDSSecret + ":endpoint":    e.recordEndpoint,
	}
}

// tags are the ownership tags every resource kfaws creates carries, as key/value pairs.
func (e *Executor) tags() [][2]string {
	return [][2]string{
		{observe.TagInstallation, e.Config.Name},
		{observe.TagManagedBy, observe.ManagedByValue},
	}
}
