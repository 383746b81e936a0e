package proxy

import (
	"fmt"
	"time"
)

// association is one EKS Pod Identity association: a service account of a
// namespace of the cluster mapped to an IAM role.
type association struct {
	id, arn                   string
	namespace, serviceAccount string
	roleARN, targetRoleARN    string
	ownerARN                  string // the add-on that manages it, if any
	disableSessionTags        bool
	tags                      map[string]string
	token                     string
	created, modified         time.Time
}

func newAssociation(cl *eksCluster, ns, sa, role string, tags map[string]string, now time.Time) *association {
	id := newAssociationID()
	return &association{id: id, arn: cl.resourceARN("podidentityassociation", id), namespace: ns, serviceAccount: sa,
		roleARN: role, tags: cloneTags(tags), created: now, modified: now}
}

// associationFor returns the association of namespace/serviceAccount, if any.
func (cl *eksCluster) associationFor(ns, sa string) *association {
	for _, as := range cl.associations {
		if as.namespace == ns && as.serviceAccount == sa {
			return as
		}
	}
	return nil
}

// associationJSON is types.PodIdentityAssociation on the wire.
type associationJSON struct {
	ClusterName        string            `json:"clusterName"`
	Namespace          string            `json:"namespace"`
	ServiceAccount     string            `json:"serviceAccount"`
	RoleArn            string            `json:"roleArn"`
	AssociationArn     string            `json:"associationArn"`
	AssociationID      string            `json:"associationId"`
	Tags               map[string]string `json:"tags"`
	CreatedAt          epoch             `json:"createdAt"`
	ModifiedAt         epoch             `json:"modifiedAt"`
	OwnerArn           string            `json:"ownerArn,omitempty"`
	DisableSessionTags bool              `json:"disableSessionTags"`
	TargetRoleArn      string            `json:"targetRoleArn,omitempty"`
}

// associationSummaryJSON is types.PodIdentityAssociationSummary on the wire.
type associationSummaryJSON struct {
	ClusterName    string `json:"clusterName"`
	Namespace      string `json:"namespace"`
	ServiceAccount string `json:"serviceAccount"`
	AssociationArn string `json:"associationArn"`
	AssociationID  string `json:"associationId"`
	OwnerArn       string `json:"ownerArn,omitempty"`
}

func (as *association) view(cl *eksCluster) map[string]any {
	return map[string]any{"association": associationJSON{ClusterName: cl.name, Namespace: as.namespace,
		ServiceAccount: as.serviceAccount, RoleArn: as.roleARN, AssociationArn: as.arn, AssociationID: as.id,
		Tags: cloneTags(as.tags), CreatedAt: epoch(as.created), ModifiedAt: epoch(as.modified), OwnerArn: as.ownerARN,
		DisableSessionTags: as.disableSessionTags, TargetRoleArn: as.targetRoleARN}}
}

type createAssociationIn struct {
	Namespace          string            `json:"namespace"`
	ServiceAccount     string            `json:"serviceAccount"`
	RoleArn            string            `json:"roleArn"`
	ClientRequestToken string            `json:"clientRequestToken"`
	Tags               map[string]string `json:"tags"`
	DisableSessionTags *bool             `json:"disableSessionTags"`
	TargetRoleArn      string            `json:"targetRoleArn"`
}

func (e *eksPlane) createAssociation(cl *eksCluster, req *eksRequest, now time.Time) (any, error) {
	var in createAssociationIn
	if err := req.decode(&in); err != nil {
		return nil, err
	}
	for _, f := range [][2]string{{"namespace", in.Namespace}, {"serviceAccount", in.ServiceAccount}, {"roleArn", in.RoleArn}} {
		if f[1] == "" {
			return nil, invalidParameter(f[0]+" is required", cl.name, "")
		}
	}
	if in.ClientRequestToken != "" {
		for _, as := range cl.associations {
			if as.token == in.ClientRequestToken {
				return as.view(cl), nil // a retry of the call that created it
			}
		}
	}
	if err := checkAssociationInput(cl, in.Namespace, in.ServiceAccount, in.RoleArn, in.TargetRoleArn); err != nil {
		return nil, err
	}
	if err := cl.requireActive(); err != nil {
		return nil, err
	}
	if other := cl.associationFor(in.Namespace, in.ServiceAccount); other != nil {
		return nil, resourceInUse("Association already exists: "+other.id, cl.name, "")
	}
	as := newAssociation(cl, in.Namespace, in.ServiceAccount, in.RoleArn, in.Tags, now)
	as.token, as.targetRoleARN = in.ClientRequestToken, in.TargetRoleArn
	if in.DisableSessionTags != nil {
		as.disableSessionTags = *in.DisableSessionTags
	}
	cl.associations[as.id] = as
	e.log.Info("eks pod identity association created", "cluster", cl.arn, "id", as.id, "namespace", as.namespace,
		"serviceAccount", as.serviceAccount)
	return as.view(cl), nil
}

func checkAssociationInput(cl *eksCluster, ns, sa, role, target string) error {
	if err := checkNamespace(ns, cl.name, ""); err != nil {
		return err
	}
	if err := checkServiceAccount(sa, cl.name, ""); err != nil {
		return err
	}
	if err := checkRoleARN("roleArn", role, cl.name, ""); err != nil {
		return err
	}
	if target != "" {
		return checkRoleARN("targetRoleArn", target, cl.name, "")
	}
	return nil
}

func (e *eksPlane) liveAssociation(cl *eksCluster, id string) (*association, error) {
	as := cl.associations[id]
	if as == nil {
		return nil, resourceNotFound(fmt.Sprintf("No association found for id: %s in cluster: %s", id, cl.name), cl.name, "")
	}
	return as, nil
}

// changeable refuses changes to an association an add-on manages: those
// change through UpdateAddon.
func (as *association) changeable(cl *eksCluster) error {
	if as.ownerARN == "" {
		return nil
	}
	return invalidRequest(fmt.Sprintf("Association %s is owned by %s; change it through UpdateAddon", as.id, as.ownerARN), cl.name, "")
}

func (e *eksPlane) describeAssociation(cl *eksCluster, req *eksRequest, _ time.Time) (any, error) {
	as, err := e.liveAssociation(cl, req.route.association)
	if err != nil {
		return nil, err
	}
	return as.view(cl), nil
}

func (e *eksPlane) listAssociations(cl *eksCluster, req *eksRequest, _ time.Time) (any, error) {
	ns, sa := req.query.Get("namespace"), req.query.Get("serviceAccount")
	var matched []*association
	for _, as := range cl.associations {
		if (ns == "" || as.namespace == ns) && (sa == "" || as.serviceAccount == sa) {
			matched = append(matched, as)
		}
	}
	key := func(as *association) string { return as.namespace + "\x00" + as.serviceAccount }
	got, next, err := page(matched, key, req.query, cl.name)
	if err != nil {
		return nil, err
	}
	summaries := make([]associationSummaryJSON, len(got))
	for i, as := range got {
		summaries[i] = associationSummaryJSON{ClusterName: cl.name, Namespace: as.namespace, ServiceAccount: as.serviceAccount,
			AssociationArn: as.arn, AssociationID: as.id, OwnerArn: as.ownerARN}
	}
	out := map[string]any{"associations": summaries}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

type updateAssociationIn struct {
	RoleArn            *string `json:"roleArn"`
	DisableSessionTags *bool   `json:"disableSessionTags"`
	TargetRoleArn      *string `json:"targetRoleArn"`
}

func (e *eksPlane) updateAssociation(cl *eksCluster, req *eksRequest, now time.Time) (any, error) {
	var in updateAssociationIn
	if err := req.decode(&in); err != nil {
		return nil, err
	}
	as, err := e.liveAssociation(cl, req.route.association)
	if err != nil {
		return nil, err
	}
	if err := as.changeable(cl); err != nil {
		return nil, err
	}
	role, target := as.roleARN, as.targetRoleARN
	if in.RoleArn != nil {
		role = *in.RoleArn
	}
	if in.TargetRoleArn != nil {
		target = *in.TargetRoleArn
	}
	if err := checkAssociationInput(cl, as.namespace, as.serviceAccount, role, target); err != nil {
		return nil, err
	}
	as.roleARN, as.targetRoleARN, as.modified = role, target, now
	if in.DisableSessionTags != nil {
		as.disableSessionTags = *in.DisableSessionTags
	}
	return as.view(cl), nil
}

func (e *eksPlane) deleteAssociation(cl *eksCluster, req *eksRequest, _ time.Time) (any, error) {
	as, err := e.liveAssociation(cl, req.route.association)
	if err != nil {
		return nil, err
	}
	if err := as.changeable(cl); err != nil {
		return nil, err
	}
	delete(cl.associations, as.id)
	e.log.Info("eks pod identity association deleted", "cluster", cl.arn, "id", as.id)
	return as.view(cl), nil
}
