// Package policy writes IAM policy documents: the permission policies plan decides, the trust policies of
// identity bindings, and kfaws's statement in a bucket policy, which it merges into the policy the bucket has
// while keeping every other statement as written. Verify reads and evaluates policies with its own, more
// lenient, parser.
package policy

import "encoding/json"

// Version is the policy language version every document kfaws writes uses.
const Version = "2012-10-17"

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a Document.
type Statement struct {
	Sid    string `json:"Sid,omitempty"`
	Effect string `json:"Effect"`
	// Principal is a map ({"Federated": ARN}) or the string "*" (everyone).
	Principal any                          `json:"Principal,omitempty"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource,omitempty"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// String is the document as compact JSON, the form IAM stores.
func (d Document) String() string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err) // only strings and maps of strings
	}
	return string(b)
}
