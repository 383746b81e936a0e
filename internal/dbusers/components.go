// Package dbusers gives each Kubeflow component that talks to MySQL a user of its own on the RDS instance,
// granted only its own database, so a compromised component cannot read the others' data. It holds the list of
// components, the names kfaws gives their users and secrets, and the statements that create and check them.
package dbusers

import (
	"strings"

	"github.com/kfaws/kfaws/internal/kubeflow"
)

// Component is one database client among Kubeflow's workloads.
type Component struct {
	// ID names the component in secret names and plan keys ("kfp-api").
	ID string
	// Workload is the Deployment that logs in.
	Workload string
	// What says what the component is, for messages.
	What string
	// NativePassword is set for MLMD, whose MySQL client logs in only with mysql_native_password
	// (ml-metadata v1.14.0 ml_metadata/metadata_store/mysql_metadata_source.cc sets MYSQL_DEFAULT_AUTH).
	NativePassword bool
	// database is the component's own database; "" for Katib, which uses the RDS secret's database.
	database string
}

// The components, in the order plans list them.
var (
	KFPAPI = Component{ID: "kfp-api", Workload: kubeflow.APIServer, What: "KFP API server", database: kubeflow.DefaultPipelineDB}
	Cache  = Component{ID: "kfp-cache", Workload: kubeflow.CacheServer, What: "KFP cache server", database: kubeflow.DefaultCacheDB}
	MLMD   = Component{ID: "mlmd", Workload: kubeflow.MetadataGRPC, What: "ML Metadata (MLMD) server", database: kubeflow.DefaultMetadataDB, NativePassword: true}
	Katib  = Component{ID: "katib", Workload: kubeflow.KatibDBManager, What: "Katib db-manager"}
)

// All are every component with a user of its own.
var All = []Component{KFPAPI, Cache, MLMD, Katib}

// Database is the database the component owns: KFP's are the names pipeline-install-config ships (pipelineDb,
// cacheDb, mlmdDb; base/installs/generic/pipeline-install-config.yaml), Katib's is the RDS secret's database
// (rds.databaseName), which kfaws wires into the db-manager.
func (c Component) Database(katibDB string) string {
	if c.database == "" {
		return katibDB
	}
	return c.database
}

// UserName is the MySQL user of the component: the master user's name with the component's, so installations
// sharing one server (and tests sharing one MariaDB) never meet on a name. RDS limits master user names to 16
// characters, so the result stays under MySQL's 32.
func (c Component) UserName(masterUser string) string {
	return masterUser + "_" + strings.ReplaceAll(c.ID, "-", "_")
}

// SecretName is the Secrets Manager secret holding the component's credentials, named after the RDS secret.
func (c Component) SecretName(rdsSecret string) string { return rdsSecret + "-" + c.ID }

// KubeSecret is the Kubernetes Secret in the kubeflow namespace that the secrets sync fills from SecretName.
func (c Component) KubeSecret() string { return "kfaws-mysql-" + c.ID }

// ProviderClass is the SecretProviderClass that syncs the component's secret.
func (c Component) ProviderClass() string { return kubeflow.RDSProviderClass + "-" + c.ID }

// ByID finds a component by its ID.
func ByID(id string) (Component, bool) {
	for _, c := range All {
		if c.ID == id {
			return c, true
		}
	}
	return Component{}, false
}
