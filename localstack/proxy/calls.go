package proxy

import (
	"net/http"
	"strings"
	"sync"
)

// Call is one request the proxy recorded (see RecordCalls), in arrival order.
type Call struct {
	Operation string `json:"operation"`
	// Status is the HTTP status the proxy answered with.
	Status int `json:"status"`
	// Objects are, for s3:DeleteObjects, the objects the request named, as the client sent them.
	Objects []ObjectID `json:"objects,omitempty"`
	// Failed are the objects a partial-delete fault took out of the request and reported as failed.
	Failed []ObjectID `json:"failed,omitempty"`
	// Params are a query-protocol request's parameters (rds, iam, sts, ec2), the first value of each; a
	// password parameter is recorded as "****", as RDS shows a pending one.
	Params map[string]string `json:"params,omitempty"`
}

// ObjectID names one object version in a DeleteObjects request or result.
type ObjectID struct {
	Key       string `json:"key"`
	VersionID string `json:"versionId,omitempty"`
}

// callLog records the requests of chosen operations. It costs a lock and an append per recorded request, no
// waiting, so it can watch a benchmark without changing its timing.
type callLog struct {
	mu         sync.Mutex
	operations []string // "service:Action" or "service:*"; none means not recording
	calls      []Call
	generation int // bumped by record, so a request that began before a restart does not touch the new log
}

// callRef is a request's entry in the log; index -1 means not recorded.
type callRef struct{ generation, index int }

// record starts recording the requests of operations, dropping what was recorded before; no operations stops.
func (l *callLog) record(operations []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.operations, l.calls = operations, nil
	l.generation++
}

func (l *callLog) list() []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Call{}, l.calls...)
}

// recording reports whether op's requests are recorded.
func (l *callLog) recording(op Operation) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.recordingLocked(op)
}

func (l *callLog) recordingLocked(op Operation) bool {
	for _, pattern := range l.operations {
		if opMatches(pattern, op) {
			return true
		}
	}
	return false
}

// begin records the arrival of a request of op, if its operation is recorded.
func (l *callLog) begin(op Operation, objects []ObjectID) callRef {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.recordingLocked(op) {
		return callRef{index: -1}
	}
	l.calls = append(l.calls, Call{Operation: op.String(), Objects: objects, Params: queryParams(op)})
	return callRef{generation: l.generation, index: len(l.calls) - 1}
}

// update changes a request's entry, unless the log was restarted since the request began.
func (l *callLog) update(ref callRef, change func(*Call)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ref.index >= 0 && ref.generation == l.generation {
		change(&l.calls[ref.index])
	}
}

// queryParams are op's form parameters as a Call records them; nil for other protocols.
func queryParams(op Operation) map[string]string {
	if len(op.Form) == 0 {
		return nil
	}
	m := make(map[string]string, len(op.Form))
	for k, v := range op.Form {
		switch {
		case len(v) == 0:
		case strings.Contains(strings.ToLower(k), "password"):
			m[k] = "****"
		default:
			m[k] = v[0]
		}
	}
	return m
}

// opMatches reports whether op is pattern: "service:Action", or "service:*" for every action of the service.
func opMatches(pattern string, op Operation) bool {
	service, action, _ := strings.Cut(pattern, ":")
	return service == op.Service && (action == "*" || action == op.Action)
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (used by ReverseProxy) reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
