package proxy

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"

	"sigs.k8s.io/yaml"
)

var (
	reRoleARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::[0-9]{12}:role/.+$`)
	// Kubernetes names: a namespace is a DNS label, a service account a DNS subdomain.
	reNamespace      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	reServiceAccount = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

func checkRoleARN(field, arn, cluster, addon string) error {
	if !reRoleARN.MatchString(arn) {
		return invalidParameter(fmt.Sprintf("%s %q is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", field, arn), cluster, addon)
	}
	return nil
}

func checkNamespace(ns, cluster, addon string) error {
	if len(ns) > 63 || !reNamespace.MatchString(ns) {
		return invalidParameter(fmt.Sprintf("namespace %q is not a valid Kubernetes namespace name", ns), cluster, addon)
	}
	return nil
}

func checkServiceAccount(sa, cluster, addon string) error {
	if len(sa) > 253 || !reServiceAccount.MatchString(sa) {
		return invalidParameter(fmt.Sprintf("serviceAccount %q is not a valid Kubernetes service account name", sa), cluster, addon)
	}
	return nil
}

// checkConfigurationValues accepts what EKS accepts before its schema check:
// empty, or a JSON or YAML object. The add-on's schema itself is not checked.
func checkConfigurationValues(v, cluster, addon string) error {
	if v == "" {
		return nil
	}
	j, err := yaml.YAMLToJSON([]byte(v))
	var obj map[string]any
	if err == nil {
		err = json.Unmarshal(j, &obj)
	}
	if err != nil || obj == nil {
		return invalidParameter(fmt.Sprintf("ConfigurationValue provided in request is not supported: want a JSON or YAML object, got %q", v), cluster, addon)
	}
	return nil
}

func checkResolveConflicts(v, cluster, addon string) error {
	switch v {
	case "", "NONE", "OVERWRITE", "PRESERVE":
		return nil
	}
	return invalidParameter(fmt.Sprintf("resolveConflicts %q: want NONE, OVERWRITE or PRESERVE", v), cluster, addon)
}

// page returns the page of items (sorted by key) that q's maxResults and
// nextToken ask for, and the token of the next page ("" after the last).
// A token names the first key of its page, so items removed between pages
// shift nothing.
func page[T any](items []T, key func(T) string, q url.Values, cluster string) ([]T, string, error) {
	sort.SliceStable(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	limit := 100
	if s := q.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			return nil, "", invalidParameter(fmt.Sprintf("maxResults %q: want a number from 1 to 100", s), cluster, "")
		}
		limit = n
	}
	start := 0
	if tok := q.Get("nextToken"); tok != "" {
		from, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return nil, "", invalidParameter(fmt.Sprintf("nextToken %q is not a token this API returned", tok), cluster, "")
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) >= string(from) })
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end])))
	}
	return items[start:end], next, nil
}

// newUUID returns a random UUID, the form of add-on ARN suffixes and update IDs.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newAssociationID returns an ID in EKS's form: "a-" and 17 characters of [0-9a-z].
func newAssociationID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 17)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "a-" + string(b)
}

func cloneTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		out[k] = v
	}
	return out
}
