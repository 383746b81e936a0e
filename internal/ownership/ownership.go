// Package ownership is the one home of how kfaws marks what it created and what it only patches: the labels
// and annotations on Kubernetes objects (and, as the restructure goes on, the tags on AWS resources), and the
// rule that decides whether something is kfaws's.
package ownership

// Labels kfaws puts on every Kubernetes object it creates; removal selects on them, so it deletes exactly what
// an installation applied and nothing else.
const (
	LabelManagedBy    = "app.kubernetes.io/managed-by"
	ManagedByValue    = "kfaws"
	LabelInstallation = "kfaws.dev/installation"
)

// PatchAnnotation marks, in a rendered stream, an object kfaws only patches: it belongs to another controller
// (Kubeflow's profile controller creates each profile's default-editor ServiceAccount), so apply sets only the
// fields the manifest has, once the object exists, without kfaws's labels, and removal never deletes it. The
// value says where the object comes from, for messages; apply strips the annotation before it sends the object.
const PatchAnnotation = "kfaws.dev/patch-of"
