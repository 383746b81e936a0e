package render

import (
	"fmt"

	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/render/detect"
)

// s3Host is the regional endpoint: it works for buckets in any region with path-style requests (KFP 2.16's
// SDK client) as well as with minio-go (KFP up to 2.15) and Argo.
func s3Host(region string) string { return "s3." + region + ".amazonaws.com" }

// keyFormat is where Argo writes logs and v1 outputs: under the namespace's own prefix on every release, so
// each profile's role can be confined to it. It is the SeaweedFS releases' layout
// (manifests@v1.11.0:applications/pipeline/upstream/third-party/argo/base/workflow-controller-configmap-patch.yaml,
// Argo v3.7.3); the older releases' Argo (v3.3.8 to v3.5.14) substitutes {{workflow.namespace}} there as well: the
// controller replaces the workflow's global variables, namespace included, in every pod spec after adding the
// archive location (argo-workflows@v3.3.8 … v3.5.14:workflow/controller/workflowpod.go, substitutePodParams).
func keyFormat(namespace string) string {
	return kubeflow.ProfileArtifacts(namespace) + "{{workflow.name}}/{{workflow.creationTimestamp.Y}}/" +
		"{{workflow.creationTimestamp.m}}/{{workflow.creationTimestamp.d}}/{{pod.name}}"
}

// pipelineRoot is the KFP v2 default pipeline root for namespace ns: a profile's under its own prefix, the kubeflow
// namespace's (ns "") the bucket's v2/artifacts, which only the backend role (the whole bucket) reaches.
func pipelineRoot(v Values, ns string) string {
	if ns == "" {
		return "s3://" + v.Bucket + "/v2/artifacts"
	}
	return kubeflow.ProfilePipelineRoot(v.Bucket, ns)
}

// artifactRepository is Argo's S3 repository: the pod identity in irsa mode, the synced keys in static mode.
func artifactRepository(v Values, namespace string) string {
	s3 := obj{
		"endpoint":  s3Host(v.Region),
		"bucket":    v.Bucket,
		"region":    v.Region,
		"insecure":  false,
		"keyFormat": keyFormat(namespace),
	}
	if v.Credentials == config.CredentialsIRSA {
		s3["useSDKCreds"] = true
	} else {
		s3["accessKeySecret"] = obj{"name": kubeflow.ObjectStoreSecret, "key": "accesskey"}
		s3["secretKeySecret"] = obj{"name": kubeflow.ObjectStoreSecret, "key": "secretkey"}
	}
	return mustYAML(obj{"archiveLogs": true, "s3": s3})
}

// launcherData is the kfp-launcher ConfigMap data for a namespace.
func launcherData(l *detect.Layout, v Values, ns string) obj {
	data := obj{"defaultPipelineRoot": pipelineRoot(v, ns)}
	if !l.Caps.LauncherProviders {
		return data
	}
	// With fromEnv the launcher ignores this block's region, endpoint, disableSSL and forcePathStyle: it opens
	// the bucket by URL with the AWS default chain, so the region comes from the pod's AWS_REGION, which EKS's
	// IRSA webhook injects and the Pod Identity agent does not
	// (kfp@2.5.0 and kfp@2.16.0:backend/src/v2/objectstore/object_store.go, OpenBucket and createS3BucketSession).
	creds := obj{"fromEnv": true}
	if v.Credentials == config.CredentialsStatic {
		creds = obj{"fromEnv": false, "secretRef": obj{"secretName": kubeflow.ObjectStoreSecret, "accessKeyKey": "accesskey",
			"secretKeyKey": "secretkey"}}
	}
	data["providers"] = mustYAML(obj{"s3": obj{"default": obj{
		// The launcher leaves the SDK's regional endpoint in place for this host.
		"endpoint":       "s3.amazonaws.com",
		"region":         v.Region,
		"disableSSL":     false,
		"forcePathStyle": false,
		"credentials":    creds,
	}}})
	return data
}

// wireS3 moves KFP's object store to S3: the install config, the API server, the UI, Argo, the launcher config,
// IRSA annotations, and removes MinIO or SeaweedFS.
//
// Every S3 client wired here uses HTTPS, which the TLS-only bucket policy up puts on the bucket (s3.requireTLS)
// requires: the API server's OBJECTSTORECONFIG_SECURE=true (ObjectStoreConfig.Secure defaults to false,
// kfp@2.5.0 and kfp@2.16.0:backend/src/apiserver/client_manager/client_manager.go), the UI's and the per-profile
// artifact viewer's AWS_SSL=true (kfp@2.16.0:frontend/server/configs.ts), Argo's insecure: false, and the
// launcher's providers with disableSSL: false, or fromEnv, which leaves the AWS SDK's HTTPS endpoint in place.
func wireS3(o *overlay, l *detect.Layout, v Values, inv inventory) {
	o.patch("pipeline/s3-install-config.yaml", obj{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": obj{"name": kubeflow.InstallConfig, "namespace": kubeflow.Namespace},
		"data": obj{"bucketName": v.Bucket, "minioServiceHost": s3Host(v.Region),
			"minioServiceRegion": v.Region},
	})
	irsa := v.Credentials == config.CredentialsIRSA
	api := []obj{
		envValue("OBJECTSTORECONFIG_SECURE", "true"),
		envConfigMap("OBJECTSTORECONFIG_BUCKETNAME", kubeflow.InstallConfig, "bucketName"),
		envConfigMap("OBJECTSTORECONFIG_HOST", kubeflow.InstallConfig, "minioServiceHost"),
		envConfigMap("OBJECTSTORECONFIG_REGION", kubeflow.InstallConfig, "minioServiceRegion"),
		envValue("OBJECTSTORECONFIG_PORT", ""),
	}
	ui := []obj{envValue("AWS_REGION", v.Region), envValue("AWS_S3_ENDPOINT", s3Host(v.Region)),
		envValue("AWS_SSL", "true")}
	if irsa {
		// Present and empty, not removed: the image's config.json holds minio's keys, and an unset variable
		// would let them win over the pod identity.
		api = append(api, envValue("OBJECTSTORECONFIG_ACCESSKEY", ""), envValue("OBJECTSTORECONFIG_SECRETACCESSKEY", ""))
	} else {
		api = append(api, envSecret("OBJECTSTORECONFIG_ACCESSKEY", kubeflow.ObjectStoreSecret, "accesskey"),
			envSecret("OBJECTSTORECONFIG_SECRETACCESSKEY", kubeflow.ObjectStoreSecret, "secretkey"))
		ui = append(ui, envSecret("AWS_ACCESS_KEY_ID", kubeflow.ObjectStoreSecret, "accesskey"),
			envSecret("AWS_SECRET_ACCESS_KEY", kubeflow.ObjectStoreSecret, "secretkey"))
	}
	if v.podIdentity() {
		// The Pod Identity webhook injects the credentials endpoint only, not the region the IRSA webhook adds;
		// the API server's SDK client needs it (kfp@2.16.0:backend/src/apiserver/client_manager/client_manager.go).
		api = append(api, envValue("AWS_REGION", v.Region))
	}
	o.patch("pipeline/api-server.yaml", containerEnvPatch("ml-pipeline", "ml-pipeline-api-server", api))
	o.patch("pipeline/ui.yaml", containerEnvPatch("ml-pipeline-ui", "ml-pipeline-ui", ui))
	argo := obj{"artifactRepository": artifactRepository(v, "{{workflow.namespace}}")}
	if v.podIdentity() {
		// Pipeline pods' main containers run the v2 launcher, whose fromEnv client takes the region only from
		// AWS_REGION (launcherData); Argo merges mainContainer into every workflow's main containers. No release
		// kfaws knows sets mainContainer, so nothing upstream is replaced.
		argo["mainContainer"] = mustYAML(obj{"env": []obj{{"name": "AWS_REGION", "value": v.Region}}})
	}
	o.patch("pipeline/workflow-controller-configmap.yaml", obj{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": obj{"name": kubeflow.WorkflowControllerConfig, "namespace": kubeflow.Namespace},
		"data":     argo,
	})
	o.patch("pipeline/kfp-launcher.yaml", obj{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": obj{"name": kubeflow.LauncherConfig, "namespace": kubeflow.Namespace},
		"data":     launcherData(l, v, ""),
	})
	wireS3Credentials(o, v, inv)
	removeObjectStore(o, inv)
	wireProfiles(o, l, v)
}

// wireS3Credentials gives KFP its S3 identity: IRSA role annotations, or the Secret synced from Secrets Manager.
func wireS3Credentials(o *overlay, v Values, inv inventory) {
	if v.Credentials == config.CredentialsStatic {
		// Replaced under the same name by the Secret synced from the S3 Secrets Manager secret.
		o.remove(inv, "Secret", kubeflow.ObjectStoreSecret)
		return
	}
	// With Pod Identity the binding is an EKS association kfaws up creates; nothing in the cluster names the role.
	for _, sa := range []string{"ml-pipeline", "ml-pipeline-ui"} {
		if len(v.binding().Annotations(v.BackendRoleARN)) == 0 {
			break
		}
		o.patch("pipeline/sa-"+sa+".yaml", obj{
			"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": obj{"name": sa, "namespace": kubeflow.Namespace,
				"annotations": bindingAnnotations(v.binding(), v.BackendRoleARN)},
		})
	}
	// Emptied rather than removed: Deployments that still reference it must start, and no default key may
	// reach S3 in place of the role.
	if inv.has(ObjectRef{Kind: "Secret", Name: kubeflow.ObjectStoreSecret, Namespace: kubeflow.Namespace}) {
		o.patch("pipeline/empty-minio-secret.yaml", obj{
			"apiVersion": "v1", "kind": "Secret",
			"metadata":   obj{"name": kubeflow.ObjectStoreSecret, "namespace": kubeflow.Namespace},
			"stringData": obj{"accesskey": "", "secretkey": ""},
		})
	}
}

// removeObjectStore removes MinIO (up to v1.11) and SeaweedFS (v1.11 on) with their network and Istio objects.
func removeObjectStore(o *overlay, inv inventory) {
	o.removeAll(inv, kubeflow.MinIO)
	o.removeAll(inv, kubeflow.SeaweedFS)
}

func mustYAML(v any) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshalling: %v", err)) // only plain maps, strings and numbers reach here
	}
	return string(data)
}
