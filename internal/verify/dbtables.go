package verify

import "github.com/kfaws/kfaws/internal/kubeflow"

// Component is one of the programs that keep data in MySQL.
type Component struct {
	// Name is how the report names it: the Deployment that owns the database.
	Name string
	// Database is the database it uses.
	Database string
	// Tables are the tables it creates on start.
	Tables []string
	// CreatesDatabase is false for Katib, whose db-manager needs the database to exist before it starts.
	CreatesDatabase bool
}

// DBNames are the database names the manifests configure.
type DBNames struct {
	Pipeline, Cache, Metadata, Katib string
}

// DefaultDBNames are the names pipeline-install-config ships (pipelineDb, cacheDb, mlmdDb) and katib, the
// database kfaws creates on the instance and writes into the RDS secret.
func DefaultDBNames(katib string) DBNames {
	return DBNames{Pipeline: kubeflow.DefaultPipelineDB, Cache: kubeflow.DefaultCacheDB, Metadata: kubeflow.DefaultMetadataDB, Katib: katib}
}

// Components lists what each component creates, from the upstream sources (kfp@2.16.0:
// backend/src/apiserver/model and backend/src/cache/model, ml-metadata@v1.14.0:
// ml_metadata/util/metadata_source_query_config.cc, katib@v0.19.0:pkg/db/v1beta1/mysql): KFP 2.16's GORM
// models, the cache server's one model, MLMD 1.14's schema, Katib's one table. Tables a newer release adds
// (pipeline_tags in KFP 2.17) are not required.
func (n DBNames) Components() []Component {
	return []Component{
		{Name: "ml-pipeline", Database: n.Pipeline, CreatesDatabase: true, Tables: []string{
			"db_statuses", "default_experiments", "experiments", "jobs", "pipeline_versions", "pipelines",
			"resource_references", "run_details", "run_metrics", "tasks"}},
		{Name: "cache-server", Database: n.Cache, CreatesDatabase: true, Tables: []string{"execution_caches"}},
		{Name: "metadata-grpc-deployment", Database: n.Metadata, CreatesDatabase: true, Tables: []string{
			"Type", "Artifact", "ArtifactProperty", "Execution", "ExecutionProperty", "Context", "ContextProperty",
			"Event", "Association", "Attribution", "TypeProperty", "ParentType", "ParentContext", "EventPath", "MLMDEnv"}},
		{Name: "katib-db-manager", Database: n.Katib, Tables: []string{"observation_logs"}},
	}
}
