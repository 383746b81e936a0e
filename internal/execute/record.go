package execute

import (
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// recordStart writes the installation's identity and every resource the plan reuses as it is, before any change.
func (e *Executor) recordStart() error {
	c := e.Config
	err := e.State.Update(func(st *state.State) {
		st.Name, st.Region, st.Cluster, st.Option = c.Name, c.Region, c.Cluster, string(c.Option)
	})
	if err != nil {
		return err
	}
	for _, r := range e.Plan.Resources {
		if r.Action == plan.Exists {
			if err := e.record(r.Key, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// intend records, before a create call, that this installation is creating key. If the run dies between the
// call and the tagging that follows it, the next run still knows the resource is its own.
func (e *Executor) intend(key, id string) error {
	return e.State.SetResource(key, state.Resource{Kind: e.kind(key), ID: id, Owned: true})
}

// record writes the plan's view of one resource into the state, with its ARN when known.
func (e *Executor) record(key, arn string) error {
	r, ok := e.Plan.Resource(key)
	if !ok {
		return nil
	}
	prev := e.State.Snapshot().Resources[key]
	if prev.ID != r.Name || !r.Owned {
		// A record of another resource (the one before a rename), or of one the plan does not own, says nothing
		// about this one: its ARN and ownership never carry over.
		prev = state.Resource{}
	}
	if arn == "" {
		arn = prev.ARN
	}
	if arn == "" {
		arn = r.ARN
	}
	return e.State.SetResource(key, state.Resource{Kind: r.Kind, ID: r.Name, ARN: arn, Owned: r.Owned || prev.Owned})
}

func (e *Executor) kind(key string) string {
	if r, ok := e.Plan.Resource(key); ok {
		return r.Kind
	}
	return key
}

// recordOutputs writes the values render and verify need, for the resources the plan covers.
func (e *Executor) recordOutputs() error {
	c := e.Config
	return e.State.Update(func(st *state.State) {
		o := &st.Outputs
		if c.Option.UsesS3() {
			o.Bucket, o.S3Credentials = c.S3.Bucket, string(c.S3.Credentials)
			if c.S3.Credentials == config.CredentialsStatic {
				o.S3SecretName = c.S3.SecretName
			} else {
				o.BackendRoleARN = e.planARN(plan.KeyBackendRole)
				o.ProfileRoleARN = e.planARN(plan.KeyProfileRole)
			}
		}
		if c.Option.UsesRDS() {
			o.RDSSecretName, o.DBName = c.RDS.SecretName, c.RDS.DatabaseName
			if in := e.Snapshot.Instance; in.Address != "" && o.DBHost == "" {
				o.DBHost, o.DBPort = in.Address, in.Port
			}
		}
		if _, ok := e.Plan.Resource(plan.KeySecretsRole); ok {
			o.SecretsRoleARN = e.planARN(plan.KeySecretsRole)
		}
		o.OIDCProvider = e.planARN(plan.KeyOIDCProvider)
	})
}

// planARN is the ARN plan gave a resource.
func (e *Executor) planARN(key string) string {
	r, _ := e.Plan.Resource(key)
	return r.ARN
}
