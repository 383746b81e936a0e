package proxy

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// A GetSecretValue naming neither a version nor a stage asks for AWSCURRENT; one naming either, and every other
// operation, is forwarded as it came.
func TestCurrentStage(t *testing.T) {
	get := Operation{Service: "secretsmanager", Action: "GetSecretValue", Protocol: ProtocolJSON}
	for _, tc := range []struct {
		op         Operation
		body, want string
	}{
		{get, `{"SecretId":"s"}`, `{"SecretId":"s","VersionStage":"AWSCURRENT"}`},
		{get, `{"SecretId":"s","VersionStage":"AWSPENDING"}`, `{"SecretId":"s","VersionStage":"AWSPENDING"}`},
		{get, `{"SecretId":"s","VersionId":"v1"}`, `{"SecretId":"s","VersionId":"v1"}`},
		{get, `not json`, `not json`},
		{Operation{Service: "secretsmanager", Action: "DescribeSecret"}, `{"SecretId":"s"}`, `{"SecretId":"s"}`},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		if err := currentStage(r, tc.op); err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r.Body)
		if string(got) != tc.want || (string(got) != tc.body && r.ContentLength != int64(len(got))) {
			t.Errorf("%s %s: forwarded %s (length %d), want %s", tc.op, tc.body, got, r.ContentLength, tc.want)
		}
	}
}
