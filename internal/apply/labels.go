package apply

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kfaws/kfaws/internal/ownership"
)

// Labels kfaws puts on every object it applies (their home is package
// ownership); removal selects on them, so it deletes exactly what an
// installation applied and nothing else.
const (
	LabelManagedBy    = ownership.LabelManagedBy
	ManagedByValue    = ownership.ManagedByValue
	LabelInstallation = ownership.LabelInstallation
	// FieldManager is the server-side apply field manager of every kfaws write.
	FieldManager = "kfaws"
)

// Selector returns the label selector matching an installation's objects.
func Selector(installation string) string {
	return fmt.Sprintf("%s=%s,%s=%s", LabelManagedBy, ManagedByValue, LabelInstallation, installation)
}

// CheckInstallation rejects installation names that are not valid label values.
func CheckInstallation(name string) error {
	if name == "" {
		return fmt.Errorf("installation name is empty; set it (the config's metadata name)")
	}
	if errs := validation.IsValidLabelValue(name); len(errs) > 0 {
		return fmt.Errorf("installation name %q is not a valid label value: %s", name, errs[0])
	}
	return nil
}

// owned reports whether an object carries an installation's labels.
func owned(u *unstructured.Unstructured, installation string) bool {
	l := u.GetLabels()
	return l[LabelManagedBy] == ManagedByValue && l[LabelInstallation] == installation
}

// prepare returns the object to send: a copy with kfaws's labels and without
// the server-owned metadata a manifest may carry.
func prepare(u *unstructured.Unstructured, installation string) *unstructured.Unstructured {
	c := u.DeepCopy()
	l := c.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[LabelManagedBy] = ManagedByValue
	l[LabelInstallation] = installation
	c.SetLabels(l)
	c.SetResourceVersion("")
	c.SetUID("")
	c.SetManagedFields(nil)
	unstructured.RemoveNestedField(c.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(c.Object, "status")
	return c
}
