package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ControlPrefix starts every path of the proxy's own control API. AWS
// requests never use it: S3 bucket names cannot start with "_".
const ControlPrefix = "/_localstack/"

func isControl(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, ControlPrefix) }

// serveControl implements the control API:
//
//	GET    /_localstack/faults     list rules and their remaining counts
//	POST   /_localstack/faults     add a rule or a JSON array of rules
//	DELETE /_localstack/faults     remove every rule
//	POST   /_localstack/rds-delay  {"delay":"30s"} for instances created from now on
//	POST   /_localstack/eks-delay  {"delay":"5s"} for add-ons changed from now on
//	GET    /_localstack/eks-addon-catalog  what DescribeAddonVersions offers
//	POST   /_localstack/eks-addon-catalog  replace it (the "addons" array of DescribeAddonVersions)
//	DELETE /_localstack/eks-addon-catalog  restore the built-in catalogue
//	POST   /_localstack/calls      {"operations":["s3:DeleteObjects"]} start recording those requests afresh
//	GET    /_localstack/calls      the recorded requests, in arrival order
//	DELETE /_localstack/calls      stop recording and drop the record
func (p *Proxy) serveControl(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, ControlPrefix) + " " + r.Method {
	case "faults GET":
		writeJSON(w, http.StatusOK, p.Faults())
	case "faults POST":
		faults, err := decodeFaults(r)
		if err == nil {
			err = p.injectAll(faults)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, p.Faults())
	case "faults DELETE":
		p.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	case "rds-delay POST", "eks-delay POST":
		d, err := decodeDelay(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if strings.HasPrefix(r.URL.Path, ControlPrefix+"rds") {
			p.SetRDSDelay(d)
		} else {
			p.SetEKSDelay(d)
		}
		w.WriteHeader(http.StatusNoContent)
	case "eks-addon-catalog GET":
		writeJSON(w, http.StatusOK, p.EKSAddonCatalog())
	case "eks-addon-catalog POST", "eks-addon-catalog DELETE":
		catalog := BuiltinAddonCatalog()
		if r.Method == http.MethodPost {
			catalog = nil
			if err := json.NewDecoder(r.Body).Decode(&catalog); err != nil {
				http.Error(w, "eks-addon-catalog: want the \"addons\" array of a DescribeAddonVersions answer: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		if err := p.SetEKSAddonCatalog(catalog); err != nil {
			http.Error(w, "eks-addon-catalog: "+err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, p.EKSAddonCatalog())
	case "calls GET":
		writeJSON(w, http.StatusOK, p.Calls())
	case "calls POST":
		var body struct {
			Operations []string `json:"operations"`
		}
		err := json.NewDecoder(r.Body).Decode(&body)
		if err == nil {
			err = p.RecordCalls(body.Operations...)
		}
		if err != nil {
			http.Error(w, "calls: want {\"operations\":[\"s3:DeleteObjects\"]}: "+err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "calls DELETE":
		_ = p.RecordCalls()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, fmt.Sprintf("no control endpoint %s %s; see localstack/README.md", r.Method, r.URL.Path), http.StatusNotFound)
	}
}

// decodeDelay reads {"delay":"30s"}.
func decodeDelay(r *http.Request) (time.Duration, error) {
	name := strings.TrimPrefix(r.URL.Path, ControlPrefix)
	var body struct {
		Delay string `json:"delay"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return 0, fmt.Errorf("%s: want {\"delay\":\"30s\"}: %w", name, err)
	}
	d, err := time.ParseDuration(body.Delay)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s: delay %q: want a non-negative Go duration such as \"30s\"", name, body.Delay)
	}
	return d, nil
}

// decodeFaults reads one rule or an array of rules.
func decodeFaults(r *http.Request) ([]Fault, error) {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		return nil, fmt.Errorf("faults: reading JSON body: %w", err)
	}
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		var fs []Fault
		if err := json.Unmarshal(raw, &fs); err != nil {
			return nil, fmt.Errorf("faults: %w", err)
		}
		return fs, nil
	}
	var f Fault
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	return []Fault{f}, nil
}

// injectAll adds every rule, or none if one is invalid.
func (p *Proxy) injectAll(faults []Fault) error {
	for _, f := range faults {
		if err := f.Validate(); err != nil {
			return err
		}
	}
	for _, f := range faults {
		p.faults.add(f)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
