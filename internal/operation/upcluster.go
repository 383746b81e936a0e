package operation

import (
	"context"
	"fmt"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// ClusterUp is the cluster half of `up`: render the manifests with the values the AWS half produced, then apply.
// Apply holds the cluster options and Apply.Render the manifests; both run with Up's Configuration.
type ClusterUp struct {
	Apply *Apply
}

// with returns the Apply (and its Render) bound to conf.
func (c *ClusterUp) with(conf *Configuration) *Apply {
	a := *c.Apply
	a.Configuration = conf
	if a.Render != nil {
		r := *a.Render
		r.Configuration = conf
		a.Render = &r
	}
	return &a
}

// pendingDBHost stands in for the RDS endpoint while checking the cluster before the instance exists. The
// .invalid top-level domain can never resolve, so it cannot reach anything by mistake.
const pendingDBHost = "endpoint-pending.kfaws.invalid"

// preflight renders with the values the plan will produce and runs the cluster pre-flight on the result, so a
// missing CRD, namespace or permission is reported before anything in AWS changes.
func (c *ClusterUp) preflight(ctx context.Context, conf *Configuration, p *plan.Plan, outputs state.Outputs) error {
	a, cfg := c.with(conf), conf.Config
	if err := a.checkInstallation(); err != nil {
		return err
	}
	k, err := a.cluster()
	if err != nil {
		return err
	}
	over := a.Render.Overrides
	if outputs.DBHost == "" && over.DBHost == "" {
		over.DBHost = pendingDBHost
	}
	if cfg.S3.Credentials == config.CredentialsIRSA {
		over.BackendRoleARN = orDefault(over.BackendRoleARN, p.RoleARN(cfg.IAM.BackendRoleName))
		over.ProfileRoleARN = orDefault(over.ProfileRoleARN, p.RoleARN(cfg.IAM.ProfileRoleName))
		outputs.ProfileRoleARNs = map[string]string{}
		for ns, key := range p.ProfileRoles {
			r, _ := p.Resource(key)
			outputs.ProfileRoleARNs[ns] = r.ARN
		}
	}
	over.SecretsRoleARN = orDefault(over.SecretsRoleARN, p.RoleARN(cfg.IAM.SecretsRoleName))
	objs, _, err := a.Render.objects(ctx, outputs, over)
	if err != nil {
		return err
	}
	if err := a.preflight(ctx, k, objs); err != nil {
		return fmt.Errorf("checked the cluster before changing AWS: %w", err)
	}
	// An older KFP than the running one is refused before AWS changes; the snapshot waits for the apply.
	_, err = a.versionChange(ctx, k, objs)
	return err
}

// run renders with the recorded values and applies.
func (c *ClusterUp) run(ctx context.Context, conf *Configuration, outputs state.Outputs) (*RenderResult, *ApplyResult, error) {
	a := c.with(conf)
	objs, rres, err := a.Render.objects(ctx, outputs, a.Render.Overrides)
	if err != nil {
		return rres, nil, err
	}
	// The objects are rendered: Apply takes them as they are.
	a.Render, a.Objects = nil, objs
	ares, err := a.Run(ctx)
	c.Apply.Objects = objs
	return rres, ares, err
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
