package state

import (
	"reflect"
	"slices"
	"time"
)

// Migration records what kfaws migrate did, so a killed migration resumes: the writers it stopped (to start them
// again whatever happened), and what it has copied and verified. It holds names only, never data or credentials.
type Migration struct {
	StartedAt time.Time `json:"startedAt"`
	// FinishedAt is set when every part was copied and verified.
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// Writers are the Deployments migrate scaled to zero with the replicas they had; empty once they run again.
	Writers []MigrationWriter `json:"writers,omitempty"`
	// Databases are the destination databases this migration writes; a table in them is the migration's only
	// when Tables lists it.
	Databases []string `json:"databases,omitempty"`
	// Tables are the destination tables ("database.table") copied and verified.
	Tables []string `json:"tables,omitempty"`
	// Bucket is the destination bucket; the objects this migration wrote carry its marker.
	Bucket string `json:"bucket,omitempty"`
	// ObjectsDone is true once every object was copied and verified.
	ObjectsDone bool `json:"objectsDone,omitempty"`
}

// MigrationWriter is a Deployment in the kubeflow namespace and its replicas before migrate stopped it.
type MigrationWriter struct {
	Name     string `json:"name"`
	Replicas int32  `json:"replicas"`
}

// HasTable reports whether the migration recorded db.table as copied and verified.
func (m *Migration) HasTable(db, table string) bool {
	return m != nil && slices.Contains(m.Tables, db+"."+table)
}

func (m *Migration) clone() *Migration {
	if m == nil {
		return nil
	}
	c := *m
	c.Writers = slices.Clone(m.Writers)
	c.Databases = slices.Clone(m.Databases)
	c.Tables = slices.Clone(m.Tables)
	return &c
}

// mergeMigration keeps theirs unless this run changed the record.
func mergeMigration(base, mine, theirs *Migration) *Migration {
	if reflect.DeepEqual(base, mine) {
		return theirs.clone()
	}
	return mine.clone()
}
