package ownership

// Tags kfaws puts on every AWS resource it creates. A resource belongs to an installation when its installation
// tag carries that installation's name.
const (
	TagInstallation = "kfaws.dev/installation"
	TagManagedBy    = "kfaws.dev/managed-by"
	// TagComplete marks a secret whose value kfaws finished writing (the RDS secret gets the endpoint last).
	TagComplete = "kfaws.dev/complete"
)

// Tag is one AWS tag, independent of the SDK type each service wants.
type Tag struct{ Key, Value string }

// Tags are the ownership tags of everything installation creates in AWS. ManagedByValue is the same "kfaws" the
// Kubernetes label carries.
func Tags(installation string) []Tag {
	return []Tag{{TagInstallation, installation}, {TagManagedBy, ManagedByValue}}
}

// CompleteTag marks a secret whose value is written in full.
func CompleteTag() Tag { return Tag{TagComplete, "true"} }

// TaggedByAnother reports whether an AWS resource's installation tag names another kfaws installation.
func TaggedByAnother(installation, tag string) bool {
	return tag != "" && tag != installation
}
