package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Protocol is the wire protocol of an AWS request; it decides the shape of
// the errors the proxy injects.
type Protocol string

// The AWS protocols the proxy tells apart.
const (
	ProtocolQuery    Protocol = "query"     // RDS, IAM, STS: form body, XML errors
	ProtocolEC2      Protocol = "ec2query"  // EC2: form body, its own XML error envelope
	ProtocolJSON     Protocol = "json"      // Secrets Manager and other X-Amz-Target services
	ProtocolRESTJSON Protocol = "rest-json" // EKS
	ProtocolRESTXML  Protocol = "rest-xml"  // S3
)

// Operation names one AWS API call as "service:Action", e.g. "rds:CreateDBInstance".
type Operation struct {
	Service  string
	Action   string
	Protocol Protocol
	// Form holds the parsed form body of query-protocol requests.
	Form url.Values
	// JSONVersion is the request's awsJson version ("1.0" or "1.1").
	JSONVersion string
}

// String returns "service:Action".
func (o Operation) String() string { return o.Service + ":" + o.Action }

// identify works out which operation r calls. It reads the body of form
// requests and puts an identical reader back, so the request can still be
// forwarded.
func identify(r *http.Request) (Operation, error) {
	op := Operation{Service: signingService(r)}
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		op.Protocol = ProtocolJSON
		target := r.Header.Get("X-Amz-Target")
		op.Action = target[strings.LastIndex(target, ".")+1:]
		op.JSONVersion = strings.TrimPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-")
		if op.JSONVersion != "1.0" {
			op.JSONVersion = "1.1"
		}
		if op.Service == "" {
			op.Service = strings.ToLower(strings.SplitN(target, "_", 2)[0])
		}
	case op.Service == "s3":
		op.Protocol = ProtocolRESTXML
		op.Action = s3Action(r)
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.URL.Query().Has("Action"):
		form, err := readForm(r)
		if err != nil {
			return op, err
		}
		op.Form = form
		op.Action = form.Get("Action")
		op.Protocol = ProtocolQuery
		if op.Service == "ec2" {
			op.Protocol = ProtocolEC2
		}
	default:
		op.Protocol = ProtocolRESTJSON
		if op.Service == "eks" {
			op.Action = parseEKSRoute(r.Method, r.URL.EscapedPath()).action
		}
	}
	return op, nil
}

// signingService reads the service from the SigV4 credential scope
// ".../DATE/REGION/SERVICE/aws4_request", found in the Authorization header
// or, for presigned URLs, in X-Amz-Credential.
func signingService(r *http.Request) string {
	scope := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, after, ok := strings.Cut(auth, "Credential=")
		if ok {
			scope, _, _ = strings.Cut(after, ",")
		}
	}
	parts := strings.Split(strings.TrimSpace(scope), "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[len(parts)-2]
}

// readForm parses a query-protocol request's parameters from the URL and the
// form body, restoring the body for the upstream.
func readForm(r *http.Request) (url.Values, error) {
	form := r.URL.Query()
	if r.Body == nil {
		return form, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	parsed, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k, v := range parsed {
		form[k] = append(form[k], v...)
	}
	return form, nil
}

// s3SubResources maps a bucket sub-resource query parameter to the noun of
// its operations (Put<noun>, Get<noun>, Delete<noun>).
var s3SubResources = []struct{ param, noun string }{
	{"encryption", "BucketEncryption"},
	{"publicAccessBlock", "PublicAccessBlock"},
	{"tagging", "BucketTagging"},
	{"policy", "BucketPolicy"},
	{"versioning", "BucketVersioning"},
	{"ownershipControls", "BucketOwnershipControls"},
	{"lifecycle", "BucketLifecycleConfiguration"},
	{"acl", "BucketAcl"},
	{"cors", "BucketCors"},
	{"location", "BucketLocation"},
}

// s3ObjectAction names the operation of a request on an object: multipart uploads and copies are told apart by
// their query parameters and the copy-source header, as S3 does, so a fault or a recording can target UploadPart
// without PutObject.
func s3ObjectAction(r *http.Request, q url.Values) string {
	copying := r.Header.Get("X-Amz-Copy-Source") != ""
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPut && q.Has("uploadId") && copying:
		return "UploadPartCopy"
	case r.Method == http.MethodPut && q.Has("uploadId"):
		return "UploadPart"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		return "AbortMultipartUpload"
	case r.Method == http.MethodGet && q.Has("uploadId"):
		return "ListParts"
	case r.Method == http.MethodPut && copying:
		return "CopyObject"
	}
	return map[string]string{http.MethodPut: "PutObject", http.MethodGet: "GetObject",
		http.MethodHead: "HeadObject", http.MethodDelete: "DeleteObject"}[r.Method]
}

// s3Action names the S3 operation of a path-style request.
func s3Action(r *http.Request) string {
	path := strings.Trim(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	method := map[string]string{http.MethodPut: "Put", http.MethodGet: "Get", http.MethodDelete: "Delete"}[r.Method]
	switch {
	case bucket == "":
		return "ListBuckets"
	case key != "":
		return s3ObjectAction(r, q)
	case r.Method == http.MethodGet && q.Has("uploads"):
		return "ListMultipartUploads"
	}
	for _, sr := range s3SubResources {
		if q.Has(sr.param) && method != "" {
			return method + sr.noun
		}
	}
	switch r.Method {
	case http.MethodPut:
		return "CreateBucket"
	case http.MethodHead:
		return "HeadBucket"
	case http.MethodDelete:
		return "DeleteBucket"
	case http.MethodPost:
		if q.Has("delete") {
			return "DeleteObjects"
		}
	case http.MethodGet:
		if q.Get("list-type") == "2" {
			return "ListObjectsV2"
		}
		if q.Has("versions") {
			return "ListObjectVersions"
		}
		return "ListObjects"
	}
	return ""
}
