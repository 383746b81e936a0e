package render

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/render/detect"
)

//go:embed hook/sync.py
var hookCode []byte

const (
	profileController = "kubeflow-pipelines-profile-controller"
	hookName          = "kfaws-profile-hook"
	templatesName     = "kfaws-profile-templates"
	templatesFile     = "attachments.json"
	enabledLabel      = "pipelines.kubeflow.org/enabled"
)

// wireProfiles gives every profile namespace what KFP needs there to reach S3: a kfp-launcher ConfigMap on the
// bucket (and, from v1.11, Argo's per-namespace repository and the launcher's metadata config), plus the role
// annotation on the configured profile's default-editor in irsa mode.
//
// Up to v1.10 the upstream profile controller stays (it copies the keys and runs the per-namespace artifact
// viewer) and kfaws adds its own small DecoratorController for kfp-launcher. From v1.11 the upstream controller
// creates SeaweedFS IAM users and a minio:// launcher root, so its code is replaced by kfaws's hook.
func wireProfiles(o *overlay, l *detect.Layout, v Values, inv inventory) {
	if v.Credentials == config.CredentialsIRSA {
		// Kubeflow's profile controller creates default-editor with the profile's namespace: kfaws only sets the
		// role annotation on it (a patch, applied once it exists, never deleted by kfaws).
		o.resource("profile/default-editor.yaml", obj{
			"apiVersion": "v1", "kind": "ServiceAccount",
			"metadata": obj{"name": "default-editor", "namespace": v.ProfileNamespace,
				"annotations": obj{roleARNAnnotation: v.ProfileRoleARN,
					ownership.PatchAnnotation: "profile " + v.ProfileNamespace + " (Kubeflow's profile controller)"}},
		})
	}
	o.files["profile/sync.py"] = hookCode
	o.files["profile/"+templatesFile] = attachmentsJSON(l, v)
	o.generators = append(o.generators, obj{
		"name": templatesName, "namespace": Namespace, "files": []string{"profile/" + templatesFile},
		"options": obj{"labels": labels("profile-hook")},
	})
	if l.ObjectStore == detect.SeaweedFS {
		replaceProfileController(o, v, inv)
		return
	}
	o.patch("pipeline/profile-controller.yaml", containerEnvPatch(profileController, "profile-controller", []obj{
		envConfigMap("MINIO_SERVICE_REGION", installConfig, "minioServiceRegion"),
		envConfigMap("MINIO_SERVICE_HOST", installConfig, "minioServiceHost"),
	}))
	addHookController(o)
}

// attachments are the per-namespace objects the hook stamps, as the JSON it reads.
func attachmentsJSON(l *detect.Layout, v Values) []byte {
	const ns = "__NAMESPACE__"
	list := []obj{{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": obj{"name": "kfp-launcher", "namespace": ns, "labels": labels("profile")},
		"data":     launcherData(l, v, ns),
	}}
	if l.ObjectStore == detect.SeaweedFS {
		list = append(list, obj{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": obj{"name": "metadata-grpc-configmap", "namespace": ns, "labels": labels("profile")},
			"data": obj{"METADATA_GRPC_SERVICE_HOST": "metadata-grpc-service." + Namespace,
				"METADATA_GRPC_SERVICE_PORT": "8080"},
		}, obj{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": obj{"name": "artifact-repositories", "namespace": ns, "labels": labels("profile"),
				"annotations": obj{"workflows.argoproj.io/default-artifact-repository": "default-namespaced"}},
			"data": obj{"default-namespaced": artifactRepository(l, v, ns)},
		})
		if v.Credentials == config.CredentialsStatic {
			list = append(list, obj{
				"apiVersion": "v1", "kind": "Secret",
				"metadata": obj{"name": minioSecret, "namespace": ns, "labels": labels("profile")},
				"data": obj{"accesskey": "__B64ENV_AWS_ACCESS_KEY_ID__",
					"secretkey": "__B64ENV_AWS_SECRET_ACCESS_KEY__"},
			})
		}
	}
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("marshalling attachments: %v", err))
	}
	return append(data, '\n')
}

// replaceProfileController swaps the v1.11+ controller's sync.py for kfaws's hook and drops its SeaweedFS
// endpoints; its Deployment, Service and DecoratorController stay.
func replaceProfileController(o *overlay, v Values, inv inventory) {
	o.generators = append(o.generators, obj{
		"name": profileController + "-code", "namespace": Namespace, "behavior": "replace",
		"files": []string{"sync.py=profile/sync.py"},
	})
	env := []obj{
		envDelete("AWS_ENDPOINT_URL"), envDelete("S3_ENDPOINT_URL"), envDelete("OBJECT_STORE_HOST"),
		envValue("AWS_REGION", v.Region), envValue("KFAWS_TEMPLATES", "/templates/"+templatesFile),
	}
	p := containerEnvPatch(profileController, "profile-controller", env)
	spec := p["spec"].(obj)["template"].(obj)["spec"].(obj)
	spec["containers"].([]obj)[0]["volumeMounts"] = []obj{{"name": "kfaws-templates", "mountPath": "/templates"}}
	spec["volumes"] = []obj{{"name": "kfaws-templates", "configMap": obj{"name": templatesName}}}
	o.patch("pipeline/profile-controller.yaml", p)
}

// addHookController adds kfaws's own DecoratorController, Service and Deployment running the hook (releases
// whose upstream profile controller is kept).
func addHookController(o *overlay) {
	o.generators = append(o.generators, obj{
		"name": hookName + "-code", "namespace": Namespace, "files": []string{"sync.py=profile/sync.py"},
		"options": obj{"labels": labels("profile-hook")},
	})
	sel := obj{"app.kubernetes.io/name": hookName}
	podLabels := labels("profile-hook")
	podLabels["app.kubernetes.io/name"] = hookName
	o.resource("profile/hook.yaml", obj{
		"apiVersion": "metacontroller.k8s.io/v1alpha1", "kind": "DecoratorController",
		"metadata": obj{"name": hookName, "labels": labels("profile-hook")},
		"spec": obj{
			"resyncPeriodSeconds": 3600,
			"resources": []obj{{"apiVersion": "v1", "resource": "namespaces",
				"labelSelector": obj{"matchLabels": obj{enabledLabel: "true"}}}},
			"attachments": []obj{{"apiVersion": "v1", "resource": "configmaps",
				"updateStrategy": obj{"method": "InPlace"}}},
			"hooks": obj{"sync": obj{"webhook": obj{"url": "http://" + hookName + "." + Namespace + "/sync"}}},
		},
	}, obj{
		"apiVersion": "v1", "kind": "Service",
		"metadata": obj{"name": hookName, "namespace": Namespace, "labels": labels("profile-hook")},
		"spec":     obj{"selector": sel, "ports": []obj{{"name": "http", "port": 80, "targetPort": 8080}}},
	}, obj{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": obj{"name": hookName, "namespace": Namespace, "labels": labels("profile-hook")},
		"spec": obj{
			"replicas": 1,
			"selector": obj{"matchLabels": sel},
			"template": obj{
				"metadata": obj{"labels": podLabels, "annotations": obj{"sidecar.istio.io/inject": "false"}},
				"spec": obj{
					"containers": []obj{{
						"name": "hook", "image": "public.ecr.aws/docker/library/python:3.12-slim",
						"command": []string{"python", "/hooks/sync.py"},
						"env":     []obj{{"name": "KFAWS_TEMPLATES", "value": "/templates/" + templatesFile}},
						"ports":   []obj{{"containerPort": 8080}},
						"volumeMounts": []obj{{"name": "hooks", "mountPath": "/hooks"},
							{"name": "templates", "mountPath": "/templates"}},
						"securityContext": restrictedContainer(),
					}},
					"securityContext": restrictedPod(1000),
					"volumes": []obj{
						{"name": "hooks", "configMap": obj{"name": hookName + "-code"}},
						{"name": "templates", "configMap": obj{"name": templatesName}},
					},
				},
			},
		},
	})
}
