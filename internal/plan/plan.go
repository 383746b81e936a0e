// Package plan decides, from the configuration and an observed snapshot of AWS, what kfaws does to each resource,
// and lays the work out as a graph of steps. It is pure: no I/O, so `plan` and `up` share one decision and the
// plan that is printed cannot drift from what runs.
package plan

import (
	"fmt"

	"github.com/kfaws/kfaws/internal/arn"
	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/state"
)

// Action is what kfaws will do to one resource.
type Action string

// The actions, from most to least disruptive.
const (
	// Create makes a resource that does not exist.
	Create Action = "create"
	// Update changes a resource kfaws owns so it matches the configuration again.
	Update Action = "update"
	// Exists reuses a resource as it is.
	Exists Action = "exists"
	// Conflict means the resource is in a state kfaws must not change; nothing runs while any conflict remains.
	Conflict Action = "conflict"
	// Orphan is a resource kfaws created under a name the configuration no longer gives (or for a part it no
	// longer uses): kept as it is and in the state file, so kfaws down still removes it.
	Orphan Action = "orphan"
)

// Resource is the decision for one resource.
type Resource struct {
	// Key is the stable id also used in the state file, e.g. "rds/instance".
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Action Action `json:"action"`
	// Owned is true when this installation created (or will create) the resource.
	Owned bool `json:"owned"`
	// Adopted is true for a resource kfaws adopt recorded: used as is, never owned.
	Adopted bool   `json:"adopted,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// Owner is the kfaws installation that owns the resource by its tag, when that is another one.
	Owner string `json:"owner,omitempty"`
	// Field is the configuration field that names the resource, e.g. "rds.instanceName".
	Field string `json:"-"`
	// ARN is the resource's ARN where it follows from its name or was observed (a security group's id), ""
	// otherwise.
	ARN string `json:"-"`
}

// Rename is a configuration field to change, and the value kfaws suggests, so that an installation leaves the
// resources of another one alone.
type Rename struct {
	Field string
	Value string
	// Owner is the installation whose resource the current value names.
	Owner string
}

// Step is one unit of work. Steps whose After lists are satisfied run concurrently.
type Step struct {
	ID          string   `json:"id"`
	Resource    string   `json:"resource"`
	Description string   `json:"description"`
	After       []string `json:"after,omitempty"`
	// Params are what plan decided for the step; their type says what kind of step it is.
	Params Params `json:"-"`
}

// Kind is what the step does, "" for a step without params.
func (s Step) Kind() StepKind {
	if s.Params == nil {
		return ""
	}
	return s.Params.Kind()
}

// Plan is the full decision for one configuration.
type Plan struct {
	Resources []Resource `json:"resources"`
	Steps     []Step     `json:"steps"`
	Warnings  []string   `json:"warnings,omitempty"`

	// Facts the steps need that were decided here, so execution does not decide again.
	Account string `json:"-"`
	// Partition is the caller identity's partition; Region the configured region.
	Partition string `json:"-"`
	Region    string `json:"-"`
	// Binding is how the cluster's service accounts assume kfaws's roles.
	Binding   identity.Binding `json:"-"`
	DBSubnets []string         `json:"-"`
	// DBIngress are the sources admitted on 3306: a security group id or CIDRs.
	DBIngress []string `json:"-"`
	// ReuseSecretPassword is true when the RDS secret, created by an interrupted run, holds the password to use.
	ReuseSecretPassword bool `json:"-"`
	// LoginCheck, when set, is the login up must make with the given master password before any step runs,
	// because a step records that password for an instance that exists.
	LoginCheck *LoginCheck `json:"-"`
	// Forget are state keys whose records name resources that are gone or no longer this installation's.
	Forget []string `json:"-"`
	// Renames say how to rename what collides with resources of other installations, for the conflicts that do.
	Renames []Rename `json:"-"`
	// ProfileRoles are, by profile namespace, the keys of the roles the profiles' pipeline runners assume.
	ProfileRoles map[string]string `json:"-"`
	// Teardown is true for a plan of kfaws down (BuildDown): its steps delete, and it records no outputs.
	Teardown bool `json:"teardown,omitempty"`
}

// Summary counts resources per action.
type Summary struct {
	Create, Update, Exists, Conflict, Orphan int
	// Delete and Keep count a teardown's decisions.
	Delete, Keep int
}

// Summary counts the plan's resources per action.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, r := range p.Resources {
		switch r.Action {
		case Create:
			s.Create++
		case Update:
			s.Update++
		case Exists:
			s.Exists++
		case Conflict:
			s.Conflict++
		case Orphan:
			s.Orphan++
		case Delete:
			s.Delete++
		case Keep:
			s.Keep++
		}
	}
	return s
}

// HasChanges reports whether running the plan would change anything in AWS.
func (p *Plan) HasChanges() bool { return len(p.Steps) > 0 }

// Conflicts returns the resources that block the plan.
func (p *Plan) Conflicts() []Resource {
	var out []Resource
	for _, r := range p.Resources {
		if r.Action == Conflict {
			out = append(out, r)
		}
	}
	return out
}

// ARNs forms ARNs in the plan's account, partition and region.
func (p *Plan) ARNs() arn.Builder {
	return arn.Builder{Partition: p.Partition, Account: p.Account, Region: p.Region}
}

// Resource returns the decision for key.
func (p *Plan) Resource(key string) (Resource, bool) {
	for _, r := range p.Resources {
		if r.Key == key {
			return r, true
		}
	}
	return Resource{}, false
}

// PreflightError is a problem with the environment (not with any one resource) that stops planning.
type PreflightError struct{ Reason string }

func (e *PreflightError) Error() string { return "preflight: " + e.Reason }

// builder accumulates decisions while Build walks the resources.
type builder struct {
	cfg      *config.Config
	snap     *observe.Snapshot
	recorded state.State
	p        *Plan
	arns     arn.Builder
	// last is the most recent step of each resource, which dependents wait for.
	last map[string]string
	// old are the resources the state records under names the configuration no longer gives, by key.
	old map[string][]*former
	// assocKeys are the pod identity associations a teardown deletes, which roles and the agent wait for.
	assocKeys []string
	// key is the ARN of the KMS key kms.key names (CreatedKeyARN: the one this run creates), "" for none;
	// keyName is how plan lines name it.
	key, keyName string
	opts         Options
}

// Options are what a run asks for beyond the configuration.
type Options struct {
	// RotateDBPasswords gives every database user kfaws created per component (rds.componentUsers) a new
	// password. A rotation an interrupted run began is finished whether or not it is set.
	RotateDBPasswords bool
}

// Build decides every resource and the steps to get there. recorded is the state file's content, used only to
// recognise resources an interrupted run created but could not tag yet.
func Build(cfg *config.Config, snap *observe.Snapshot, recorded state.State) (*Plan, error) {
	return BuildWith(cfg, snap, recorded, Options{})
}

// BuildWith is Build with what the run asks for.
func BuildWith(cfg *config.Config, snap *observe.Snapshot, recorded state.State, o Options) (*Plan, error) {
	p := &Plan{Account: snap.Account, Partition: snap.Partition, Region: cfg.Region}
	if p.Partition == "" {
		p.Partition = arn.PartitionForRegion(cfg.Region)
	}
	b := &builder{cfg: cfg, snap: snap, recorded: recorded, p: p, arns: p.ARNs(), last: map[string]string{}, opts: o}
	if err := b.preflight(); err != nil {
		return nil, err
	}
	b.old = b.formers()
	if cfg.Identity == config.IdentityPodIdentity {
		p.Binding = identity.PodIdentity{} // no OIDC provider: EKS itself is the trusted principal
	} else {
		p.Binding = identity.IRSA{Issuer: snap.Cluster.OIDCIssuer, ProviderARN: b.arns.OIDCProvider(snap.Cluster.OIDCIssuer)}
		b.oidc()
	}
	if err := b.kmsKey(); err != nil {
		return nil, err
	}
	if cfg.Option.UsesS3() {
		b.s3()
	}
	if cfg.Option.UsesRDS() {
		if err := b.rds(); err != nil {
			return nil, err
		}
	}
	b.secretsRole()
	b.csiAddon()
	b.podIdentity()
	b.orphans()
	b.p.Renames = renames(cfg.Name, b.p.Resources)
	return b.p, nil
}

func (b *builder) preflight() error {
	c := b.snap.Cluster
	if c.Status != "" && c.Status != "ACTIVE" && c.Status != "UPDATING" {
		return &PreflightError{fmt.Sprintf("EKS cluster %q is %s; wait until it is ACTIVE", c.Name, c.Status)}
	}
	if c.OIDCIssuer == "" && b.cfg.Identity != config.IdentityPodIdentity {
		return &PreflightError{fmt.Sprintf("EKS cluster %q has no OIDC issuer, which IAM roles for service accounts need", c.Name)}
	}
	return nil
}

// owned reports whether this installation owns the existing resource key observed under name (ownership.OwnsAWS
// with the state's record of that very resource).
func (b *builder) owned(key, name string, p observe.Presence) bool {
	obs := ownership.Observed{Name: name, ARN: p.ARN, Tag: p.Installation}
	return p.Exists && ownership.OwnsAWS(b.cfg.Name, obs, b.recordOf(key, name))
}

// foreign reports whether a resource is tagged by another kfaws installation.
func (b *builder) foreign(p observe.Presence) bool {
	return p.Exists && ownership.TaggedByAnother(b.cfg.Name, p.Installation)
}

// belongsToAnother makes r a conflict with the installation that owns it, so the CLI can suggest a rename.
func belongsToAnother(r *Resource, owner, what string) {
	r.Action, r.Owner = Conflict, owner
	r.Detail = fmt.Sprintf("%s belongs to kfaws installation %q; choose another %s", what, owner, r.Field)
}

func (b *builder) add(r Resource) { b.p.Resources = append(b.p.Resources, r) }

// step adds a step for resource that runs after the latest steps of the resources named in deps (those that
// have any: a resource that already exists needs no waiting).
func (b *builder) step(resource, verb string, params Params, desc string, deps ...string) {
	id := resource + ":" + verb
	var after []string
	for _, d := range deps {
		if s, ok := b.last[d]; ok {
			after = append(after, s)
		}
	}
	b.p.Steps = append(b.p.Steps, Step{ID: id, Resource: resource, Description: desc, After: after, Params: params})
	b.last[resource] = id
}

func (b *builder) warn(format string, args ...any) {
	b.p.Warnings = append(b.p.Warnings, fmt.Sprintf(format, args...))
}
