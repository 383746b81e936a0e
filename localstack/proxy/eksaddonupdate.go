package proxy

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// addonUpdate is one UpdateAddon call (types.Update).
type addonUpdate struct {
	id, token string
	seq       int
	created   time.Time
	end       time.Time
	failed    bool
	params    []updateParam
}

type updateParam struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func (u *addonUpdate) view(now time.Time) map[string]any {
	status := "InProgress"
	if now.After(u.end) {
		status = "Successful"
		if u.failed {
			status = "Failed"
		}
	}
	errs := []map[string]any{}
	if status == "Failed" {
		errs = append(errs, map[string]any{"errorCode": "ConfigurationConflict",
			"errorMessage": "conflicts with objects on the cluster", "resourceIds": []string{}})
	}
	return map[string]any{"id": u.id, "status": status, "type": "AddonUpdate", "params": u.params,
		"createdAt": epoch(u.created), "errors": errs}
}

type updateAddonIn struct {
	AddonVersion            *string               `json:"addonVersion"`
	ServiceAccountRoleArn   *string               `json:"serviceAccountRoleArn"`
	ResolveConflicts        string                `json:"resolveConflicts"`
	ClientRequestToken      string                `json:"clientRequestToken"`
	ConfigurationValues     *string               `json:"configurationValues"`
	PodIdentityAssociations *[]addonAssociationIn `json:"podIdentityAssociations"`
}

func (e *eksPlane) updateAddon(cl *eksCluster, req *eksRequest, now time.Time) (any, error) {
	var in updateAddonIn
	if err := req.decode(&in); err != nil {
		return nil, err
	}
	a, err := e.liveAddon(cl, req.route.addon)
	if err != nil {
		return nil, err
	}
	for _, u := range a.updates {
		if in.ClientRequestToken != "" && u.token == in.ClientRequestToken {
			return map[string]any{"update": u.view(now)}, nil // a retry of the call that made it
		}
	}
	if err := e.checkUpdate(cl, a, in, now); err != nil {
		return nil, err
	}
	params, err := e.applyUpdate(cl, a, in, now)
	if err != nil {
		return nil, err
	}
	a.conflict = cl.leftovers[a.name] && in.ResolveConflicts != "OVERWRITE"
	if !a.conflict {
		delete(cl.leftovers, a.name)
	}
	a.phase, a.phaseEnd, a.modified = phaseUpdating, now.Add(e.delay), now
	u := &addonUpdate{id: newUUID(), token: in.ClientRequestToken, seq: len(a.updates), created: now, end: a.phaseEnd,
		failed: a.conflict, params: params}
	a.updates = append(a.updates, u)
	e.log.Info("eks add-on updated", "cluster", cl.arn, "addon", a.name, "version", a.version)
	return map[string]any{"update": u.view(now)}, nil
}

// checkUpdate refuses, before anything changes, what EKS would refuse.
func (e *eksPlane) checkUpdate(cl *eksCluster, a *addon, in updateAddonIn, now time.Time) error {
	switch st := a.status(now); st {
	case AddonCreating, AddonUpdating, AddonDeleting:
		return resourceInUse(fmt.Sprintf("Addon %s is %s; it can be updated once it is ACTIVE", a.name, st), cl.name, a.name)
	}
	if err := cl.requireActive(); err != nil {
		return err
	}
	if in.AddonVersion != nil && *in.AddonVersion != a.version {
		info, ok := findAddon(e.catalog, a.name)
		if !ok {
			return invalidParameter(fmt.Sprintf("Addon %s is no longer offered", a.name), cl.name, a.name)
		}
		if _, err := pickVersion(info, *in.AddonVersion, cl); err != nil {
			return err
		}
	}
	return checkAddonSettings(deref(in.ServiceAccountRoleArn), in.ResolveConflicts, deref(in.ConfigurationValues), cl.name, a.name)
}

// applyUpdate changes a as in asks and lists what changed as the update's params.
func (e *eksPlane) applyUpdate(cl *eksCluster, a *addon, in updateAddonIn, now time.Time) ([]updateParam, error) {
	params := []updateParam{}
	if in.PodIdentityAssociations != nil {
		if err := e.ownAssociations(cl, a, *in.PodIdentityAssociations, now); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(*in.PodIdentityAssociations)
		params = append(params, updateParam{"PodIdentityAssociations", string(b)})
	}
	if in.AddonVersion != nil {
		a.version = *in.AddonVersion
		params = append(params, updateParam{"AddonVersion", a.version})
	}
	if in.ServiceAccountRoleArn != nil {
		a.roleARN = *in.ServiceAccountRoleArn
		params = append(params, updateParam{"ServiceAccountRoleArn", a.roleARN})
	}
	if in.ConfigurationValues != nil {
		a.config = *in.ConfigurationValues
		params = append(params, updateParam{"ConfigurationValues", a.config})
	}
	if in.ResolveConflicts != "" {
		params = append(params, updateParam{"ResolveConflicts", in.ResolveConflicts})
	}
	return params, nil
}

func (e *eksPlane) addonUpdate(cl *eksCluster, req *eksRequest) (*addon, error) {
	return e.liveAddon(cl, req.query.Get("addonName"))
}

func (e *eksPlane) describeAddonUpdate(cl *eksCluster, req *eksRequest, now time.Time) (any, error) {
	a, err := e.addonUpdate(cl, req)
	if err != nil {
		return nil, err
	}
	for _, u := range a.updates {
		if u.id == req.route.update {
			return map[string]any{"update": u.view(now)}, nil
		}
	}
	return nil, resourceNotFound(fmt.Sprintf("No update found for ID: %s", req.route.update), cl.name, a.name)
}

func (e *eksPlane) listAddonUpdates(cl *eksCluster, req *eksRequest, _ time.Time) (any, error) {
	a, err := e.addonUpdate(cl, req)
	if err != nil {
		return nil, err
	}
	got, next, err := page(slices.Clone(a.updates), func(u *addonUpdate) string { return fmt.Sprintf("%08d", u.seq) }, req.query, cl.name)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(got))
	for i, u := range got {
		ids[i] = u.id
	}
	out := map[string]any{"updateIds": ids}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}
