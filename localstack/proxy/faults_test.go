package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFaultValidate(t *testing.T) {
	for _, tc := range []struct {
		f    Fault
		want string // substring of the error; "" = valid
	}{
		{Fault{Operation: "rds:CreateDBInstance", Kind: FaultThrottle, Count: 1}, ""},
		{Fault{Operation: "s3:*", Kind: Fault503, Count: 3}, ""},
		{Fault{Operation: "iam:CreateRole", Kind: FaultLatency, Count: 1, Latency: time.Second}, ""},
		{Fault{Operation: "rds", Kind: FaultThrottle, Count: 1}, `want "service:Action"`},
		{Fault{Operation: "rds:X", Kind: "boom", Count: 1}, `kind "boom"`},
		{Fault{Operation: "rds:X", Kind: FaultLatency, Count: 1}, "positive latency"},
		{Fault{Operation: "rds:X", Kind: Fault500}, "count 0"},
		{Fault{Operation: "s3:DeleteObjects", Kind: FaultPartialDelete, Count: 2, Keys: 3}, ""},
		{Fault{Operation: "s3:DeleteObjects", Kind: FaultPartialDelete, Count: 1}, ""},
		{Fault{Operation: "s3:*", Kind: FaultPartialDelete, Count: 1}, `applies to "s3:DeleteObjects" only`},
		{Fault{Operation: "s3:DeleteObjects", Kind: FaultPartialDelete, Count: 1, Keys: -1}, "keys -1"},
		{Fault{Operation: "s3:DeleteObjects", Kind: FaultThrottle, Count: 1, Keys: 2}, `for kind "partial-delete" only`},
	} {
		err := tc.f.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.f, err, tc.want)
		}
	}
}

func TestFaultSetUsesCounts(t *testing.T) {
	var s faultSet
	s.add(Fault{Operation: "rds:*", Kind: Fault500, Count: 2})
	s.add(Fault{Operation: "rds:CreateDBInstance", Kind: FaultThrottle, Count: 1})
	create := Operation{Service: "rds", Action: "CreateDBInstance"}
	var kinds []FaultKind
	for range 4 {
		f, ok := s.take(create)
		if !ok {
			kinds = append(kinds, "none")
			continue
		}
		kinds = append(kinds, f.Kind)
	}
	if got, _ := json.Marshal(kinds); string(got) != `["500","500","throttle","none"]` {
		t.Errorf("faults taken in order %s", got)
	}
	s.add(Fault{Operation: "s3:PutBucketEncryption", Kind: FaultThrottle, Count: 1})
	if _, ok := s.take(Operation{Service: "s3", Action: "PutPublicAccessBlock"}); ok {
		t.Error("rule for another action matched")
	}
}

func TestWriteFaultShapes(t *testing.T) {
	for _, tc := range []struct {
		op                      Operation
		kind                    FaultKind
		status                  int
		contentType, bodySubstr string
	}{
		{Operation{Protocol: ProtocolQuery}, FaultThrottle, 400, "text/xml", "<Code>Throttling</Code>"},
		{Operation{Protocol: ProtocolEC2}, FaultThrottle, 503, "text/xml", "<Errors><Error><Code>RequestLimitExceeded</Code>"},
		{Operation{Protocol: ProtocolJSON, JSONVersion: "1.1"}, FaultThrottle, 400, "application/x-amz-json-1.1", `"__type":"ThrottlingException"`},
		{Operation{Protocol: ProtocolRESTJSON}, FaultThrottle, 429, "application/json", `"message"`},
		{Operation{Protocol: ProtocolRESTXML}, FaultThrottle, 503, "application/xml", "<Code>SlowDown</Code>"},
		{Operation{Protocol: ProtocolQuery}, Fault500, 500, "text/xml", "<Code>InternalFailure</Code>"},
		{Operation{Protocol: ProtocolRESTXML}, Fault503, 503, "application/xml", "<Code>ServiceUnavailable</Code>"},
	} {
		w := httptest.NewRecorder()
		writeFault(w, tc.op, tc.kind)
		if w.Code != tc.status || w.Header().Get("Content-Type") != tc.contentType || !strings.Contains(w.Body.String(), tc.bodySubstr) {
			t.Errorf("%s %s: %d %q %s; want %d %q containing %s", tc.op.Protocol, tc.kind, w.Code,
				w.Header().Get("Content-Type"), w.Body, tc.status, tc.contentType, tc.bodySubstr)
		}
	}
	w := httptest.NewRecorder()
	writeFault(w, Operation{Protocol: ProtocolRESTJSON}, FaultThrottle)
	if got := w.Header().Get("X-Amzn-ErrorType"); got != "ThrottlingException" {
		t.Errorf("rest-json X-Amzn-ErrorType = %q", got)
	}
}

func TestControlAPI(t *testing.T) {
	p := New(Options{Upstream: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}})
	do := func(method, path, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		p.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
		return w
	}
	if w := do(http.MethodPost, "/_localstack/faults", `{"operation":"s3:*","kind":"latency","count":2,"latency":"150ms"}`); w.Code != 200 {
		t.Fatalf("POST one fault: %d %s", w.Code, w.Body)
	}
	if w := do(http.MethodPost, "/_localstack/faults", `[{"operation":"iam:CreateRole","kind":"500","count":1},
		{"operation":"s3:DeleteObjects","kind":"partial-delete","count":3,"keys":2}]`); w.Code != 200 {
		t.Fatalf("POST fault list: %d %s", w.Code, w.Body)
	}
	var listed []Fault
	if err := json.Unmarshal(do(http.MethodGet, "/_localstack/faults", "").Body.Bytes(), &listed); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 3 || listed[0].Latency != 150*time.Millisecond || listed[1].Kind != Fault500 ||
		listed[2] != (Fault{Operation: "s3:DeleteObjects", Kind: FaultPartialDelete, Count: 3, Keys: 2}) {
		t.Errorf("listed faults %+v", listed)
	}
	if w := do(http.MethodPost, "/_localstack/faults", `[{"operation":"ok:X","kind":"500","count":1},{"operation":"bad","kind":"500","count":1}]`); w.Code != 400 {
		t.Errorf("invalid rule accepted: %d", w.Code)
	}
	if len(p.Faults()) != 3 {
		t.Errorf("a list with an invalid rule was partly added: %+v", p.Faults())
	}
	if w := do(http.MethodDelete, "/_localstack/faults", ""); w.Code != 204 || len(p.Faults()) != 0 {
		t.Errorf("DELETE: %d, left %+v", w.Code, p.Faults())
	}
	if w := do(http.MethodPost, "/_localstack/rds-delay", `{"delay":"45s"}`); w.Code != 204 || p.rds.delay != 45*time.Second {
		t.Errorf("rds-delay: %d, delay %s", w.Code, p.rds.delay)
	}
	if w := do(http.MethodPost, "/_localstack/rds-delay", `{"delay":"soon"}`); w.Code != 400 {
		t.Errorf("bad delay accepted: %d", w.Code)
	}
	if w := do(http.MethodPost, "/_localstack/eks-delay", `{"delay":"5s"}`); w.Code != 204 || p.eks.delay != 5*time.Second {
		t.Errorf("eks-delay: %d, delay %s", w.Code, p.eks.delay)
	}
	catalog := `[{"addonName":"eks-pod-identity-agent","addonVersions":[{"addonVersion":"v1.3.10-eksbuild.3","compatibilities":[{"clusterVersion":"1.37","defaultVersion":true}]}]}]`
	if w := do(http.MethodPost, "/_localstack/eks-addon-catalog", catalog); w.Code != 200 || len(p.EKSAddonCatalog()) != 1 ||
		p.EKSAddonCatalog()[0].DefaultNamespace != "kube-system" {
		t.Errorf("POST eks-addon-catalog: %d %s", w.Code, w.Body)
	}
	if w := do(http.MethodPost, "/_localstack/eks-addon-catalog", `[{"addonName":""}]`); w.Code != 400 || len(p.EKSAddonCatalog()) != 1 {
		t.Errorf("invalid catalogue accepted: %d %s", w.Code, w.Body)
	}
	if w := do(http.MethodDelete, "/_localstack/eks-addon-catalog", ""); w.Code != 200 || len(p.EKSAddonCatalog()) != len(BuiltinAddonCatalog()) {
		t.Errorf("DELETE eks-addon-catalog: %d, %d add-ons", w.Code, len(p.EKSAddonCatalog()))
	}
	if w := do(http.MethodPost, "/_localstack/calls", `{"operations":["s3:DeleteObjects","sts:*"]}`); w.Code != 204 {
		t.Errorf("POST calls: %d %s", w.Code, w.Body)
	}
	do(http.MethodPost, "/?Action=GetCallerIdentity", "") // unsigned, so not an sts call: not recorded
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0")
	p.ServeHTTP(httptest.NewRecorder(), req) // moto is unreachable: 502, recorded
	var calls []Call
	if err := json.Unmarshal(do(http.MethodGet, "/_localstack/calls", "").Body.Bytes(), &calls); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].Operation != "sts:GetCallerIdentity" || calls[0].Status != http.StatusBadGateway {
		t.Errorf("recorded calls %+v, want one sts:GetCallerIdentity answered 502", calls)
	}
	if w := do(http.MethodPost, "/_localstack/calls", `{"operations":["s3"]}`); w.Code != 400 {
		t.Errorf("invalid operation to record accepted: %d", w.Code)
	}
	if w := do(http.MethodDelete, "/_localstack/calls", ""); w.Code != 204 || len(p.Calls()) != 0 {
		t.Errorf("DELETE calls: %d, left %+v", w.Code, p.Calls())
	}
	if w := do(http.MethodGet, "/_localstack/nothing", ""); w.Code != 404 {
		t.Errorf("unknown control path: %d", w.Code)
	}
}

func TestBuiltinAddonCatalogIsConsistent(t *testing.T) {
	c, err := normalizeCatalog(BuiltinAddonCatalog())
	if err != nil {
		t.Fatal(err)
	}
	// Every Kubernetes version an add-on lists has exactly one default.
	for _, a := range c {
		listed, defaults := map[string]bool{}, map[string]int{}
		for _, v := range a.AddonVersions {
			for _, cp := range v.Compatibilities {
				listed[cp.ClusterVersion] = true
				if cp.DefaultVersion {
					defaults[cp.ClusterVersion]++
				}
			}
		}
		for k8s := range listed {
			if defaults[k8s] != 1 {
				t.Errorf("%s on Kubernetes %s: %d defaults, want 1", a.AddonName, k8s, defaults[k8s])
			}
		}
	}
}
