package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultEKSDelay is how long an emulated add-on reports CREATING, UPDATING
// or DELETING unless SetEKSDelay says otherwise: short, but long enough that
// code which does not wait for ACTIVE is caught.
const DefaultEKSDelay = time.Second

// eksPlane emulates the EKS add-on and pod identity association APIs, which
// moto lacks. Its state hangs off clusters that moto knows, keyed by the
// cluster ARN moto reports, so it is per account, region and cluster.
type eksPlane struct {
	upstream *url.URL
	log      *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	delay    time.Duration
	catalog  []AddonInfo
	clusters map[string]*eksCluster
}

// eksCluster is the proxy's state of one moto cluster.
type eksCluster struct {
	arn, name, version, status string
	addons                     map[string]*addon
	associations               map[string]*association // by association ID
	// leftovers are add-ons deleted with preserve: their objects stay on the
	// cluster, and a new add-on of that name conflicts with them.
	leftovers map[string]bool
}

func newEKSPlane(upstream *url.URL, log *slog.Logger) *eksPlane {
	catalog, _ := normalizeCatalog(BuiltinAddonCatalog())
	return &eksPlane{upstream: upstream, log: log, now: time.Now, delay: DefaultEKSDelay,
		catalog: catalog, clusters: map[string]*eksCluster{}}
}

func (e *eksPlane) setDelay(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delay = d
}

func (e *eksPlane) setCatalog(c []AddonInfo) error {
	norm, err := normalizeCatalog(c)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.catalog = norm
	return nil
}

func (e *eksPlane) getCatalog() []AddonInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.catalog
}

// forgetCluster drops the add-ons and associations of a deleted cluster, as
// EKS deletes them with it.
func (e *eksPlane) forgetCluster(arn string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.clusters, arn)
}

// serves reports whether the plane answers rt; moto answers the rest.
func (e *eksPlane) serves(rt eksRoute, q url.Values) bool {
	switch rt.action {
	case "DescribeAddonVersions", "CreateAddon", "ListAddons", "DescribeAddon", "UpdateAddon", "DeleteAddon",
		"CreatePodIdentityAssociation", "ListPodIdentityAssociations", "DescribePodIdentityAssociation",
		"UpdatePodIdentityAssociation", "DeletePodIdentityAssociation":
		return true
	case "DescribeUpdate", "ListUpdates":
		return q.Get("addonName") != ""
	case "TagResource", "UntagResource", "ListTagsForResource":
		_, kind, _, ok := splitEKSARN(rt.resourceARN)
		return ok && (kind == "addon" || kind == "podidentityassociation")
	}
	return false
}

// eksRequest is one request to the plane.
type eksRequest struct {
	orig  *http.Request
	route eksRoute
	query url.Values
	body  []byte
}

// decode reads the JSON body into v; an empty body is an empty object.
func (r *eksRequest) decode(v any) error {
	if len(strings.TrimSpace(string(r.body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return invalidParameter(fmt.Sprintf("request body is not valid JSON: %v", err), r.route.cluster, r.route.addon)
	}
	return nil
}

// ServeHTTP answers one request of an operation the plane serves.
func (e *eksPlane) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &eksRequest{orig: r, route: parseEKSRoute(r.Method, r.URL.EscapedPath()), query: r.URL.Query()}
	var err error
	if r.Body != nil {
		req.body, err = io.ReadAll(r.Body)
	}
	var out any
	if err == nil {
		out, err = e.handle(r.Context(), req)
	}
	if err != nil {
		e.log.Info("eks emulation refused a request", "operation", "eks:"+req.route.action, "err", err)
	}
	writeEKS(w, out, err)
}

func (e *eksPlane) handle(ctx context.Context, req *eksRequest) (any, error) {
	switch req.route.action {
	case "DescribeAddonVersions":
		return e.describeAddonVersions(req)
	case "TagResource", "UntagResource", "ListTagsForResource":
		return e.tagOperation(req)
	}
	cl, err := e.cluster(ctx, req)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.settle(cl, now)
	handlers := map[string]func(*eksCluster, *eksRequest, time.Time) (any, error){
		"CreateAddon": e.createAddon, "DescribeAddon": e.describeAddon, "ListAddons": e.listAddons,
		"UpdateAddon": e.updateAddon, "DeleteAddon": e.deleteAddon,
		"DescribeUpdate": e.describeAddonUpdate, "ListUpdates": e.listAddonUpdates,
		"CreatePodIdentityAssociation": e.createAssociation, "DescribePodIdentityAssociation": e.describeAssociation,
		"ListPodIdentityAssociations": e.listAssociations, "UpdatePodIdentityAssociation": e.updateAssociation,
		"DeletePodIdentityAssociation": e.deleteAssociation,
	}
	h, ok := handlers[req.route.action]
	if !ok {
		return nil, fmt.Errorf("no emulation of eks:%s", req.route.action)
	}
	return h(cl, req, now)
}

// settle finishes deletions whose delay has passed.
func (e *eksPlane) settle(cl *eksCluster, now time.Time) {
	for name, a := range cl.addons {
		if a.phase != phaseDeleting || !now.After(a.phaseEnd) {
			continue
		}
		for _, id := range a.associations {
			delete(cl.associations, id)
		}
		delete(cl.addons, name)
		if a.preserve {
			cl.leftovers[name] = true
		}
	}
}

// motoCluster is what the plane needs from moto's DescribeCluster.
type motoCluster struct {
	Arn     string `json:"arn"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Status  string `json:"status"`
}

// cluster asks moto for the request's cluster, in the request's region
// (moto reads it from the credential scope), and returns its state.
func (e *eksPlane) cluster(ctx context.Context, req *eksRequest) (*eksCluster, error) {
	name := req.route.cluster
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, e.upstream.String()+"/clusters/"+url.PathEscape(name), nil)
	if err != nil {
		return nil, err
	}
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if v := req.orig.Header.Get(h); v != "" {
			r.Header.Set(h, v)
		}
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return nil, fmt.Errorf("local stack: asking moto for cluster %q: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("local stack: reading moto's answer for cluster %q: %w", name, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, &eksError{status: http.StatusNotFound, code: "ResourceNotFoundException",
			message: fmt.Sprintf("No cluster found for name: %s.", name), cluster: name}
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("local stack: moto answered %d for cluster %q: %s", resp.StatusCode, name, body)
	}
	var doc struct {
		Cluster motoCluster `json:"cluster"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.Cluster.Arn == "" {
		return nil, fmt.Errorf("local stack: moto's cluster %q: no ARN in %s", name, body)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	cl := e.clusters[doc.Cluster.Arn]
	if cl == nil {
		cl = &eksCluster{arn: doc.Cluster.Arn, name: name, addons: map[string]*addon{},
			associations: map[string]*association{}, leftovers: map[string]bool{}}
		e.clusters[cl.arn] = cl
	}
	cl.version, cl.status = doc.Cluster.Version, doc.Cluster.Status
	return cl, nil
}

// requireActive refuses changes to a cluster that is not ACTIVE, as EKS does.
func (cl *eksCluster) requireActive() error {
	if cl.status == "" || cl.status == "ACTIVE" {
		return nil
	}
	return &eksError{status: http.StatusBadRequest, code: "InvalidRequestException",
		message: fmt.Sprintf("Cluster '%s' is not in ACTIVE status", cl.name), cluster: cl.name}
}

// resourceARN builds the ARN of a resource of cl: same partition, region and
// account as the cluster's ARN, which moto derives from the request.
func (cl *eksCluster) resourceARN(kind string, parts ...string) string {
	prefix, _, _ := strings.Cut(cl.arn, ":cluster/")
	return prefix + ":" + kind + "/" + strings.Join(append([]string{cl.name}, parts...), "/")
}

// splitEKSARN splits "arn:P:eks:R:A:kind/cluster/..." into the cluster's
// ARN, the kind and the rest after the cluster name.
func splitEKSARN(arn string) (clusterARN, kind string, rest []string, ok bool) {
	fields := strings.SplitN(arn, ":", 6)
	if len(fields) != 6 || fields[0] != "arn" || fields[2] != "eks" {
		return "", "", nil, false
	}
	path := strings.Split(fields[5], "/")
	if len(path) < 2 {
		return "", "", nil, false
	}
	return strings.Join(fields[:5], ":") + ":cluster/" + path[1], path[0], path[2:], true
}

// eksError is an EKS error response: the type goes in X-Amzn-ErrorType, the
// rest in the JSON body the SDK deserializes into the typed exception.
type eksError struct {
	status  int
	code    string
	message string
	cluster string
	addon   string
}

func (e *eksError) Error() string { return e.code + ": " + e.message }

func invalidParameter(msg, cluster, addon string) error {
	return &eksError{status: http.StatusBadRequest, code: "InvalidParameterException", message: msg, cluster: cluster, addon: addon}
}

func invalidRequest(msg, cluster, addon string) error {
	return &eksError{status: http.StatusBadRequest, code: "InvalidRequestException", message: msg, cluster: cluster, addon: addon}
}

func resourceInUse(msg, cluster, addon string) error {
	return &eksError{status: http.StatusConflict, code: "ResourceInUseException", message: msg, cluster: cluster, addon: addon}
}

func resourceNotFound(msg, cluster, addon string) error {
	return &eksError{status: http.StatusNotFound, code: "ResourceNotFoundException", message: msg, cluster: cluster, addon: addon}
}

// writeEKS answers with out as JSON, or with err as an EKS error; an error
// that is not an *eksError is the local stack's own failure (ServerException).
func writeEKS(w http.ResponseWriter, out any, err error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-RequestId", "localstack-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err == nil {
		b, merr := json.Marshal(out)
		if merr == nil {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(b)
			return
		}
		err = merr
	}
	var ee *eksError
	if !errors.As(err, &ee) {
		ee = &eksError{status: http.StatusInternalServerError, code: "ServerException", message: err.Error()}
	}
	body := map[string]string{"message": ee.message}
	if ee.cluster != "" {
		body["clusterName"] = ee.cluster
	}
	if ee.addon != "" {
		body["addonName"] = ee.addon
	}
	b, _ := json.Marshal(body)
	h.Set("X-Amzn-ErrorType", ee.code)
	w.WriteHeader(ee.status)
	_, _ = w.Write(b)
}

// epoch is a timestamp as EKS's REST-JSON sends it: epoch seconds with a
// fraction, which the SDK reads as its default timestamp format.
type epoch time.Time

func (t epoch) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(time.Time(t).UnixMilli())/1000, 'f', 3, 64)), nil
}
