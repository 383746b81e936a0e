package render

import (
	"encoding/json"
	"fmt"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/render/detect"
)

// Names of the per-namespace objects the upstream profile controllers create
// (manifests@<ref>:<prefix>/pipeline/upstream/base/installs/multi-user/pipelines-profile-controller/sync.py).
const (
	profileNS = "__NAMESPACE__"
)

// profileTemplates is the templates file the hook reads (see the hook's docstring for the placeholders).
type profileTemplates struct {
	// Env holds fallbacks for settings the controller pod's environment may lack: the release controller's
	// defaults.
	Env     map[string]string `json:"env"`
	Objects []profileTemplate `json:"objects"`
}

type profileTemplate struct {
	// When names a setting that must be "true" for the object to be returned.
	When   string `json:"when,omitempty"`
	Object obj    `json:"object"`
}

// templatesJSON renders what the hook returns for a profile namespace: what the release's upstream controller
// creates there, wired to S3.
//
//   - every release: kfp-launcher on the bucket, metadata-grpc-configmap, and in static mode the Secret with
//     the keys (filled by the hook from its environment);
//   - v1.7–v1.10: the visualization server with its Istio objects, and the artifact viewer reading S3;
//   - v1.11 on: Argo's per-namespace artifact-repositories, and the artifact proxy when the install config's
//     ARTIFACTS_PROXY_ENABLED (read by the controller from pipeline-install-config) is true.
//
// Nothing is returned for irsa mode's keys: no object the hook returns reads the Secret then, and metacontroller
// deletes one an earlier controller left.
func templatesJSON(l *detect.Layout, v Values) []byte {
	t := profileTemplates{Env: map[string]string{"KFP_VERSION": l.KFPVersion}}
	add := func(when string, o obj) { t.Objects = append(t.Objects, profileTemplate{When: when, Object: o}) }
	add("", profileObject("v1", "ConfigMap", "kfp-launcher", obj{"data": launcherData(l, v, profileNS)}))
	add("", profileObject("v1", "ConfigMap", "metadata-grpc-configmap", obj{"data": obj{
		"METADATA_GRPC_SERVICE_HOST": "metadata-grpc-service." + kubeflow.Namespace, "METADATA_GRPC_SERVICE_PORT": "8080"}}))
	if v.Credentials == config.CredentialsStatic {
		add("", profileObject("v1", "Secret", kubeflow.ObjectStoreSecret, obj{"data": obj{
			"accesskey": "__B64ENV_" + accessKeyEnv + "__", "secretkey": "__B64ENV_" + secretKeyEnv + "__"}}))
	}
	if l.ObjectStore == detect.SeaweedFS {
		// manifests@v1.11.0: sync.py; the proxy switch defaults to off (pipeline-install-config.yaml).
		t.Env["FRONTEND_IMAGE"] = "ghcr.io/kubeflow/kfp-frontend"
		t.Env["ARTIFACTS_PROXY_ENABLED"] = "false"
		repo := profileObject("v1", "ConfigMap", "artifact-repositories",
			obj{"data": obj{"default-namespaced": artifactRepository(v, profileNS)}})
		repo["metadata"].(obj)["annotations"] = obj{"workflows.argoproj.io/default-artifact-repository": "default-namespaced"}
		add("", repo)
		env := append(viewerEnv(v),
			obj{"name": "ML_PIPELINE_SERVICE_HOST", "value": "ml-pipeline." + kubeflow.Namespace + ".svc.cluster.local"},
			obj{"name": "ML_PIPELINE_SERVICE_PORT", "value": "8888"},
			obj{"name": "FRONTEND_SERVER_NAMESPACE", "value": profileNS})
		add("ARTIFACTS_PROXY_ENABLED", viewerDeployment(env))
		add("ARTIFACTS_PROXY_ENABLED", profileService(kubeflow.ArtifactViewer, 80, 3000))
	} else {
		t.Env["FRONTEND_IMAGE"], t.Env["VISUALIZATION_SERVER_IMAGE"] = upstreamImages(l)
		add("", visualizationDeployment())
		add("", profileService(kubeflow.VisualizationServer, 8888, 8888))
		add("", profileObject("networking.istio.io/v1alpha3", "DestinationRule", kubeflow.VisualizationServer, obj{
			"spec": obj{"host": kubeflow.VisualizationServer, "trafficPolicy": obj{"tls": obj{"mode": "ISTIO_MUTUAL"}}}}))
		add("", profileObject("security.istio.io/v1beta1", "AuthorizationPolicy", kubeflow.VisualizationServer, obj{
			"spec": obj{"selector": obj{"matchLabels": obj{"app": kubeflow.VisualizationServer}},
				"rules": []obj{{"from": []obj{{"source": obj{
					"principals": []string{"cluster.local/ns/" + kubeflow.Namespace + "/sa/ml-pipeline"}}}}}}}}))
		add("", viewerDeployment(viewerEnv(v)))
		add("", profileService(kubeflow.ArtifactViewer, 80, 3000))
	}
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("marshalling profile templates: %v", err))
	}
	return append(data, '\n')
}

// upstreamImages are the frontend and visualization server images the release's controller defaults to when
// FRONTEND_IMAGE / VISUALIZATION_SERVER_IMAGE are unset (manifests@v1.9.1 and @v1.10.2: sync.py).
func upstreamImages(l *detect.Layout) (frontend, visualization string) {
	if !l.Caps.GHCRImages {
		return "gcr.io/ml-pipeline/frontend", "gcr.io/ml-pipeline/visualization-server"
	}
	return "ghcr.io/kubeflow/kfp-frontend", "ghcr.io/kubeflow/kfp-visualization-server"
}

// viewerEnv points the frontend's S3 client at the bucket's region (kfp@2.5.0:frontend/server/configs.ts reads
// AWS_REGION, AWS_S3_ENDPOINT, AWS_SSL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). Without keys it uses the AWS
// default chain, so IRSA of default-editor (kfp@2.5.0:frontend/server/minio-helper.ts). Its MinIO settings are
// left at their defaults: they serve only minio:// artifacts, which an S3 install does not write.
func viewerEnv(v Values) []obj {
	env := []obj{
		{"name": "AWS_REGION", "value": v.Region},
		{"name": "AWS_S3_ENDPOINT", "value": s3Host(v.Region)},
		{"name": "AWS_SSL", "value": "true"},
	}
	if v.Credentials == config.CredentialsStatic {
		env = append(env,
			obj{"name": "AWS_ACCESS_KEY_ID", "valueFrom": obj{"secretKeyRef": obj{"name": kubeflow.ObjectStoreSecret, "key": "accesskey"}}},
			obj{"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": obj{"secretKeyRef": obj{"name": kubeflow.ObjectStoreSecret, "key": "secretkey"}}})
	}
	return env
}

func viewerDeployment(env []obj) obj {
	return profileDeployment(kubeflow.ArtifactViewer, obj{
		"name": kubeflow.ArtifactViewer, "image": "__IMAGE_FRONTEND__", "imagePullPolicy": "IfNotPresent",
		"ports": []obj{{"containerPort": 3000}}, "env": env,
		"resources": obj{"requests": obj{"cpu": "10m", "memory": "70Mi"}, "limits": obj{"cpu": "100m", "memory": "500Mi"}},
	})
}

func visualizationDeployment() obj {
	return profileDeployment(kubeflow.VisualizationServer, obj{
		"name": kubeflow.VisualizationServer, "image": "__IMAGE_VISUALIZATION_SERVER__", "imagePullPolicy": "IfNotPresent",
		"ports":     []obj{{"containerPort": 8888}},
		"resources": obj{"requests": obj{"cpu": "50m", "memory": "200Mi"}, "limits": obj{"cpu": "500m", "memory": "1Gi"}},
	})
}

// profileDeployment runs container as default-editor under Pod Security "restricted": user 1000 as KFP's own
// manifests run the same images (kfp@2.5.0:manifests/kustomize/base/pipeline/ml-pipeline-ui-deployment.yaml,
// ml-pipeline-visualization-deployment.yaml).
func profileDeployment(name string, container obj) obj {
	container["securityContext"] = obj{"allowPrivilegeEscalation": false, "runAsNonRoot": true, "runAsUser": 1000,
		"runAsGroup": 0, "capabilities": obj{"drop": []string{"ALL"}}}
	sel := obj{"app": name}
	return profileObject("apps/v1", "Deployment", name, obj{"spec": obj{
		"selector": obj{"matchLabels": sel},
		"template": obj{
			"metadata": obj{"labels": obj{"app": name}},
			"spec": obj{
				"serviceAccountName": "default-editor",
				"securityContext":    obj{"runAsNonRoot": true, "seccompProfile": obj{"type": "RuntimeDefault"}},
				"containers":         []obj{container},
			},
		},
	}})
}

func profileService(name string, port, target int) obj {
	return profileObject("v1", "Service", name, obj{"spec": obj{
		"selector": obj{"app": name},
		"ports":    []obj{{"name": "http", "port": port, "protocol": "TCP", "targetPort": target}},
	}})
}

// profileObject is an object in the profile namespace with kfaws's labels (and app=name, as upstream labels
// its workloads) plus the given top-level fields.
func profileObject(apiVersion, kind, name string, fields obj) obj {
	l := labels("profile")
	if kind == "Deployment" || kind == "Service" {
		l["app"] = name
	}
	o := obj{"apiVersion": apiVersion, "kind": kind,
		"metadata": obj{"name": name, "namespace": profileNS, "labels": l}}
	for k, v := range fields {
		o[k] = v
	}
	return o
}
