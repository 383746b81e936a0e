package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind says what an injected fault does.
type FaultKind string

// The faults the proxy can inject.
const (
	// FaultThrottle answers with the protocol's own throttling error.
	FaultThrottle FaultKind = "throttle"
	// Fault500 answers with a 500 internal error in the protocol's shape.
	Fault500 FaultKind = "500"
	// Fault503 answers with a 503 service unavailable in the protocol's shape.
	Fault503 FaultKind = "503"
	// FaultLatency delays the request by Latency, then forwards it.
	FaultLatency FaultKind = "latency"
	// FaultLostResponse forwards the request, so moto applies it, then
	// answers 500 as if the response had been lost: the SDK retries a call
	// that already took effect (e.g. CreateDBInstance then sees
	// DBInstanceAlreadyExists).
	FaultLostResponse FaultKind = "lost-response"
	// FaultPartialDelete applies to s3:DeleteObjects only: it takes the first
	// Keys objects out of the request, forwards the rest, and reports the
	// taken ones as <Error> (InternalError) in the DeleteResult, as S3 does
	// when it deletes part of a batch. With every object taken, nothing is
	// forwarded.
	FaultPartialDelete FaultKind = "partial-delete"
)

// Fault is one injection rule: the next Count requests of Operation
// ("service:Action"; Action "*" matches every action of the service) get Kind.
type Fault struct {
	Operation string        `json:"operation"`
	Kind      FaultKind     `json:"kind"`
	Count     int           `json:"count"`
	Latency   time.Duration `json:"-"`
	// Keys is how many objects a partial-delete fault fails per request; 0 means 1.
	Keys int `json:"keys,omitempty"`
}

// faultJSON is Fault on the control API, with latency as a Go duration string.
type faultJSON struct {
	Operation string    `json:"operation"`
	Kind      FaultKind `json:"kind"`
	Count     int       `json:"count"`
	Latency   string    `json:"latency,omitempty"`
	Keys      int       `json:"keys,omitempty"`
}

// MarshalJSON writes Latency as a duration string such as "1.5s".
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{Operation: f.Operation, Kind: f.Kind, Count: f.Count, Keys: f.Keys}
	if f.Latency > 0 {
		j.Latency = f.Latency.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads Latency as a duration string such as "1.5s".
func (f *Fault) UnmarshalJSON(b []byte) error {
	var j faultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Fault{Operation: j.Operation, Kind: j.Kind, Count: j.Count, Keys: j.Keys}
	if j.Latency != "" {
		d, err := time.ParseDuration(j.Latency)
		if err != nil {
			return fmt.Errorf("fault %q: latency %q: %w", j.Operation, j.Latency, err)
		}
		f.Latency = d
	}
	return nil
}

// Validate reports a rule that cannot be applied.
func (f Fault) Validate() error {
	service, action, ok := strings.Cut(f.Operation, ":")
	if !ok || service == "" || action == "" {
		return fmt.Errorf("fault operation %q: want \"service:Action\", e.g. \"rds:CreateDBInstance\" or \"s3:*\"", f.Operation)
	}
	switch f.Kind {
	case FaultThrottle, Fault500, Fault503, FaultLostResponse:
	case FaultLatency:
		if f.Latency <= 0 {
			return fmt.Errorf("fault %q: kind \"latency\" needs a positive latency", f.Operation)
		}
	case FaultPartialDelete:
		if f.Operation != "s3:DeleteObjects" {
			return fmt.Errorf("fault %q: kind \"partial-delete\" applies to \"s3:DeleteObjects\" only", f.Operation)
		}
		if f.Keys < 0 {
			return fmt.Errorf("fault %q: keys %d: want at least 1 (0 means 1)", f.Operation, f.Keys)
		}
	default:
		return fmt.Errorf("fault %q: kind %q: want one of throttle, 500, 503, latency, lost-response, partial-delete", f.Operation, f.Kind)
	}
	if f.Keys != 0 && f.Kind != FaultPartialDelete {
		return fmt.Errorf("fault %q: keys is for kind \"partial-delete\" only", f.Operation)
	}
	if f.Count <= 0 {
		return fmt.Errorf("fault %q: count %d: want at least 1", f.Operation, f.Count)
	}
	return nil
}

func (f Fault) matches(op Operation) bool { return opMatches(f.Operation, op) }

// faultSet holds the active rules; each match uses up one of a rule's Count.
type faultSet struct {
	mu     sync.Mutex
	faults []Fault
}

func (s *faultSet) add(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

func (s *faultSet) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *faultSet) list() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Fault{}, s.faults...)
}

// take returns the first rule matching op and uses up one of its requests.
func (s *faultSet) take(op Operation) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if !f.matches(op) {
			continue
		}
		s.faults[i].Count--
		if s.faults[i].Count <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f, true
	}
	return Fault{}, false
}

// writeFault answers with kind's error in op's protocol. Codes and statuses
// follow what AWS sends, so aws-sdk-go-v2's standard retryer classifies them
// as retryable: throttling codes are in its DefaultThrottleErrorCodes, and
// 500/503 are in DefaultRetryableHTTPStatusCodes.
func writeFault(w http.ResponseWriter, op Operation, kind FaultKind) {
	status, code, msg := http.StatusBadRequest, "Throttling", "Rate exceeded"
	switch op.Protocol {
	case ProtocolEC2:
		status, code, msg = http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded."
	case ProtocolJSON:
		code = "ThrottlingException"
	case ProtocolRESTJSON:
		status, code = http.StatusTooManyRequests, "ThrottlingException"
	case ProtocolRESTXML:
		status, code, msg = http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."
	}
	switch kind {
	case Fault500, FaultLostResponse:
		status, code, msg = http.StatusInternalServerError, "InternalFailure", "injected internal error"
		if op.Protocol == ProtocolRESTXML || op.Protocol == ProtocolEC2 {
			code = "InternalError"
		}
	case Fault503:
		status, code, msg = http.StatusServiceUnavailable, "ServiceUnavailable", "injected service unavailable"
		if op.Protocol == ProtocolEC2 {
			code = "Unavailable"
		}
	}
	writeError(w, op, status, code, msg)
}

// writeError writes an AWS error response in op's protocol.
func writeError(w http.ResponseWriter, op Operation, status int, code, msg string) {
	reqID := requestID()
	h := w.Header()
	h.Set("X-Amzn-RequestId", reqID)
	var body string
	switch op.Protocol {
	case ProtocolEC2:
		h.Set("Content-Type", "text/xml")
		body = fmt.Sprintf("<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>",
			code, xmlText(msg), reqID)
	case ProtocolJSON:
		h.Set("Content-Type", "application/x-amz-json-"+op.JSONVersion)
		body = jsonError(code, msg)
	case ProtocolRESTJSON:
		h.Set("Content-Type", "application/json")
		h.Set("X-Amzn-ErrorType", code)
		body = jsonError("", msg)
	case ProtocolRESTXML:
		h.Set("Content-Type", "application/xml")
		body = fmt.Sprintf("<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>", code, xmlText(msg), reqID)
	default:
		errType := "Sender"
		if status >= 500 {
			errType = "Receiver"
		}
		h.Set("Content-Type", "text/xml")
		body = fmt.Sprintf("<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>",
			errType, code, xmlText(msg), reqID)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func requestID() string { return "localstack-" + strconv.FormatInt(time.Now().UnixNano(), 36) }

func jsonError(code, msg string) string {
	m := map[string]string{"message": msg}
	if code != "" {
		m["__type"] = code
	}
	b, _ := json.Marshal(m)
	return string(b)
}
