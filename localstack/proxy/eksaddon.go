package proxy

import (
	"fmt"
	"slices"
	"time"
)

// Emulated add-on states (types.AddonStatus).
const (
	AddonCreating     = "CREATING"
	AddonActive       = "ACTIVE"
	AddonCreateFailed = "CREATE_FAILED"
	AddonUpdating     = "UPDATING"
	AddonUpdateFailed = "UPDATE_FAILED"
	AddonDeleting     = "DELETING"
)

type addonPhase int

const (
	phaseCreating addonPhase = iota
	phaseUpdating
	phaseDeleting
)

// addon is one installed add-on. Its status is worked out from its phase
// and the clock, like an RDS instance's.
type addon struct {
	name, arn, version string
	owner, publisher   string
	namespace          string
	customNamespace    bool
	config, roleARN    string
	tags               map[string]string
	associations       []string // IDs of the pod identity associations the add-on owns
	created, modified  time.Time
	phase              addonPhase
	phaseEnd           time.Time
	conflict           bool // the phase ends failed: objects on the cluster that resolveConflicts did not overwrite
	preserve           bool // deleted with preserve: its objects stay on the cluster
	token              string
	updates            []*addonUpdate
}

func (a *addon) status(now time.Time) string {
	busy := !now.After(a.phaseEnd)
	switch {
	case a.phase == phaseDeleting:
		return AddonDeleting
	case a.phase == phaseCreating && busy:
		return AddonCreating
	case a.phase == phaseCreating && a.conflict:
		return AddonCreateFailed
	case a.phase == phaseUpdating && busy:
		return AddonUpdating
	case a.phase == phaseUpdating && a.conflict:
		return AddonUpdateFailed
	}
	return AddonActive
}

// addonJSON is types.Addon on the wire.
type addonJSON struct {
	AddonName               string            `json:"addonName"`
	ClusterName             string            `json:"clusterName"`
	Status                  string            `json:"status"`
	AddonVersion            string            `json:"addonVersion"`
	Health                  addonHealth       `json:"health"`
	AddonArn                string            `json:"addonArn"`
	CreatedAt               epoch             `json:"createdAt"`
	ModifiedAt              epoch             `json:"modifiedAt"`
	ServiceAccountRoleArn   string            `json:"serviceAccountRoleArn,omitempty"`
	Tags                    map[string]string `json:"tags"`
	Publisher               string            `json:"publisher,omitempty"`
	Owner                   string            `json:"owner,omitempty"`
	ConfigurationValues     string            `json:"configurationValues,omitempty"`
	PodIdentityAssociations []string          `json:"podIdentityAssociations,omitempty"`
	NamespaceConfig         *namespaceConfig  `json:"namespaceConfig,omitempty"`
}

type addonHealth struct {
	Issues []addonIssue `json:"issues"`
}

type addonIssue struct {
	Code        string   `json:"code"`
	Message     string   `json:"message"`
	ResourceIDs []string `json:"resourceIds"`
}

type namespaceConfig struct {
	Namespace string `json:"namespace"`
}

func (a *addon) view(cl *eksCluster, now time.Time) addonJSON {
	v := addonJSON{AddonName: a.name, ClusterName: cl.name, Status: a.status(now), AddonVersion: a.version,
		Health: addonHealth{Issues: []addonIssue{}}, AddonArn: a.arn, CreatedAt: epoch(a.created),
		ModifiedAt: epoch(a.modified), ServiceAccountRoleArn: a.roleARN, Tags: cloneTags(a.tags),
		Publisher: a.publisher, Owner: a.owner, ConfigurationValues: a.config}
	for _, id := range a.associations {
		if as := cl.associations[id]; as != nil {
			v.PodIdentityAssociations = append(v.PodIdentityAssociations, as.arn)
		}
	}
	if a.customNamespace {
		v.NamespaceConfig = &namespaceConfig{Namespace: a.namespace}
	}
	if v.Status == AddonCreateFailed || v.Status == AddonUpdateFailed {
		v.Health.Issues = append(v.Health.Issues, addonIssue{Code: "ConfigurationConflict", ResourceIDs: []string{},
			Message: fmt.Sprintf("Conflicts found when trying to apply add-on %s: its objects already exist on the cluster. "+
				"Will not continue due to resolve conflicts mode; use OVERWRITE to take them over", a.name)})
	}
	return v
}

// addonAssociationIn is one element of podIdentityAssociations in a request.
type addonAssociationIn struct {
	ServiceAccount string `json:"serviceAccount"`
	RoleArn        string `json:"roleArn"`
}

type createAddonIn struct {
	AddonName               string               `json:"addonName"`
	AddonVersion            string               `json:"addonVersion"`
	ServiceAccountRoleArn   string               `json:"serviceAccountRoleArn"`
	ResolveConflicts        string               `json:"resolveConflicts"`
	ClientRequestToken      string               `json:"clientRequestToken"`
	Tags                    map[string]string    `json:"tags"`
	ConfigurationValues     string               `json:"configurationValues"`
	PodIdentityAssociations []addonAssociationIn `json:"podIdentityAssociations"`
	NamespaceConfig         *namespaceConfig     `json:"namespaceConfig"`
}

func (e *eksPlane) createAddon(cl *eksCluster, req *eksRequest, now time.Time) (any, error) {
	var in createAddonIn
	if err := req.decode(&in); err != nil {
		return nil, err
	}
	if in.AddonName == "" {
		return nil, invalidParameter("addonName is required", cl.name, "")
	}
	if err := cl.requireActive(); err != nil {
		return nil, err
	}
	if cur := cl.addons[in.AddonName]; cur != nil {
		if in.ClientRequestToken != "" && in.ClientRequestToken == cur.token {
			return map[string]any{"addon": cur.view(cl, now)}, nil // a retry of the call that created it
		}
		return nil, resourceInUse("Addon already exists.", cl.name, in.AddonName)
	}
	info, ok := findAddon(e.catalog, in.AddonName)
	if !ok {
		return nil, invalidParameter(fmt.Sprintf("Addon %s specified is not supported", in.AddonName), cl.name, in.AddonName)
	}
	version, err := pickVersion(info, in.AddonVersion, cl)
	if err != nil {
		return nil, err
	}
	if err := checkAddonSettings(in.ServiceAccountRoleArn, in.ResolveConflicts, in.ConfigurationValues, cl.name, in.AddonName); err != nil {
		return nil, err
	}
	a := &addon{name: in.AddonName, arn: cl.resourceARN("addon", in.AddonName, newUUID()), version: version,
		owner: info.Owner, publisher: info.Publisher, namespace: info.DefaultNamespace, config: in.ConfigurationValues,
		roleARN: in.ServiceAccountRoleArn, tags: cloneTags(in.Tags), created: now, modified: now,
		phase: phaseCreating, phaseEnd: now.Add(e.delay), token: in.ClientRequestToken}
	if in.NamespaceConfig != nil && in.NamespaceConfig.Namespace != "" {
		if err := checkNamespace(in.NamespaceConfig.Namespace, cl.name, a.name); err != nil {
			return nil, err
		}
		a.namespace, a.customNamespace = in.NamespaceConfig.Namespace, true
	}
	if err := e.ownAssociations(cl, a, in.PodIdentityAssociations, now); err != nil {
		return nil, err
	}
	a.conflict = cl.leftovers[a.name] && in.ResolveConflicts != "OVERWRITE"
	if !a.conflict {
		delete(cl.leftovers, a.name)
	}
	cl.addons[a.name] = a
	e.log.Info("eks add-on created", "cluster", cl.arn, "addon", a.name, "version", a.version)
	return map[string]any{"addon": a.view(cl, now)}, nil
}

// pickVersion checks the asked version against the catalogue and the
// cluster's Kubernetes version, or picks the default when none is asked.
func pickVersion(info AddonInfo, version string, cl *eksCluster) (string, error) {
	if version == "" {
		if def := info.defaultFor(cl.version); def != "" {
			return def, nil
		}
		return "", invalidParameter(fmt.Sprintf("Addon %s has no version for Kubernetes %s", info.AddonName, cl.version), cl.name, info.AddonName)
	}
	known, ok := info.compatible(version, cl.version)
	if !known {
		return "", invalidParameter(fmt.Sprintf("Addon version %s specified is not supported for addon %s", version, info.AddonName), cl.name, info.AddonName)
	}
	if !ok {
		return "", invalidParameter(fmt.Sprintf("Addon version %s of %s is not supported on Kubernetes %s", version, info.AddonName, cl.version), cl.name, info.AddonName)
	}
	return version, nil
}

func checkAddonSettings(roleARN, resolve, config, cluster, name string) error {
	if roleARN != "" {
		if err := checkRoleARN("serviceAccountRoleArn", roleARN, cluster, name); err != nil {
			return err
		}
	}
	if err := checkResolveConflicts(resolve, cluster, name); err != nil {
		return err
	}
	return checkConfigurationValues(config, cluster, name)
}

// ownAssociations replaces the pod identity associations a owns with wanted,
// in a's namespace. It changes nothing when one of them is refused.
func (e *eksPlane) ownAssociations(cl *eksCluster, a *addon, wanted []addonAssociationIn, now time.Time) error {
	seen := map[string]bool{}
	for _, w := range wanted {
		if err := checkServiceAccount(w.ServiceAccount, cl.name, a.name); err != nil {
			return err
		}
		if err := checkRoleARN("roleArn", w.RoleArn, cl.name, a.name); err != nil {
			return err
		}
		if seen[w.ServiceAccount] {
			return invalidParameter(fmt.Sprintf("service account %q is listed twice", w.ServiceAccount), cl.name, a.name)
		}
		seen[w.ServiceAccount] = true
		if other := cl.associationFor(a.namespace, w.ServiceAccount); other != nil && !slices.Contains(a.associations, other.id) {
			return resourceInUse("Association already exists: "+other.id, cl.name, a.name)
		}
	}
	for _, id := range a.associations {
		delete(cl.associations, id)
	}
	a.associations = nil
	for _, w := range wanted {
		as := newAssociation(cl, a.namespace, w.ServiceAccount, w.RoleArn, nil, now)
		as.ownerARN = a.arn
		cl.associations[as.id] = as
		a.associations = append(a.associations, as.id)
	}
	return nil
}

func (e *eksPlane) liveAddon(cl *eksCluster, name string) (*addon, error) {
	a := cl.addons[name]
	if a == nil {
		return nil, resourceNotFound(fmt.Sprintf("No addon: %s found in cluster: %s", name, cl.name), cl.name, name)
	}
	return a, nil
}

func (e *eksPlane) describeAddon(cl *eksCluster, req *eksRequest, now time.Time) (any, error) {
	a, err := e.liveAddon(cl, req.route.addon)
	if err != nil {
		return nil, err
	}
	return map[string]any{"addon": a.view(cl, now)}, nil
}

func (e *eksPlane) listAddons(cl *eksCluster, req *eksRequest, _ time.Time) (any, error) {
	names := make([]string, 0, len(cl.addons))
	for name := range cl.addons {
		names = append(names, name)
	}
	got, next, err := page(names, func(s string) string { return s }, req.query, cl.name)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"addons": got}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (e *eksPlane) deleteAddon(cl *eksCluster, req *eksRequest, now time.Time) (any, error) {
	a, err := e.liveAddon(cl, req.route.addon)
	if err != nil {
		return nil, err
	}
	if a.phase != phaseDeleting {
		a.phase, a.phaseEnd, a.modified = phaseDeleting, now.Add(e.delay), now
		a.preserve = req.query.Get("preserve") == "true"
		e.log.Info("eks add-on deleting", "cluster", cl.arn, "addon", a.name, "preserve", a.preserve)
	}
	return map[string]any{"addon": a.view(cl, now)}, nil
}
