package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kube/kubetest"
)

const applyTestObjects = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.cli.kubeflow.example}
spec:
  group: cli.kubeflow.example
  scope: Namespaced
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: v1
kind: Namespace
metadata: {name: cli-test}
---
apiVersion: cli.kubeflow.example/v1
kind: Widget
metadata: {name: w, namespace: cli-test}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: pipeline-install-config, namespace: cli-test}
data: {dbHost: db.example}
`

// TestApplyCommandOnRealAPIServer runs "kfaws apply" through the root command
// against a real kube-apiserver: install with the CSI driver's manifests,
// re-apply without changes, a conflict with exit code 3, and --remove.
func TestApplyCommandOnRealAPIServer(t *testing.T) {
	var env kubetest.Env
	defer env.Stop()
	kubeconfig := env.Kubeconfig(t)
	file := filepath.Join(t.TempDir(), "objects.yaml")
	if err := os.WriteFile(file, []byte(applyTestObjects), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"apply", "--name", "clitest", "--kubeconfig", kubeconfig, "--csi-driver", "manifests", "--wait=false"}

	out, errOut, code := run(t, append(base, "--filename", file)...)
	if code != ExitOK {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"Widget/cli-test/w created", "ConfigMap/cli-test/pipeline-install-config created",
		"DaemonSet/kube-system/csi-secrets-store created", "CSIDriver/secrets-store.csi.k8s.io created"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "✓ pre-flight") || !strings.Contains(errOut, "0 transient retries") {
		t.Errorf("stderr lacks pre-flight or summary:\n%s", errOut)
	}

	out, errOut, code = run(t, append(base, "--filename", file)...)
	if code != ExitOK || strings.Contains(out, "created") || strings.Contains(out, "configured") {
		t.Errorf("re-apply: exit %d, want only unchanged objects:\n%s%s", code, out, errOut)
	}

	changed := strings.Replace(applyTestObjects, "db.example", "other.example", 1)
	if err := os.WriteFile(file, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, append(base, "--filename", file)...)
	if code != ExitOK || !strings.Contains(out, "ConfigMap/cli-test/pipeline-install-config configured") {
		t.Errorf("apply of a change: exit %d:\n%s", code, out)
	}

	// Another tool takes the field over; kfaws reports it and exits 3.
	c, err := kube.Load(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	force := true
	patch := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"pipeline-install-config","namespace":"cli-test"},"data":{"dbHost":"theirs"}}`)
	if _, err := c.Dynamic.Resource(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}).Namespace("cli-test").
		Patch(context.Background(), "pipeline-install-config", types.ApplyPatchType, patch, metav1.PatchOptions{FieldManager: "other-tool", Force: &force}); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = run(t, append(base, "--filename", file)...)
	if code != ExitConflict || !strings.Contains(errOut, `field ".data.dbHost"`) || !strings.Contains(errOut, "--force-conflicts") {
		t.Errorf("apply over another manager's field: exit %d, want %d naming the field:\n%s", code, ExitConflict, errOut)
	}
	if _, errOut, code = run(t, append(base, "--filename", file, "--force-conflicts")...); code != ExitOK {
		t.Errorf("apply --force-conflicts: exit %d\n%s", code, errOut)
	}

	_, errOut, code = run(t, "apply", "--name", "clitest", "--kubeconfig", kubeconfig)
	if code != ExitUsage || !strings.Contains(errOut, "--manifests DIR") {
		t.Errorf("apply without input: exit %d, %s", code, errOut)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env.FinalizeNamespaces(ctx, t) // no namespace controller in the test apiserver
	out, errOut, code = run(t, "apply", "--name", "clitest", "--kubeconfig", kubeconfig, "--remove", "--yes")
	if code != ExitOK || !strings.Contains(out, "Namespace/cli-test deleted") || !strings.Contains(out, "Widget/cli-test/w deleted") {
		t.Errorf("remove: exit %d\n%s%s", code, out, errOut)
	}
}
