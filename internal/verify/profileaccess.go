package verify

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kfaws/kfaws/internal/arn"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// ProfileRole is a profile namespace and the IAM role its pipelines (default-editor) assume.
type ProfileRole struct {
	Namespace string
	// RoleARN is the role as up recorded it; RoleName, when set, names it instead.
	RoleARN, RoleName string
	// Adopted is a role kfaws adopt took from the awslabs setup, which kfaws uses as it is and never changes.
	Adopted bool
}

// roleName is the role's name: RoleName, else the last segment of the ARN (a role's path comes before it).
func (p ProfileRole) roleName() string {
	if p.RoleName != "" {
		return p.RoleName
	}
	if i := strings.LastIndexByte(p.RoleARN, '/'); i >= 0 {
		return p.RoleARN[i+1:]
	}
	return ""
}

// otherProfile stands for another profile when there is only one: what a profile must not reach is shown on a
// prefix no profile of this installation uses.
const otherProfile = "kfaws-verify-other"

// Pod Identity's session tags (the agent sets them on every session it opens for a pod), as condition keys.
const (
	tagNamespace      = "aws:PrincipalTag/kubernetes-namespace"
	tagServiceAccount = "aws:PrincipalTag/kubernetes-service-account"
)

// checkProfileAccess checks, for every profile up gave S3 access, that its role lets the profile's pipelines
// write, read, delete and list their own artifacts (kubeflow.ProfileArtifacts) and nothing of another
// profile's or the rest of the bucket, and that it trusts the profile's default-editor. Like checkRolePolicy it
// evaluates the role's policies itself; under Pod Identity with the session tags the agent sets.
func checkProfileAccess(ctx context.Context, w recorder, in S3Input) {
	roles := map[string]*profileRoleView{}
	for i, p := range in.Profiles {
		other := otherProfile
		if len(in.Profiles) > 1 {
			other = in.Profiles[(i+1)%len(in.Profiles)].Namespace
		}
		name := p.roleName()
		if name == "" {
			w.add("profile "+p.Namespace+" S3 access", Fail, fmt.Sprintf("no IAM role is recorded for profile %q", p.Namespace), "run kfaws up")
			continue
		}
		if roles[name] == nil {
			roles[name] = readProfileRole(ctx, in.IAM, name)
		}
		checkProfileRole(w, in, p, other, roles[name])
	}
}

// profileRoleView is what checkProfileRole reads of a role, read once for all the profiles that share it.
type profileRoleView struct {
	name, arn, trust string
	tags             map[string]string
	docs             []policyDocument
	err              error
}

func readProfileRole(ctx context.Context, c *iam.Client, name string) *profileRoleView {
	v := &profileRoleView{name: name, tags: map[string]string{}}
	role, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
	if err != nil {
		v.err = fmt.Errorf("reading role %q: %w", name, err)
		return v
	}
	v.arn = aws.ToString(role.Role.Arn)
	v.trust, _ = url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	// A role's own tags are principal tags too; a session tag of the same key replaces one.
	for _, t := range role.Role.Tags {
		v.tags["aws:PrincipalTag/"+aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	v.docs, v.err = rolePolicies(ctx, c, name)
	return v
}

func checkProfileRole(w recorder, in S3Input, p ProfileRole, other string, role *profileRoleView) {
	ns := p.Namespace
	name := "profile " + ns + " S3 access"
	if role.err != nil {
		w.add(name, Fail, role.err.Error(), "run kfaws up")
		return
	}
	b := in.Binding
	if b == nil {
		b = identity.IRSA{}
	}
	_, pi := b.(identity.PodIdentity)
	bucket := arn.Builder{Partition: rolePartition(in, role.arn)}.Bucket(in.Bucket)
	own, theirs := kubeflow.ProfileArtifacts(ns), kubeflow.ProfileArtifacts(other)
	missing, leaks := role.confinement(pi, ns, bucket, own, theirs)
	sa := identity.ServiceAccount{Namespace: ns, Name: kubeflow.PipelineRunnerAccount}
	trusted := sa.Subject()
	if pi {
		trusted = "EKS Pod Identity (" + identity.PodIdentityPrincipal + ")"
	}
	var problems []string
	if len(leaks) > 0 {
		problems = append(problems, fmt.Sprintf("is not confined to %s of bucket %q: it also allows %s", own, in.Bucket, strings.Join(leaks, ", ")))
	}
	if len(missing) > 0 {
		problems = append(problems, "lacks "+strings.Join(missing, ", "))
	}
	if !b.Trusts(role.trust, sa) {
		problems = append(problems, "does not trust "+trusted)
	}
	if len(problems) > 0 {
		action := "run kfaws up"
		if p.Adopted {
			// up never changes what it adopted, so running it again changes nothing here.
			action = "kfaws uses the adopted role as it is: give it kfaws's profile policy yourself, or set iam.profileRoleName " +
				"to a new name so that kfaws up creates a confined role (then kfaws apply)"
		}
		w.add(name, Fail, fmt.Sprintf("role %q of profile %q %s", role.name, ns, strings.Join(problems, "; ")), action)
		return
	}
	w.ok(name, fmt.Sprintf("role %q writes %s, cannot read %s, and trusts %s (policies evaluated by kfaws)",
		role.name, own, theirs, trusted))
}

// confinement evaluates what profile ns's pipelines need on their own prefix own (missing: what is not
// allowed) and what they must not do (leaks: allowed, or allowed under conditions kfaws cannot decide): touch
// another profile's prefix theirs, or list the whole bucket, with or without an empty prefix.
func (v *profileRoleView) confinement(pi bool, ns, bucket, own, theirs string) (missing, leaks []string) {
	probe := probePrefix + "object"
	for _, a := range []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject"} {
		if d := v.decide(pi, ns, a, bucket+"/"+own+probe, nil); d != Allowed {
			missing = append(missing, fmt.Sprintf("%s on %s (%s)", a, own, d))
		}
	}
	if d := v.decide(pi, ns, "s3:ListBucket", bucket, &own); d != Allowed {
		missing = append(missing, fmt.Sprintf("s3:ListBucket of %s (%s)", own, d))
	}
	mayDo := func(d Decision) bool { return d == Allowed || d == Conditional }
	for _, a := range []string{"s3:GetObject", "s3:PutObject"} {
		if d := v.decide(pi, ns, a, bucket+"/"+theirs+probe, nil); mayDo(d) {
			leaks = append(leaks, fmt.Sprintf("%s on %s (%s)", a, theirs, d))
		}
	}
	if d := v.decide(pi, ns, "s3:ListBucket", bucket, &theirs); mayDo(d) {
		leaks = append(leaks, fmt.Sprintf("s3:ListBucket of %s (%s)", theirs, d))
	}
	empty := ""
	for _, d := range []Decision{v.decide(pi, ns, "s3:ListBucket", bucket, &empty), v.decide(pi, ns, "s3:ListBucket", bucket, nil)} {
		if mayDo(d) {
			leaks = append(leaks, fmt.Sprintf("s3:ListBucket of the whole bucket (%s)", d))
			break
		}
	}
	return missing, leaks
}

// decide evaluates one call of profile ns's pipelines. Its context: the role's tags, under Pod Identity the
// session tags naming ns and default-editor (absent under IRSA), and s3:prefix for a listing (absent when nil).
func (v *profileRoleView) decide(pi bool, ns, action, resource string, prefix *string) Decision {
	req := request{action: action, resource: resource, keys: map[string]string{}}
	for k, val := range v.tags {
		req.keys[k] = val
	}
	if pi {
		req.keys[tagNamespace], req.keys[tagServiceAccount] = ns, kubeflow.PipelineRunnerAccount
	}
	for _, k := range []string{tagNamespace, tagServiceAccount} {
		if _, ok := req.keys[k]; !ok {
			req.absent = append(req.absent, k)
		}
	}
	switch {
	case prefix != nil:
		req.keys["s3:prefix"] = *prefix
	case action == "s3:ListBucket":
		req.absent = append(req.absent, "s3:prefix")
	}
	return evaluateRequest(v.docs, req)
}
