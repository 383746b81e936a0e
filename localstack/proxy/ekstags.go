package proxy

import (
	"fmt"
	"maps"
)

// tagOperation serves TagResource, UntagResource and ListTagsForResource on
// the ARN of an add-on or a pod identity association; moto tags clusters only.
func (e *eksPlane) tagOperation(req *eksRequest) (any, error) {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := req.decode(&in); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	tags, err := e.taggable(req.route.resourceARN)
	if err != nil {
		return nil, err
	}
	switch req.route.action {
	case "TagResource":
		if len(in.Tags) == 0 {
			return nil, &eksError{status: 400, code: "BadRequestException", message: "tags is required"}
		}
		maps.Copy(tags, in.Tags)
	case "UntagResource":
		for _, k := range req.query["tagKeys"] {
			delete(tags, k)
		}
	default:
		return map[string]any{"tags": cloneTags(tags)}, nil
	}
	return map[string]any{}, nil
}

// taggable returns the tag map of the resource arn names.
func (e *eksPlane) taggable(arn string) (map[string]string, error) {
	clusterARN, kind, rest, _ := splitEKSARN(arn)
	notFound := &eksError{status: 404, code: "NotFoundException", message: fmt.Sprintf("Resource was not found: %s", arn)}
	cl := e.clusters[clusterARN]
	if cl == nil || len(rest) == 0 {
		return nil, notFound
	}
	e.settle(cl, e.now())
	switch kind {
	case "addon":
		if a := cl.addons[rest[0]]; a != nil && a.arn == arn {
			return a.tags, nil
		}
	case "podidentityassociation":
		if as := cl.associations[rest[0]]; as != nil && as.arn == arn {
			return as.tags, nil
		}
	}
	return nil, notFound
}
