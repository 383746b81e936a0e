package render

import (
	"strconv"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/render/detect"
)

// wireRDS points KFP's three database clients and Katib's db-manager at RDS and removes both in-cluster MySQLs.
func wireRDS(o *overlay, l *detect.Layout, v Values, inv inventory) {
	// Every host/port key the release's workloads read: the API server reads mysqlHost/mysqlPort (KFP 2.0.5+),
	// the cache server and MLMD the older dbHost/dbPort up to KFP 2.16.
	data := obj{}
	port := strconv.Itoa(int(v.DBPort))
	for _, k := range []struct{ key, val string }{
		{"dbHost", v.DBHost}, {"dbPort", port}, {"mysqlHost", v.DBHost}, {"mysqlPort", port},
	} {
		if l.HasKey(k.key) {
			data[k.key] = k.val
		}
	}
	o.patch("pipeline/rds-install-config.yaml", obj{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": obj{"name": kubeflow.InstallConfig, "namespace": kubeflow.Namespace},
		"data":     data,
	})
	// KFP's in-cluster MySQL, its Istio policy and mTLS rule, and the upstream mysql-secret (root, no password),
	// which the Secret synced from Secrets Manager replaces under the same name.
	o.removeAll(inv, kubeflow.KFPDatabase)

	// Katib keeps katib-with-kubeflow (roles, VirtualService, AuthorizationPolicy, cert-manager) and only swaps the
	// db-manager's connection for the synced RDS credentials.
	katibUser := kubeflow.DBSecret
	if v.ComponentUsers {
		katibUser = dbusers.Katib.KubeSecret()
	}
	o.patch("katib/db-manager.yaml", containerEnvPatch("katib-db-manager", "katib-db-manager", []obj{
		envValue("DB_NAME", "mysql"),
		envSecret("DB_USER", katibUser, "username"),
		envSecret("DB_PASSWORD", katibUser, "password"),
		envSecret("KATIB_MYSQL_DB_DATABASE", kubeflow.DBSecret, "database"),
		envSecret("KATIB_MYSQL_DB_HOST", kubeflow.DBSecret, "host"),
		envSecret("KATIB_MYSQL_DB_PORT", kubeflow.DBSecret, "port"),
	}))
	o.removeAll(inv, kubeflow.KatibDatabase)
	if v.ComponentUsers {
		wireComponentUsers(o)
	}
}

// wireSecrets adds the SecretProviderClasses that sync Secrets Manager secrets into Kubernetes Secrets and the
// Deployment whose CSI volumes make the driver create and refresh them.
func wireSecrets(o *overlay, v Values) {
	var classes []string
	if v.Option.UsesRDS() {
		classes = append(classes, kubeflow.RDSProviderClass)
		o.resource("aws-secrets/rds-secret.yaml", providerClass(v, kubeflow.RDSProviderClass, v.RDSSecretName, kubeflow.DBSecret,
			[][2]string{{"username", "username"}, {"password", "password"}, {"host", "host"},
				{"database", "database"}, {"port", "port"}}))
	}
	if v.Option.UsesRDS() && v.ComponentUsers {
		classes = append(classes, componentProviderClasses(o, v)...)
	}
	if config.StaticS3(v.Option, v.Credentials) {
		classes = append(classes, kubeflow.S3ProviderClass)
		o.resource("aws-secrets/s3-secret.yaml", providerClass(v, kubeflow.S3ProviderClass, v.S3SecretName, kubeflow.ObjectStoreSecret,
			[][2]string{{"accesskey", "accesskey"}, {"secretkey", "secretkey"}}))
	}
	if len(classes) == 0 {
		return
	}
	meta := obj{"name": kubeflow.SecretsSyncAccount, "namespace": kubeflow.Namespace, "labels": labels("secrets-sync")}
	if a := bindingAnnotations(v.binding(), v.SecretsRoleARN); len(a) > 0 {
		meta["annotations"] = a
	}
	o.resource("aws-secrets/service-account.yaml", obj{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta})
	var mounts, volumes []obj
	for _, c := range classes {
		mounts = append(mounts, obj{"name": c, "mountPath": "/mnt/" + c, "readOnly": true})
		volumes = append(volumes, obj{"name": c, "csi": obj{"driver": "secrets-store.csi.k8s.io", "readOnly": true,
			"volumeAttributes": obj{"secretProviderClass": c}}})
	}
	sel := obj{"app.kubernetes.io/name": kubeflow.SecretsSync}
	podLabels := labels("secrets-sync")
	podLabels["app.kubernetes.io/name"] = kubeflow.SecretsSync
	o.resource("aws-secrets/deployment.yaml", obj{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": obj{"name": kubeflow.SecretsSync, "namespace": kubeflow.Namespace, "labels": labels("secrets-sync")},
		"spec": obj{
			"replicas": 1,
			"selector": obj{"matchLabels": sel},
			"template": obj{
				"metadata": obj{"labels": podLabels, "annotations": obj{"sidecar.istio.io/inject": "false"}},
				"spec": obj{
					"serviceAccountName": kubeflow.SecretsSyncAccount,
					// Pod Security "restricted" (the kubeflow namespace enforces it from v1.11): without a seccomp
					// profile the API server admits the Deployment but forbids every one of its pods.
					"securityContext": restrictedPod(65535),
					// The pod only exists to mount the CSI volumes; pause does nothing and needs no shell.
					"containers": []obj{{"name": "secrets", "image": "registry.k8s.io/pause:3.10",
						"volumeMounts": mounts, "securityContext": restrictedContainer()}},
					"volumes": volumes,
				},
			},
		},
	})
}

// providerClass syncs the JSON keys of one Secrets Manager secret into Kubernetes Secret target.
// providerParameters are the AWS provider's parameters; usePodIdentity has it take the mounting pod's Pod
// Identity credentials instead of its IRSA role (aws/secrets-store-csi-driver-provider-aws README,
// SecretProviderClass parameters).
func providerParameters(v Values, objects []obj) obj {
	p := obj{"region": v.Region, "objects": mustYAML(objects)}
	if v.podIdentity() {
		p["usePodIdentity"] = "true"
	}
	return p
}

func providerClass(v Values, name, smName, target string, keys [][2]string) obj {
	var jmes, data []obj
	for _, k := range keys {
		jmes = append(jmes, obj{"path": k[0], "objectAlias": k[1]})
		data = append(data, obj{"objectName": k[1], "key": k[1]})
	}
	objects := []obj{{"objectName": smName, "objectType": "secretsmanager", "jmesPath": jmes}}
	return obj{
		"apiVersion": "secrets-store.csi.x-k8s.io/v1",
		"kind":       "SecretProviderClass",
		"metadata":   obj{"name": name, "namespace": kubeflow.Namespace, "labels": labels("secrets-sync")},
		"spec": obj{
			"provider":      "aws",
			"parameters":    providerParameters(v, objects),
			"secretObjects": []obj{{"secretName": target, "type": "Opaque", "data": data}},
		},
	}
}
