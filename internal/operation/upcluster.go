package operation

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kfaws/kfaws/internal/apply"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/csidriver"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/render"
	"github.com/kfaws/kfaws/internal/state"
)

// ClusterUp is the cluster half of `up`: render the manifests with the values the AWS half produced, then apply.
type ClusterUp struct {
	Render    *render.Render
	Overrides render.Overrides
	// Apply holds the cluster and apply options; its Objects and Config are filled in by Up.
	Apply *Apply
}

// pendingDBHost stands in for the RDS endpoint while checking the cluster before the instance exists. The
// .invalid top-level domain can never resolve, so it cannot reach anything by mistake.
const pendingDBHost = "endpoint-pending.kfaws.invalid"

// preflight renders with the values the plan will produce and runs the cluster pre-flight on the result, so a
// missing CRD, namespace or permission is reported before anything in AWS changes.
func (c *ClusterUp) preflight(ctx context.Context, cfg *config.Config, p *plan.Plan, outputs state.Outputs) error {
	over := c.Overrides
	if outputs.DBHost == "" && over.DBHost == "" {
		over.DBHost = pendingDBHost
	}
	if cfg.S3.Credentials == config.CredentialsIRSA {
		over.BackendRoleARN = orDefault(over.BackendRoleARN, p.RoleARN(cfg.IAM.BackendRoleName))
		over.ProfileRoleARN = orDefault(over.ProfileRoleARN, p.RoleARN(cfg.IAM.ProfileRoleName))
	}
	over.SecretsRoleARN = orDefault(over.SecretsRoleARN, p.RoleARN(cfg.IAM.SecretsRoleName))
	objs, _, err := RenderObjects(ctx, c.Render, cfg, outputs, over)
	if err != nil {
		return err
	}
	var provided []*unstructured.Unstructured
	if c.Apply.CSI != CSISkip {
		if provided, err = csidriver.Objects(c.Apply.ImageRegistry); err != nil {
			return err
		}
	}
	if err := apply.Preflight(ctx, c.Apply.Kube, objs, provided...); err != nil {
		return fmt.Errorf("checked the cluster before changing AWS: %w", err)
	}
	return nil
}

// run renders with the recorded values and applies.
func (c *ClusterUp) run(ctx context.Context, cfg *config.Config, outputs state.Outputs) (*render.Result, *ApplyResult, error) {
	objs, rres, err := RenderObjects(ctx, c.Render, cfg, outputs, c.Overrides)
	if err != nil {
		return rres, nil, err
	}
	c.Apply.Config, c.Apply.Objects = cfg, objs
	ares, err := c.Apply.Run(ctx)
	return rres, ares, err
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
