package execute

import (
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// recordStart writes the installation's identity and every existing resource the plan reuses or updates, with
// its identifier, before any change. A record an interrupted run left without one (it was killed between a
// create call and its record) is completed here from what observe saw.
func (e *Executor) recordStart() error {
	c := e.Config
	err := e.State.Update(func(st *state.State) {
		st.Name, st.Region, st.Cluster, st.Option = c.Name, c.Region, c.Cluster, string(c.Option)
	})
	if err != nil {
		return err
	}
	for _, r := range e.Plan.Resources {
		if r.Action == plan.Exists || r.Action == plan.Update {
			if err := e.record(r.Key, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// intend records, before a create call, that this installation is creating key under the name id. If the run dies
// between the call and the tagging that follows it, the next run still knows the resource is its own. Where the
// identifier follows from the name (IAM, S3), the record carries it already; AWS assigns the others, which the
// create call's answer brings (record) or, after a kill, the next run's observation (recordStart).
func (e *Executor) intend(key, id string) error {
	r, _ := e.Plan.Resource(key)
	arn := ""
	if r.Name == id {
		arn = r.ARN
	}
	return e.State.SetResource(key, state.Resource{Kind: e.kind(key), ID: id, ARN: arn, Owned: true})
}

// record writes the plan's view of one resource into the state with its identifier: arn when the caller has it
// from AWS, else the one plan formed from the name, else the one observe saw, else the one already recorded for
// this very resource (same name, as a create call of this run recorded it). A record never pairs the name with
// the identifier of another resource, nor inherits ownership from a record of another one.
func (e *Executor) record(key, arn string) error {
	r, ok := e.Plan.Resource(key)
	if !ok {
		return nil
	}
	for _, known := range []string{r.ARN, e.observedID(key)} {
		if arn == "" {
			arn = known
		}
	}
	// A record of another resource (the one before a rename), or of one the plan does not own, says nothing about
	// this one: its identifier never carries over.
	prev, had := e.State.Snapshot().Resources[key]
	same := had && prev.ID == r.Name && r.Owned
	if arn == "" && same {
		arn = prev.ARN
	}
	return e.State.SetResource(key, state.Resource{Kind: r.Kind, ID: r.Name, ARN: arn, Owned: r.Owned, Adopted: r.Adopted})
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
				o.ProfileRoleARNs = map[string]string{}
				for ns, key := range e.Plan.ProfileRoles {
					o.ProfileRoleARNs[ns] = e.planARN(key)
				}
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
