package plan

import (
	"github.com/kfaws/kfaws/internal/observe"
	"github.com/kfaws/kfaws/internal/ownership"
)

// Adopted resources were created by another tool (the awslabs setup script) and recorded by kfaws adopt as this
// installation's to use. They are never owned: plan uses them as they are and plans no step on them, and a
// teardown keeps them unless told to delete them (DownOptions.DeleteAdopted).

// AdoptedDetail is the plan line of an adopted resource.
const AdoptedDetail = "adopted from the awslabs setup: used as is, never changed"

// adopted reports whether the state adopted the existing resource key observed under name.
func (b *builder) adopted(key, name string, p observe.Presence) bool {
	obs := ownership.Observed{Name: name, ARN: p.ARN, Tag: p.Installation}
	return p.Exists && ownership.AdoptedAWS(obs, b.recordOf(key, name))
}

// useAdopted makes r an adopted resource's line (exists, used as is) when the state adopted it, and reports
// whether it did.
func (b *builder) useAdopted(r *Resource, p observe.Presence) bool {
	if !b.adopted(r.Key, r.Name, p) {
		return false
	}
	r.Action, r.Owned, r.Adopted, r.Detail = Exists, false, true, AdoptedDetail
	return true
}
