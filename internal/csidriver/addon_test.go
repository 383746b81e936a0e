package csidriver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eks"

	"github.com/kfaws/kfaws/internal/apply"
)

// eksAddons serves the four EKS add-on operations over EKS's REST-JSON
// protocol on 127.0.0.1, because moto (the AWS emulator the other tests use)
// has no add-on API. The real aws-sdk-go-v2 EKS client talks to it.
type eksAddons struct {
	mu       sync.Mutex
	versions map[string][]string // Kubernetes version -> add-on versions, the first is the default
	addon    map[string]any      // the installed add-on, nil when absent
	calls    []string
}

func (e *eksAddons) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, r.Method+" "+r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/addons/supported-versions":
		k8s := r.URL.Query().Get("kubernetesVersion")
		var vs []any
		for i, v := range e.versions[k8s] {
			vs = append(vs, map[string]any{"addonVersion": v,
				"compatibilities": []any{map[string]any{"clusterVersion": k8s, "defaultVersion": i == 0}}})
		}
		var addons []any
		if len(vs) > 0 {
			addons = append(addons, map[string]any{"addonName": AddonName, "addonVersions": vs})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"addons": addons})
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/addons/"+AddonName):
		if e.addon == nil {
			w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]any{"message": "No addon: " + AddonName + " found in cluster"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"addon": e.addon})
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/addons"):
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		in["status"] = "ACTIVE"
		e.addon = in
		_ = json.NewEncoder(w).Encode(map[string]any{"addon": in})
	case r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/addons/"+AddonName):
		deleted := e.addon
		e.addon = nil
		_ = json.NewEncoder(w).Encode(map[string]any{"addon": deleted})
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/update"):
		var in map[string]any
		_ = json.NewDecoder(r.Body).Decode(&in)
		e.addon["configurationValues"] = in["configurationValues"]
		_ = json.NewEncoder(w).Encode(map[string]any{"update": map[string]any{"id": "u1", "status": "InProgress"}})
	default:
		http.Error(w, "not emulated: "+r.Method+" "+r.URL.Path, http.StatusNotImplemented)
	}
}

func eksClient(t *testing.T, h http.Handler) *eks.Client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return eks.New(eks.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test", ""),
	})
}

func TestAddonPathCreatesWithSecretSyncingOnce(t *testing.T) {
	c := env.Client(t)
	v, err := c.Discovery.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	k8s := v.Major + "." + trimPlus(v.Minor)
	emu := &eksAddons{versions: map[string][]string{k8s: {"v2.1.0-eksbuild.1", "v2.0.0-eksbuild.2"}}}
	in := &Installer{Client: c, Installation: "addon", EKS: eksClient(t, emu), ClusterName: "demo", Wait: true, Timeout: time.Minute}
	ctx := context.Background()

	res, err := in.Run(ctx)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	if res.Method != Addon || res.Addon != "created" || res.AddonVersion != "v2.1.0-eksbuild.1" {
		t.Errorf("install = %+v, want the default add-on version created", res)
	}
	if cfg, _ := emu.addon["configurationValues"].(string); !syncEnabled(cfg) {
		t.Errorf("add-on configuration %q does not turn secret syncing on", cfg)
	}
	if tags, _ := emu.addon["tags"].(map[string]any); tags[apply.LabelInstallation] != "addon" {
		t.Errorf("add-on tags = %v, want the installation", tags)
	}
	res, err = in.Run(ctx)
	if err != nil || res.Addon != "unchanged" {
		t.Errorf("second run = %+v, %v; want unchanged", res, err)
	}
	if left, _ := apply.Labelled(ctx, c, "addon"); len(left) != 0 {
		t.Errorf("the add-on path applied %d objects of its own", len(left))
	}

	// An add-on someone installed without syncing gets it turned on, keeping
	// their settings.
	emu.addon["configurationValues"] = `{"secrets-store-csi-driver":{"enableSecretRotation":true}}`
	res, err = in.Run(ctx)
	if err != nil || res.Addon != "updated" {
		t.Fatalf("run on an add-on without syncing = %+v, %v; want updated", res, err)
	}
	cfg, _ := emu.addon["configurationValues"].(string)
	if !syncEnabled(cfg) || !strings.Contains(cfg, `"enableSecretRotation":true`) {
		t.Errorf("updated configuration = %s, want syncing on and rotation kept", cfg)
	}

	// Removal deletes only an add-on this installation created.
	if got, err := RemoveAddon(ctx, in.EKS, "demo", "someone-else", time.Minute); err != nil || got != "not created by kfaws" {
		t.Errorf("RemoveAddon for another installation = %q, %v", got, err)
	}
	if got, err := RemoveAddon(ctx, in.EKS, "demo", "addon", time.Minute); err != nil || got != "deleted" || emu.addon != nil {
		t.Errorf("RemoveAddon = %q, %v; add-on now %v", got, err, emu.addon)
	}
	if got, err := RemoveAddon(ctx, in.EKS, "demo", "addon", time.Minute); err != nil || got != "absent" {
		t.Errorf("second RemoveAddon = %q, %v; want absent", got, err)
	}
}

func TestAutoFallsBackToManifestsWhenEKSOffersNoAddon(t *testing.T) {
	c := env.Client(t)
	emu := &eksAddons{versions: map[string][]string{"1.20": {"v1.0.0-eksbuild.1"}}}
	progress := &strings.Builder{}
	in := &Installer{Client: c, Installation: "fallback", EKS: eksClient(t, emu), ClusterName: "demo", Progress: progress}
	ctx := context.Background()
	res, err := in.Run(ctx)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	if res.Method != Manifests || !strings.Contains(progress.String(), "EKS offers no") {
		t.Errorf("method = %s, progress %q; want manifests after EKS offered nothing", res.Method, progress)
	}
	if _, err := (&apply.Remover{Client: c, Installation: "fallback", Timeout: time.Minute}).Remove(ctx); err != nil {
		t.Fatal(err)
	}
}
