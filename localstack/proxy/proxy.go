// Package proxy is a small reverse proxy in front of moto that adds what
// moto lacks for testing kfaws: an RDS data plane on a real MariaDB server
// (master user, initial database, auth plugin, endpoint), an emulated RDS
// creation delay, the EKS add-on and pod identity association APIs, S3
// version listings that page like S3's, GetSecretValue reading the version
// staged AWSCURRENT, per-operation fault injection in
// each AWS protocol's own error shape (and S3 DeleteObjects results that
// fail some keys), and a record of the calls it saw. It is test and demo
// infrastructure, never product code; see localstack/README.md.
package proxy

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Options configures a Proxy.
type Options struct {
	// Upstream is moto's base URL, e.g. http://127.0.0.1:5000.
	Upstream *url.URL
	// MySQLAdmin is a root connection to the MariaDB server that backs RDS
	// instances. It must allow placeholders in CREATE USER (the
	// go-sql-driver/mysql DSN needs interpolateParams=true). Nil disables
	// users and databases; endpoints and delays still work.
	MySQLAdmin *sql.DB
	// MySQLHost and MySQLPort are what RDS endpoints report.
	MySQLHost string
	MySQLPort int
	// RDSDelay is the initial emulated creation delay.
	RDSDelay time.Duration
	// EKSDelay is how long EKS add-ons stay CREATING, UPDATING or DELETING;
	// 0 means DefaultEKSDelay (SetEKSDelay(0) makes the changes immediate).
	EKSDelay time.Duration
	// Now is the clock of the RDS and EKS delays; nil means time.Now. Tests
	// set it to step through the states without waiting.
	Now func() time.Time
	// Logger receives one line per data-plane change and fault; nil discards.
	Logger *slog.Logger
}

// Proxy forwards AWS requests to moto; it is an http.Handler.
type Proxy struct {
	upstream    *httputil.ReverseProxy
	upstreamURL *url.URL
	faults      faultSet
	calls       callLog
	listings    versionListings
	rds         *rdsPlane
	eks         *eksPlane
	log         *slog.Logger
}

type opKey struct{}

// New returns a Proxy for opts.
func New(opts Options) *Proxy {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{rds: newRDSPlane(opts.MySQLAdmin, opts.MySQLHost, opts.MySQLPort, log), eks: newEKSPlane(opts.Upstream, log),
		log: log, upstreamURL: opts.Upstream}
	p.rds.setDelay(opts.RDSDelay)
	if opts.EKSDelay != 0 {
		p.eks.setDelay(opts.EKSDelay)
	}
	if opts.Now != nil {
		p.rds.now, p.eks.now = opts.Now, opts.Now
	}
	// Keep a connection to moto per concurrent client request: the default two idle connections per host make
	// every other request of a parallel client (a benchmark, a bulk delete) open and close one.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	p.upstream = &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(opts.Upstream)
			r.Out.Host = r.In.Host // moto's S3 reads the bucket from Host in virtual-host style
			// Uncompressed bodies, so RDS responses can be rewritten.
			r.Out.Header.Del("Accept-Encoding")
		},
		ModifyResponse: p.modifyResponse,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelError),
	}
	return p
}

// SetRDSDelay sets the creation delay of instances created from now on.
func (p *Proxy) SetRDSDelay(d time.Duration) { p.rds.setDelay(d) }

// SetEKSDelay sets how long add-ons changed from now on stay CREATING,
// UPDATING or DELETING.
func (p *Proxy) SetEKSDelay(d time.Duration) { p.eks.setDelay(d) }

// SetEKSAddonCatalog replaces what DescribeAddonVersions offers and what
// CreateAddon and UpdateAddon accept; BuiltinAddonCatalog restores the default.
func (p *Proxy) SetEKSAddonCatalog(c []AddonInfo) error { return p.eks.setCatalog(c) }

// EKSAddonCatalog is the catalogue in use.
func (p *Proxy) EKSAddonCatalog() []AddonInfo { return p.eks.getCatalog() }

// InjectFault adds a fault rule after checking it.
func (p *Proxy) InjectFault(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	p.faults.add(f)
	return nil
}

// ClearFaults removes every fault rule.
func (p *Proxy) ClearFaults() { p.faults.clear() }

// Faults lists the rules with their remaining counts.
func (p *Proxy) Faults() []Fault { return p.faults.list() }

// RecordCalls starts recording the requests of operations ("service:Action" or "service:*"), dropping what was
// recorded before; with none it stops. Calls returns what was recorded.
func (p *Proxy) RecordCalls(operations ...string) error {
	for _, o := range operations {
		if service, action, ok := strings.Cut(o, ":"); !ok || service == "" || action == "" {
			return fmt.Errorf("recording operation %q: want \"service:Action\", e.g. \"s3:DeleteObjects\" or \"s3:*\"", o)
		}
	}
	p.calls.record(operations)
	return nil
}

// Calls lists the recorded requests in arrival order.
func (p *Proxy) Calls() []Call { return p.calls.list() }

// ServeHTTP answers control requests under /_localstack/ and forwards the
// rest to moto, after applying any matching fault.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if isControl(r) {
		p.serveControl(w, r)
		return
	}
	op, err := identify(r)
	if err != nil {
		http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := currentStage(r, op); err != nil {
		http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
		return
	}
	f, faulty := p.faults.take(op)
	var body []byte
	var objects []objectSpan
	partial := faulty && f.Kind == FaultPartialDelete
	if op.Service == "s3" && op.Action == "DeleteObjects" && (partial || p.calls.recording(op)) {
		body, objects, err = readDeleteObjects(r)
		switch {
		case errors.Is(err, errChunkedBody) && partial:
			http.Error(w, "local stack: partial-delete: "+err.Error(), http.StatusInternalServerError)
			return
		case errors.Is(err, errChunkedBody):
			// Recording never changes a request: one whose objects the proxy cannot read is recorded without them.
		case err != nil:
			http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	ref := p.calls.begin(op, objectIDs(objects))
	if ref.index >= 0 {
		sw := &statusWriter{ResponseWriter: w}
		w = sw
		defer func() { p.calls.update(ref, func(c *Call) { c.Status = sw.status }) }()
	}
	if faulty {
		var answered bool
		if r, answered = p.applyFault(w, r, op, f, ref, body, objects); answered {
			return
		}
	}
	lost := faulty && f.Kind == FaultLostResponse
	// The proxy's own pages answer at once; a lost-response fault sends the listing on to moto, whose answer is
	// dropped below, so the client sees the 500 (listing changes nothing, so nothing is missed).
	if op.Service == "s3" && op.Action == "ListObjectVersions" && !lost && p.serveListObjectVersions(w, r) {
		return
	}
	if op.Service == "rds" {
		if code, msg := p.rds.rdsBeforeForward(op); code != "" {
			writeError(w, op, http.StatusBadRequest, code, msg)
			return
		}
	}
	var handler http.Handler = p.upstream
	if op.Service == "eks" && p.eks.serves(parseEKSRoute(r.Method, r.URL.EscapedPath()), r.URL.Query()) {
		handler = p.eks
	}
	// Like AWS, finish a request that arrived even if the client goes away
	// (a killed kfaws): moto applies it and the data plane must follow. The
	// context stays cancellable so ReverseProxy does not fall back to
	// watching the connection.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	r = r.WithContext(context.WithValue(ctx, opKey{}, op))
	if lost {
		handler.ServeHTTP(&discardWriter{header: http.Header{}}, r)
		writeFault(w, op, f.Kind)
		return
	}
	handler.ServeHTTP(w, r)
}

// applyFault applies f to r before it is forwarded. It returns the request to forward, or true when it has
// answered r itself.
func (p *Proxy) applyFault(w http.ResponseWriter, r *http.Request, op Operation, f Fault, ref callRef, body []byte, objects []objectSpan) (*http.Request, bool) {
	p.log.Info("fault injected", "operation", op.String(), "kind", f.Kind)
	switch f.Kind {
	case FaultLatency:
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
			return r, true
		}
	case FaultLostResponse: // forwarded, then answered in ServeHTTP
	case FaultPartialDelete:
		if len(objects) == 0 { // moto answers MalformedXML
			return r, false
		}
		failed, forward := partialDelete(r, body, objects, f.Keys)
		p.calls.update(ref, func(c *Call) { c.Failed = failed })
		if !forward {
			writeDeleteResult(w, failed)
			return r, true
		}
		return r.WithContext(withFailed(r.Context(), failed)), false
	default:
		writeFault(w, op, f.Kind)
		return r, true
	}
	return r, false
}

// errChunkedBody is why the proxy leaves a DeleteObjects request alone: it does not decode aws-chunked bodies,
// so it can neither list nor take out their objects.
var errChunkedBody = errors.New("the DeleteObjects body is aws-chunked, which the proxy does not decode")

// readDeleteObjects reads a DeleteObjects request's body, puts an identical reader back, and lists its objects.
// A body that is not a well-formed Delete document lists none, and is forwarded for moto to answer MalformedXML
// as S3 does.
func readDeleteObjects(r *http.Request) ([]byte, []objectSpan, error) {
	if r.Body == nil {
		return nil, nil, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return body, nil, errChunkedBody
	}
	objects, err := parseDeleteObjects(body)
	if err != nil {
		return body, nil, nil
	}
	return body, objects, nil
}

// discardWriter receives a response nobody will see.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// modifyResponse lets the RDS data plane see and rewrite RDS responses, and
// the EKS emulation see and complete cluster responses.
func (p *Proxy) modifyResponse(resp *http.Response) error {
	ctx := resp.Request.Context()
	op, _ := ctx.Value(opKey{}).(Operation)
	isRDS := op.Service == "rds" && op.Protocol == ProtocolQuery
	isEKSCluster := op.Service == "eks" && (op.Action == "DescribeCluster" || op.Action == "CreateCluster")
	isEKSDelete := op.Service == "eks" && op.Action == "DeleteCluster"
	failed := failedFrom(ctx)
	if !isRDS && !isEKSCluster && !isEKSDelete && len(failed) == 0 {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	switch {
	case len(failed) > 0 && resp.StatusCode == http.StatusOK:
		if body, err = addDeleteErrors(body, failed); err != nil {
			return err
		}
	case isEKSCluster && resp.StatusCode == http.StatusOK:
		body = p.addClusterVpcID(ctx, resp.Request, body)
	case isEKSDelete && resp.StatusCode == http.StatusOK:
		var doc struct {
			Cluster struct {
				Arn string `json:"arn"`
			} `json:"cluster"`
		}
		if json.Unmarshal(body, &doc) == nil {
			p.eks.forgetCluster(doc.Cluster.Arn)
		}
	case isRDS:
		dbCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		body, err = p.rds.rdsAfterForward(dbCtx, op, resp.StatusCode, body)
		if err != nil {
			p.log.Error("rds data plane", "operation", op.String(), "err", err)
			resp.StatusCode = http.StatusInternalServerError
			body = []byte("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>" +
				xmlText("local stack: "+err.Error()) + "</Message></Error></ErrorResponse>")
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}
