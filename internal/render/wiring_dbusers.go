package render

import (
	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// componentProviderClasses adds one SecretProviderClass per component, syncing the component's own secret
// (rds.componentUsers) into its own Kubernetes Secret, and returns their names for the secrets sync to mount.
func componentProviderClasses(o *overlay, v Values) []string {
	var classes []string
	for _, c := range dbusers.All {
		classes = append(classes, c.ProviderClass())
		o.resource("aws-secrets/"+c.ProviderClass()+".yaml", providerClass(v, c.ProviderClass(), c.SecretName(v.RDSSecretName),
			c.KubeSecret(), [][2]string{{"username", "username"}, {"password", "password"}}))
	}
	return classes
}

// wireComponentUsers points each database client's user and password at its own Secret instead of the master
// user's mysql-secret. The variables are the releases' own, v1.7 to 26.03 (manifests@v1.11.0:applications/
// pipeline/upstream/base/pipeline/ml-pipeline-apiserver-deployment.yaml, cache/cache-deployment.yaml, whose
// --db_user/--db_password args read DBCONFIG_USER/PASSWORD, metadata/base/metadata-grpc-deployment.yaml, whose
// --mysql_config_user/--mysql_config_password args read the same); Katib's db-manager gets its Secret where wireRDS wires it. Host, port
// and Katib's database still come from mysql-secret and pipeline-install-config.
func wireComponentUsers(o *overlay) {
	creds := func(c dbusers.Component, user, password string) []obj {
		return []obj{envSecret(user, c.KubeSecret(), "username"), envSecret(password, c.KubeSecret(), "password")}
	}
	api := dbusers.KFPAPI
	o.patch("pipeline/db-user-api-server.yaml", containerEnvPatch(kubeflow.APIServer, "ml-pipeline-api-server",
		append(creds(api, "DBCONFIG_USER", "DBCONFIG_PASSWORD"), creds(api, "DBCONFIG_MYSQLCONFIG_USER", "DBCONFIG_MYSQLCONFIG_PASSWORD")...)))
	o.patch("pipeline/db-user-cache-server.yaml", containerEnvPatch(kubeflow.CacheServer, "server",
		creds(dbusers.Cache, "DBCONFIG_USER", "DBCONFIG_PASSWORD")))
	o.patch("pipeline/db-user-metadata-grpc.yaml", containerEnvPatch(kubeflow.MetadataGRPC, "container",
		creds(dbusers.MLMD, "DBCONFIG_USER", "DBCONFIG_PASSWORD")))
}
