// Package kubeflow is the one home of the names Kubeflow's manifests give the objects kfaws wires, removes and
// checks: render writes against them, verify and migrate look for them. The names are the releases' own
// (kubeflow/manifests and kubeflow/community-distribution, applications/pipeline/upstream and
// applications/katib/upstream, apps/ up to v1.9) unless marked as kfaws's.
package kubeflow

// Namespace is where KFP and Katib run on every release.
const Namespace = "kubeflow"

// DefaultProfile is the profile namespace of Kubeflow's example user (common/user-namespace).
const DefaultProfile = "kubeflow-user-example-com"

// ProfileLabel marks the namespaces KFP runs pipelines in (set by Kubeflow's profile controller).
const ProfileLabel = "pipelines.kubeflow.org/enabled"

// ProfileArtifacts is the prefix (with its trailing slash) under which pipelines of profile namespace ns keep
// their artifacts: Argo's keys and the v2 pipeline root. It is the layout of the SeaweedFS releases
// (manifests@v1.11.0:applications/pipeline/upstream/base/installs/multi-user/pipelines-profile-controller/sync.py),
// which kfaws renders on every release so that each profile's access can be confined to its own prefix.
func ProfileArtifacts(ns string) string { return "private-artifacts/" + ns + "/" }

// ProfilePipelineRoot is the v2 pipeline root of profile namespace ns in bucket, under its ProfileArtifacts.
func ProfilePipelineRoot(bucket, ns string) string {
	return "s3://" + bucket + "/" + ProfileArtifacts(ns) + "v2/artifacts"
}

// Service accounts that need AWS credentials.
const (
	// APIServerAccount runs KFP's API server (Deployment ml-pipeline).
	APIServerAccount = "ml-pipeline"
	// UIAccount runs KFP's UI (Deployment ml-pipeline-ui).
	UIAccount = "ml-pipeline-ui"
	// PipelineRunnerAccount runs pipelines in a profile namespace (multi-user
	// DEFAULTPIPELINERUNNERSERVICEACCOUNT), created by Kubeflow's profile controller.
	PipelineRunnerAccount = "default-editor"
	// SecretsSyncAccount is kfaws's: its pod mounts the SecretProviderClasses, so the CSI driver's AWS
	// provider reads Secrets Manager with its role (the name the awslabs guide used).
	SecretsSyncAccount = "kubeflow-secrets-manager-sa"
)

// Secrets KFP and Katib read.
const (
	// DBSecret holds the database user KFP's API server, cache server, MLMD and (wired by kfaws) Katib use.
	DBSecret = "mysql-secret"
	// ObjectStoreSecret holds the object store's keys (accesskey, secretkey), in kubeflow and each profile.
	ObjectStoreSecret = "mlpipeline-minio-artifact"
)

// ConfigMaps KFP reads.
const (
	InstallConfig            = "pipeline-install-config"
	LauncherConfig           = "kfp-launcher"
	WorkflowControllerConfig = "workflow-controller-configmap"
	// ArtifactRepositories is Argo's per-namespace repository (profile namespaces, v1.11 on).
	ArtifactRepositories = "artifact-repositories"
	MetadataGRPCConfig   = "metadata-grpc-configmap"
)

// Workloads kfaws patches or checks.
const (
	APIServer           = "ml-pipeline"
	UI                  = "ml-pipeline-ui"
	CacheServer         = "cache-server"
	MetadataGRPC        = "metadata-grpc-deployment"
	KatibDBManager      = "katib-db-manager"
	ProfileController   = "kubeflow-pipelines-profile-controller"
	ArtifactViewer      = "ml-pipeline-ui-artifact"
	VisualizationServer = "ml-pipeline-visualizationserver"
)

// Objects kfaws adds to the kubeflow namespace: render writes them, verify checks them.
const (
	SecretsSync      = "aws-secrets-sync"
	RDSProviderClass = "rds-secret"
	S3ProviderClass  = "s3-secret"
)

// Object names one object of a release.
type Object struct {
	Kind string
	Name string
}

// The in-cluster storage a default install runs, which kfaws's options replace. A release has the objects its
// layout has (render removes only what the release builds).
var (
	// KFPDatabase is KFP's MySQL (third-party/mysql, with its Istio policy and mTLS rule) and the default
	// DBSecret that logs in to it (root, no password; base/installs/generic/mysql-secret.yaml).
	KFPDatabase = []Object{
		{"Deployment", "mysql"}, {"Service", "mysql"}, {"PersistentVolumeClaim", "mysql-pv-claim"},
		{"ServiceAccount", "mysql"}, {"Secret", DBSecret}, {"AuthorizationPolicy", "mysql"},
		{"DestinationRule", "ml-pipeline-mysql"},
	}
	// KatibDatabase is Katib's MySQL (katib components/mysql) and its root password.
	KatibDatabase = []Object{
		{"Deployment", "katib-mysql"}, {"Service", "katib-mysql"}, {"PersistentVolumeClaim", "katib-mysql"},
		{"Secret", "katib-mysql-secrets"},
	}
	// MinIO is the object store up to v1.10 (third-party/minio; v1.11 keeps only a minio-service for SeaweedFS).
	MinIO = []Object{
		{"Deployment", "minio"}, {"Service", "minio-service"}, {"PersistentVolumeClaim", "minio-pvc"},
		{"AuthorizationPolicy", "minio-service"}, {"DestinationRule", "ml-pipeline-minio"},
	}
	// SeaweedFS is the object store from v1.11 (third-party/seaweedfs).
	SeaweedFS = []Object{
		{"Deployment", "seaweedfs"}, {"Service", "seaweedfs"}, {"PersistentVolumeClaim", "seaweedfs-pvc"},
		{"ServiceAccount", "seaweedfs"}, {"NetworkPolicy", "seaweedfs"}, {"AuthorizationPolicy", "seaweedfs-service"},
		{"DestinationRule", "ml-pipeline-seaweedfs"},
	}
)

// Keys of pipeline-install-config that name KFP's databases and bucket (base/installs/generic/
// pipeline-install-config.yaml, every release).
const (
	InstallConfigPipelineDB = "pipelineDb"
	InstallConfigCacheDB    = "cacheDb"
	InstallConfigMetadataDB = "mlmdDb"
	InstallConfigBucket     = "bucketName"
	InstallConfigVersion    = "appVersion"
)

// Defaults of the in-cluster storage a default install runs (third-party/mysql, katib components/mysql,
// third-party/minio and third-party/seaweedfs).
const (
	DefaultPipelineDB = "mlpipeline"
	DefaultCacheDB    = "cachedb"
	DefaultMetadataDB = "metadb"
	DefaultKatibDB    = "katib"
	DefaultBucket     = "mlpipeline"

	// KFPDatabaseService is the in-cluster MySQL of KFP; its user is root with the password in DBSecret.
	KFPDatabaseService = "mysql"
	// KatibDatabaseService is Katib's MySQL; root's password is KatibDatabaseSecret's KatibDatabasePasswordKey.
	KatibDatabaseService     = "katib-mysql"
	KatibDatabaseSecret      = "katib-mysql-secrets"
	KatibDatabasePasswordKey = "MYSQL_ROOT_PASSWORD"
	// KatibDatabaseNameEnv is the db-manager's environment variable naming its database (default DefaultKatibDB).
	KatibDatabaseNameEnv = "KATIB_MYSQL_DB_DATABASE"

	// MinIOService serves MinIO's S3 API up to v1.10 (port 9000); SeaweedFSService serves SeaweedFS's from v1.11
	// (port 8333, named http-s3). v1.11 also keeps a minio-service alias in front of SeaweedFS.
	MinIOService     = "minio-service"
	SeaweedFSService = "seaweedfs"
)

// Writers are the Deployments in Namespace that write KFP's and Katib's databases or the object store, in the
// order they are stopped: the schedulers and the workflow controller first, so no new run starts, then the
// servers. The UI and the visualization server only read.
var Writers = []string{
	"ml-pipeline-scheduledworkflow", "workflow-controller", "ml-pipeline-persistenceagent", APIServer,
	CacheServer, "metadata-writer", MetadataGRPC, KatibDBManager,
}
