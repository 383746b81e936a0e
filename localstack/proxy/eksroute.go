package proxy

import (
	"net/http"
	"net/url"
	"strings"
)

// eksRoute is an EKS REST-JSON request's operation and path labels, read
// from the HTTP bindings of aws-sdk-go-v2's service/eks schemas.
type eksRoute struct {
	action      string
	cluster     string // the {name} or {clusterName} label
	addon       string
	association string
	update      string
	resourceARN string
}

// eksPaths maps "METHOD pattern" to the operation; "*" stands for one label.
var eksPaths = map[string]string{
	"GET addons/supported-versions":                 "DescribeAddonVersions",
	"GET addons/configuration-schemas":              "DescribeAddonConfiguration",
	"POST clusters":                                 "CreateCluster",
	"GET clusters":                                  "ListClusters",
	"GET clusters/*":                                "DescribeCluster",
	"DELETE clusters/*":                             "DeleteCluster",
	"POST clusters/*/update-config":                 "UpdateClusterConfig",
	"POST clusters/*/updates":                       "UpdateClusterVersion",
	"GET clusters/*/updates":                        "ListUpdates",
	"GET clusters/*/updates/*":                      "DescribeUpdate",
	"POST clusters/*/addons":                        "CreateAddon",
	"GET clusters/*/addons":                         "ListAddons",
	"GET clusters/*/addons/*":                       "DescribeAddon",
	"DELETE clusters/*/addons/*":                    "DeleteAddon",
	"POST clusters/*/addons/*/update":               "UpdateAddon",
	"POST clusters/*/pod-identity-associations":     "CreatePodIdentityAssociation",
	"GET clusters/*/pod-identity-associations":      "ListPodIdentityAssociations",
	"GET clusters/*/pod-identity-associations/*":    "DescribePodIdentityAssociation",
	"POST clusters/*/pod-identity-associations/*":   "UpdatePodIdentityAssociation",
	"DELETE clusters/*/pod-identity-associations/*": "DeletePodIdentityAssociation",
	"POST clusters/*/node-groups":                   "CreateNodegroup",
	"GET clusters/*/node-groups":                    "ListNodegroups",
	"GET clusters/*/node-groups/*":                  "DescribeNodegroup",
	"DELETE clusters/*/node-groups/*":               "DeleteNodegroup",
	"POST clusters/*/node-groups/*/update-config":   "UpdateNodegroupConfig",
	"POST clusters/*/fargate-profiles":              "CreateFargateProfile",
	"GET clusters/*/fargate-profiles":               "ListFargateProfiles",
	"GET clusters/*/fargate-profiles/*":             "DescribeFargateProfile",
	"DELETE clusters/*/fargate-profiles/*":          "DeleteFargateProfile",
}

// parseEKSRoute names the EKS operation of method and escapedPath (the
// request's URL.EscapedPath, so a label holding an escaped "/" stays one
// label). Unknown paths get an empty action.
func parseEKSRoute(method, escapedPath string) eksRoute {
	var segs []string
	for _, s := range strings.Split(strings.Trim(escapedPath, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			u = s
		}
		segs = append(segs, u)
	}
	if len(segs) >= 2 && segs[0] == "tags" {
		// The ARN may arrive with its "/" escaped (the SDK) or not.
		arn, err := url.PathUnescape(strings.TrimPrefix(strings.Trim(escapedPath, "/"), "tags/"))
		if err != nil {
			return eksRoute{}
		}
		action := map[string]string{http.MethodPost: "TagResource", http.MethodGet: "ListTagsForResource",
			http.MethodDelete: "UntagResource"}[method]
		return eksRoute{action: action, resourceARN: arn}
	}
	pattern := make([]string, len(segs))
	for i, s := range segs {
		pattern[i] = s
		if segs[0] == "clusters" && i%2 == 1 { // labels sit at odd positions: clusters/{name}/addons/{addon}/...
			pattern[i] = "*"
		}
	}
	rt := eksRoute{action: eksPaths[method+" "+strings.Join(pattern, "/")]}
	if len(segs) >= 2 && segs[0] == "clusters" {
		rt.cluster = segs[1]
	}
	if len(segs) >= 4 {
		switch segs[2] {
		case "addons":
			rt.addon = segs[3]
		case "pod-identity-associations":
			rt.association = segs[3]
		case "updates":
			rt.update = segs[3]
		}
	}
	return rt
}
