// Package verify checks an installation the way section 4 of the RDS/S3 guide asks a person to: the databases
// and tables Kubeflow's components create, the bucket and the credentials the cluster uses for it, and the
// Kubernetes objects that wire them together. Every check ends in a verdict and, when it is not ok, what to do.
// The checks only read, except the S3 probe, which writes and deletes one object under kfaws-verify/.
package verify

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Status is a check's verdict.
type Status string

// The verdicts, from good to bad. NotYetInitialised is not a failure: the component that creates the thing
// has not started yet (or has not been used yet).
const (
	OK                Status = "ok"
	NotYetInitialised Status = "not-yet-initialised"
	Warn              Status = "warn"
	Fail              Status = "fail"
)

// Area groups checks; `kfaws verify --only` selects areas.
type Area string

// The three areas.
const (
	AreaDB      Area = "db"
	AreaS3      Area = "s3"
	AreaCluster Area = "cluster"
)

// Areas lists every Area in report order.
var Areas = []Area{AreaDB, AreaS3, AreaCluster}

// ParseArea returns the Area named s or an error listing the valid ones.
func ParseArea(s string) (Area, error) {
	for _, a := range Areas {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown check area %q: use one of db, s3, cluster", s)
}

// Check is one line of the report.
type Check struct {
	Area   Area   `json:"area"`
	Name   string `json:"check"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	// Action says what to do when Status is not OK; empty otherwise.
	Action string `json:"action,omitempty"`
}

// Report is the result of a verification.
type Report struct {
	Checks []Check `json:"checks"`
}

// Add appends a check.
func (r *Report) Add(c Check) { r.Checks = append(r.Checks, c) }

// Failed reports whether any check failed.
func (r *Report) Failed() bool { return r.Count(Fail) > 0 }

// Count returns how many checks have status s.
func (r *Report) Count(s Status) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Find returns the first check named name, for tests and callers that act on one result.
func (r *Report) Find(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// Summary is one line: counts per status.
func (r *Report) Summary() string {
	var parts []string
	for _, s := range []Status{OK, NotYetInitialised, Warn, Fail} {
		if n := r.Count(s); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "no checks ran"
	}
	return strings.Join(parts, ", ")
}

// MarshalJSON adds the summary counts so a script need not count.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		*plain
		Failed bool `json:"failed"`
	}{(*plain)(r), r.Failed()})
}

// recorder adds checks of one area.
type recorder struct {
	r    *Report
	area Area
}

func (w recorder) ok(name, detail string) {
	w.r.Add(Check{Area: w.area, Name: name, Status: OK, Detail: detail})
}

func (w recorder) add(name string, s Status, detail, action string) {
	w.r.Add(Check{Area: w.area, Name: name, Status: s, Detail: detail, Action: action})
}
