package plan

import (
	"errors"
	"fmt"
	"maps"
	"strconv"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/state"
)

// AdoptVerdict is what kfaws adopt decided for one resource.
type AdoptVerdict string

// The verdicts.
const (
	// AdoptNew: found and usable; recorded as adopted (a dry run only says it would be).
	AdoptNew AdoptVerdict = "adopt"
	// AdoptRecorded: an earlier kfaws adopt recorded it; nothing to do.
	AdoptRecorded AdoptVerdict = "adopted"
	// AdoptOwned: this installation created it; it is kfaws's already.
	AdoptOwned AdoptVerdict = "owned"
	// AdoptAbsent: not found, and not needed: kfaws up creates its own.
	AdoptAbsent AdoptVerdict = "absent"
	// AdoptFail: missing, unusable or not adoptable; nothing is recorded while any line fails.
	AdoptFail AdoptVerdict = "fail"
)

// AdoptLine is the verdict on one resource of the awslabs setup.
type AdoptLine struct {
	Key     string       `json:"key"`
	Kind    string       `json:"kind"`
	Name    string       `json:"name"`
	Verdict AdoptVerdict `json:"verdict"`
	Detail  string       `json:"detail,omitempty"`
	ARN     string       `json:"arn,omitempty"`
}

// Adoption is kfaws adopt's decision: a line per resource the awslabs setup script creates that the
// configuration uses, and the plan's warnings about them.
type Adoption struct {
	Lines    []AdoptLine `json:"resources"`
	Warnings []string    `json:"warnings,omitempty"`
}

// Failed reports whether any line failed.
func (a *Adoption) Failed() bool {
	for _, l := range a.Lines {
		if l.Verdict == AdoptFail {
			return true
		}
	}
	return false
}

// Line returns the line of key.
func (a *Adoption) Line(key string) (*AdoptLine, bool) {
	for i := range a.Lines {
		if a.Lines[i].Key == key {
			return &a.Lines[i], true
		}
	}
	return nil, false
}

// Fail marks the line of key as failed with detail (a line already failed keeps its first reason).
func (a *Adoption) Fail(key, detail string) {
	if l, ok := a.Line(key); ok && l.Verdict != AdoptFail {
		l.Verdict, l.Detail = AdoptFail, detail
	}
}

// Records are the state records of what this adoption adds: never owned.
func (a *Adoption) Records() map[string]state.Resource {
	m := map[string]state.Resource{}
	for _, l := range a.Lines {
		if l.Verdict == AdoptNew {
			m[l.Key] = state.Resource{Kind: l.Kind, ID: l.Name, ARN: l.ARN, Adopted: true}
		}
	}
	return m
}

// adoptCandidate is one resource the awslabs setup creates, as the configuration names and observe found it.
type adoptCandidate struct {
	key, name string
	presence  observe.Presence
	// required is true for what the awslabs setup always creates; a missing one fails the adoption.
	required bool
}

// Adopt decides what kfaws adopt records: every resource the awslabs setup script creates that the
// configuration uses, found, not another installation's, and usable as plan would use it. It judges the
// adopted resources by the same rules as `up` (Build, with them recorded as adopted): what `up` would refuse
// (an instance on MySQL 9, in an unusable state, a bucket in another region, a secret scheduled for deletion)
// fails here, and the plan's warnings (a parameter group without mysql_native_password, public subnets) come
// along. The checks that need the secret's value or a login are the caller's (CheckRDSSecret, Fail).
func Adopt(cfg *config.Config, snap *observe.Snapshot, recorded state.State) (*Adoption, error) {
	a := &Adoption{}
	arns := (&Plan{Account: snap.Account, Partition: snap.Partition, Region: cfg.Region}).ARNs()
	if snap.Partition == "" {
		arns.Partition = "aws"
	}
	b := &builder{cfg: cfg, snap: snap, recorded: recorded, p: &Plan{}, arns: arns}
	with := recorded
	with.Resources = maps.Clone(recorded.Resources)
	if with.Resources == nil {
		with.Resources = map[string]state.Resource{}
	}
	for _, c := range adoptCandidates(cfg, snap) {
		l := AdoptLine{Key: c.key, Kind: kinds[c.key], Name: c.name, ARN: c.presence.ARN}
		if c.key == KeyBucket && c.presence.Exists {
			l.ARN = arns.Bucket(c.name)
		}
		switch {
		case c.key == KeyBucket && snap.Bucket.Foreign:
			l.Verdict, l.Detail = AdoptFail, "the name is taken by a bucket this account cannot use; check s3.bucket"
		case !c.presence.Exists && c.required:
			l.Verdict, l.Detail = AdoptFail, "not found; check "+b.fieldOf(c.key)+" (the awslabs setup's metadata.yaml names it)"
		case !c.presence.Exists:
			l.Verdict, l.Detail = AdoptAbsent, "not found; kfaws up creates its own"
		case b.foreign(c.presence):
			l.Verdict, l.Detail = AdoptFail, fmt.Sprintf("belongs to kfaws installation %q, not to the awslabs setup", c.presence.Installation)
		case b.owned(c.key, c.name, c.presence):
			l.Verdict, l.Detail = AdoptOwned, "created by this kfaws installation; nothing to adopt"
		case b.adopted(c.key, c.name, c.presence):
			l.Verdict, l.Detail = AdoptRecorded, "recorded by an earlier kfaws adopt"
		default:
			l.Verdict = AdoptNew
			with.Resources[c.key] = state.Resource{Kind: l.Kind, ID: l.Name, ARN: l.ARN, Adopted: true}
		}
		a.Lines = append(a.Lines, l)
	}
	p, err := Build(cfg, snap, with)
	var pre *PreflightError
	if errors.As(err, &pre) && a.Failed() {
		return a, nil // what is missing is the reason; the plan could not be made without it
	}
	if err != nil {
		return nil, err
	}
	a.Warnings = p.Warnings
	for i := range a.Lines {
		l := &a.Lines[i]
		if l.Verdict != AdoptNew && l.Verdict != AdoptRecorded {
			continue
		}
		if r, ok := p.Resource(l.Key); ok && r.Action == Conflict {
			l.Verdict, l.Detail = AdoptFail, r.Detail
		}
	}
	adoptedRoles(a, cfg, snap, p.Binding)
	return a, nil
}

// adoptCandidates are the resources the awslabs setup creates that the configuration uses: the bucket and, by
// credentials mode, its secret or its policy and two roles; the instance, its secret and the subnet group the
// instance is in. Not the parameter group (the script leaves the instance on RDS's default group) nor the
// security group (the script puts the instance in the cluster's security group, which must never go with the
// installation).
func adoptCandidates(cfg *config.Config, snap *observe.Snapshot) []adoptCandidate {
	names := configuredNames(cfg)
	var out []adoptCandidate
	add := func(key string, p observe.Presence, required bool) {
		if name, ok := names[key]; ok {
			out = append(out, adoptCandidate{key: key, name: name, presence: p, required: required})
		}
	}
	add(KeyBucket, snap.Bucket.Presence, true)
	add(KeyS3Secret, snap.S3Secret.Presence, true)
	add(KeyS3Policy, snap.S3Policy.Presence, false)
	add(KeyBackendRole, snap.BackendRole.Presence, false)
	add(KeyProfileRole, snap.ProfileRole.Presence, false)
	if _, ok := names[KeySubnetGroup]; ok {
		// The group that matters is the one the instance is in (observe reads that one when it exists).
		name := cfg.RDS.SubnetGroupName
		if snap.Instance.SubnetGroup != "" {
			name = snap.Instance.SubnetGroup
		}
		out = append(out, adoptCandidate{key: KeySubnetGroup, name: name, presence: snap.SubnetGroup.Presence, required: true})
	}
	add(KeyRDSSecret, snap.RDSSecret.Presence, true)
	add(KeyInstance, snap.Instance.Presence, true)
	return out
}

// adoptedRoles fails a role that does not let its service account assume it: kfaws never changes an adopted
// role, so it would not work.
func adoptedRoles(a *Adoption, cfg *config.Config, snap *observe.Snapshot, binding identity.Binding) {
	for _, r := range []struct {
		key string
		sa  identity.ServiceAccount
		obs observe.Role
	}{
		{KeyBackendRole, identity.ServiceAccount{Namespace: KubeflowNamespace, Name: BackendServiceAccount}, snap.BackendRole},
		{KeyProfileRole, identity.ServiceAccount{Namespace: cfg.IAM.ProfileNamespace, Name: ProfileServiceAccount}, snap.ProfileRole},
	} {
		l, ok := a.Line(r.key)
		if !ok || (l.Verdict != AdoptNew && l.Verdict != AdoptRecorded) || binding == nil || binding.Trusts(r.obs.TrustPolicy, r.sa) {
			continue
		}
		a.Fail(r.key, fmt.Sprintf("does not trust %s through the cluster's OIDC issuer; kfaws never changes an adopted role: "+
			"fix its trust policy, or leave it out of the configuration so kfaws up creates its own", r.sa.Subject()))
	}
}

// RDSSecretValue is what the RDS secret holds, as the awslabs setup writes it ({"username", "password",
// "database", "host", "port"}, all strings), without the password itself.
type RDSSecretValue struct {
	Username, Database, Host, Port string
	HasPassword                    bool
}

// CheckRDSSecret says what is wrong with the RDS secret's value for the instance, "" when nothing: every field
// present, and the host and port those of the instance's endpoint (a secret pointing elsewhere would wire
// Kubeflow to another database).
func CheckRDSSecret(v RDSSecretValue, in observe.Instance) string {
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{{"username", v.Username != ""}, {"password", v.HasPassword}, {"database", v.Database != ""}, {"host", v.Host != ""}, {"port", v.Port != ""}} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("the secret lacks %v; the awslabs setup writes {\"username\",\"password\",\"database\",\"host\",\"port\"}", missing)
	}
	port, err := strconv.Atoi(v.Port)
	switch {
	case err != nil:
		return fmt.Sprintf("the secret's port %q is not a number", v.Port)
	case in.Address == "":
		return fmt.Sprintf("DB instance reports no endpoint yet (status %s); run kfaws adopt again once it is available", in.Status)
	case v.Host != in.Address || int32(port) != in.Port:
		return fmt.Sprintf("the secret names %s:%d, but the instance's endpoint is %s:%d: it belongs to another database; "+
			"check rds.secretName and rds.instanceName", v.Host, port, in.Address, in.Port)
	}
	return ""
}
