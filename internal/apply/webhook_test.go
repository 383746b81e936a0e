package apply

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kfaws/kfaws/internal/kube"
)

// flakyWebhook is an admission webhook on 127.0.0.1 that fails the next
// failNext calls with 503 (as a webhook whose pods are still starting does
// through its Service), then allows everything.
type flakyWebhook struct {
	mu       sync.Mutex
	calls    int
	failNext int
	failed   int
}

func (f *flakyWebhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var review map[string]any
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls++
	fail := f.failNext > 0
	if fail {
		f.failNext--
		f.failed++
	}
	f.mu.Unlock()
	if fail {
		http.Error(w, "webhook not ready", http.StatusServiceUnavailable)
		return
	}
	req, _ := review["request"].(map[string]any)
	review["response"] = map[string]any{"uid": req["uid"], "allowed": true}
	delete(review, "request")
	_ = json.NewEncoder(w).Encode(review)
}

func (f *flakyWebhook) state() (calls, failed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.failed
}

var configMapGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

func TestApplyRetriesTransientWebhookFailure(t *testing.T) {
	c := cluster(t)
	ctx := context.Background()
	hook := &flakyWebhook{}
	srv := httptest.NewTLSServer(hook)
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	// The webhook guards ConfigMaps labelled webhook-test=flaky, like a
	// cluster's policy webhook would; it is not part of the install.
	vwc := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
		"metadata": map[string]any{"name": "flaky-policy"},
		"webhooks": []any{map[string]any{
			"name": "flaky.policy.example", "admissionReviewVersions": []any{"v1"}, "sideEffects": "None",
			"failurePolicy": "Fail", "timeoutSeconds": int64(5),
			"clientConfig":   map[string]any{"url": srv.URL + "/validate", "caBundle": ca},
			"objectSelector": map[string]any{"matchLabels": map[string]any{"webhook-test": "flaky"}},
			"rules": []any{map[string]any{"apiGroups": []any{""}, "apiVersions": []any{"v1"},
				"operations": []any{"CREATE", "UPDATE"}, "resources": []any{"configmaps"}}},
		}},
	}}
	webhooks := c.Dynamic.Resource(validatingGVR)
	if _, err := webhooks.Apply(ctx, "flaky-policy", vwc, metav1.ApplyOptions{FieldManager: "cluster-setup"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = webhooks.Delete(ctx, "flaky-policy", metav1.DeleteOptions{}) }()
	waitWebhookActive(t, c, hook)

	objs := readObjects(t, "testdata/install.yaml", "webhook")
	for _, u := range objs {
		if u.GetKind() == "ConfigMap" {
			u.SetLabels(map[string]string{"webhook-test": "flaky"})
		}
	}
	hook.mu.Lock()
	hook.failNext = 3
	hook.mu.Unlock()
	res, err := newApplier(c, "webhook", &syncBuffer{}).Apply(ctx, objs)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	_, failed := hook.state()
	if failed != 3 || res.Retries < 1 {
		t.Errorf("webhook failed %d calls and apply retried %d objects; want 3 failures retried", failed, res.Retries)
	}
	if _, err := c.Dynamic.Resource(configMapGVR).Namespace("kf-webhook").Get(ctx, "pipeline-install-config", metav1.GetOptions{}); err != nil {
		t.Errorf("ConfigMap behind the flaky webhook was not applied: %v", err)
	}

	// A webhook that keeps failing is retried a bounded number of times,
	// then reported with the object and a hint.
	hook.mu.Lock()
	hook.failNext = 1 << 20
	hook.mu.Unlock()
	bounded := newApplier(c, "webhook-bounded", &syncBuffer{})
	bounded.Backoff = wait.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Steps: 3}
	stuck := readObjects(t, "testdata/install.yaml", "bounded")
	for _, u := range stuck {
		if u.GetKind() == "ConfigMap" {
			u.SetLabels(map[string]string{"webhook-test": "flaky"})
		}
	}
	_, err = bounded.Apply(ctx, stuck)
	if err == nil || !strings.Contains(err.Error(), "ConfigMap/kf-bounded/pipeline-install-config") ||
		!strings.Contains(err.Error(), "still failing after retries") {
		t.Errorf("apply behind a webhook that never recovers = %v, want the object named with a hint", err)
	}
	hook.mu.Lock()
	hook.failNext = 0
	hook.mu.Unlock()
}

// waitWebhookActive dry-runs guarded ConfigMaps until the apiserver calls the
// webhook, so the test does not race the apiserver's webhook registration.
func waitWebhookActive(t *testing.T, c *kube.Client, hook *flakyWebhook) {
	t.Helper()
	probe := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "probe", "namespace": "default", "labels": map[string]any{"webhook-test": "flaky"}},
	}}
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true,
		func(ctx context.Context) (bool, error) {
			_, _ = c.Dynamic.Resource(configMapGVR).Namespace("default").Create(ctx, probe,
				metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			calls, _ := hook.state()
			return calls > 0, nil
		})
	if err != nil {
		t.Fatalf("webhook never called: %v", err)
	}
}
