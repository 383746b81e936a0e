package apply

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestStagedOrdersCRDsNamespacesObjectsWebhooks(t *testing.T) {
	objs, err := Decode(strings.NewReader(`
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: w}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: ns}
---
apiVersion: kubeflow.org/v1beta1
kind: Experiment
metadata: {name: e, namespace: ns}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa, namespace: ns}
---
apiVersion: v1
kind: Namespace
metadata: {name: ns}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: experiments.kubeflow.org}
`), "test")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, stage := range Staged(objs) {
		var names []string
		for _, u := range stage {
			names = append(names, u.GetKind())
		}
		got = append(got, strings.Join(names, ","))
	}
	want := []string{"CustomResourceDefinition", "Namespace", "ServiceAccount,Deployment,Experiment", "MutatingWebhookConfiguration"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stages = %q, want %q", got, want)
	}
}

func TestDecodeRejectsUnplaceableDocuments(t *testing.T) {
	tests := map[string]string{
		"no kind":       "apiVersion: v1\nmetadata: {name: x}\n",
		"no apiVersion": "kind: ConfigMap\nmetadata: {name: x}\n",
		"no name":       "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
		"generateName":  "apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n",
		"bad yaml":      "apiVersion: [\n",
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Decode(strings.NewReader("---\n"+doc), "in.yaml")
			if err == nil || !strings.Contains(err.Error(), "in.yaml document") {
				t.Errorf("error = %v, want one naming the document", err)
			}
		})
	}
}

func TestDecodeExpandsListsAndSkipsEmptyDocuments(t *testing.T) {
	objs, err := Decode(strings.NewReader(`# comment only
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
---
`), "in")
	if err != nil || len(objs) != 2 || objs[1].GetName() != "b" {
		t.Fatalf("Decode = %d objects, %v; want the two list items", len(objs), err)
	}
}

func TestTransientOnlyForRetryableErrors(t *testing.T) {
	gr := schema.GroupResource{Resource: "configmaps"}
	tests := []struct {
		err  error
		want bool
	}{
		{&meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "kubeflow.org", Kind: "Experiment"}}, true},
		{apierrors.NewInternalError(errors.New(`failed calling webhook "x": connection refused`)), true},
		{apierrors.NewServiceUnavailable("starting"), true},
		{apierrors.NewTooManyRequests("slow down", 1), true},
		{apierrors.NewForbidden(gr, "x", errors.New("no")), false},
		{apierrors.NewBadRequest("bad"), false},
		{apierrors.NewInvalid(schema.GroupKind{Kind: "Service"}, "x", nil), false},
		{apierrors.NewConflict(gr, "x", errors.New("owned")), false},
	}
	for _, tt := range tests {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// FuzzDecode feeds arbitrary input to the parser of user-supplied manifests:
// it must return objects or an error, never panic, and every object it
// returns must have what the API server needs to place it.
func FuzzDecode(f *testing.F) {
	f.Add("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: b}\n")
	f.Add("---\napiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Secret, metadata: {name: s}}]\n")
	f.Add("{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"x\"}}")
	f.Add("---\n---\n# only a comment\n")
	f.Fuzz(func(t *testing.T, in string) {
		objs, err := Decode(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		for _, u := range objs {
			if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
				t.Errorf("decoded an unplaceable object: %v", u.Object)
			}
		}
	})
}
