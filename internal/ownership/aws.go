package ownership

// Observed is an existing AWS resource as kfaws sees it.
type Observed struct {
	// Name is the resource's name (or id, where it has no name).
	Name string
	// ARN is its ARN (a security group's id), "" when unknown.
	ARN string
	// Tag is its installation tag (TagInstallation), "" when it has none.
	Tag string
}

// Record is what an installation's state file says about a resource it created.
type Record struct {
	// ID is the name (or id) recorded; ARN the ARN (a security group's id), "" when it was not recorded.
	ID, ARN string
	// Owned is true when the installation created it.
	Owned bool
	// Adopted is true when the installation adopted it (kfaws adopt): it uses it, but did not create it.
	Adopted bool
}

// OwnsAWS reports whether installation owns an existing AWS resource. Its installation tag decides when it has
// one. An untagged resource (an interrupted run created it but did not get to tag it) is the installation's only
// when the state records this very resource as created by it: the same name and, where both are known, the same
// ARN. A record of another resource of the same kind, or of a resource of this name that was deleted and made
// again by someone else, counts for nothing.
func OwnsAWS(installation string, obs Observed, rec Record) bool {
	switch {
	case obs.Tag != "":
		return obs.Tag == installation
	case !rec.Owned || rec.ID == "" || rec.ID != obs.Name:
		return false
	}
	return rec.ARN == "" || obs.ARN == "" || rec.ARN == obs.ARN
}

// AdoptedAWS reports whether the state adopted this very resource: recorded as adopted under its name and, where
// both are known, its ARN. A resource with a kfaws installation tag is never adopted: its tag decides (OwnsAWS).
// Adoption is no ownership: OwnsAWS is false for an adopted resource.
func AdoptedAWS(obs Observed, rec Record) bool {
	if obs.Tag != "" || !rec.Adopted || rec.ID == "" || rec.ID != obs.Name {
		return false
	}
	return rec.ARN == "" || obs.ARN == "" || rec.ARN == obs.ARN
}
