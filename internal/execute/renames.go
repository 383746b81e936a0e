package execute

import (
	"github.com/kfaws/kfaws/internal/plan"
	"github.com/kfaws/kfaws/internal/state"
)

// recordRenames brings the state's records in line with the plan's view of renamed resources before anything
// runs: the record of a resource kfaws created under a name the configuration no longer gives moves to its
// orphan key (so the new resource's record does not overwrite it, and kfaws down still finds it); the orphan
// record of a resource the configuration names again moves back, or is dropped when the plan found that
// resource no longer this installation's; and the records the plan found stale are dropped.
func (e *Executor) recordRenames() error {
	p := e.Plan
	return e.State.Update(func(st *state.State) {
		for _, k := range p.Forget {
			delete(st.Resources, k)
		}
		for _, r := range p.Resources {
			if r.Action != plan.Orphan {
				continue
			}
			key, _ := plan.SplitKey(r.Key)
			if key == r.Key {
				continue // an orphan kept under its own key (a pod identity association, a gone profile's role)
			}
			if rec, ok := st.Resources[key]; ok && rec.ID == r.Name {
				st.Resources[r.Key] = rec
				delete(st.Resources, key)
			}
		}
		for _, r := range p.Resources {
			orphan := plan.OrphanKey(r.Key, r.Name)
			rec, ok := st.Resources[orphan]
			if r.Action == plan.Orphan || !ok {
				continue
			}
			delete(st.Resources, orphan)
			if r.Owned {
				// Any owned record the key held moved to its own orphan key above.
				st.Resources[r.Key] = rec
			}
		}
	})
}
