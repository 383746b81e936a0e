package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// currentStage makes a GetSecretValue that names neither a version nor a stage ask for AWSCURRENT, as Secrets
// Manager reads such a request. moto 5.2.1 answers it with the version it last made current itself
// (PutSecretValue, CreateSecret) and does not follow UpdateSecretVersionStage moving AWSCURRENT, so after a
// rotation it would hand out the old password; asked for the stage, it finds the version that carries it.
func currentStage(r *http.Request, op Operation) error {
	if op.Service != "secretsmanager" || op.Action != "GetSecretValue" || r.Body == nil {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in map[string]any
	if json.Unmarshal(body, &in) != nil {
		return nil // moto answers what it cannot read
	}
	if _, ok := in["VersionId"]; ok {
		return nil
	}
	if _, ok := in["VersionStage"]; ok {
		return nil
	}
	in["VersionStage"] = "AWSCURRENT"
	if body, err = json.Marshal(in); err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}
