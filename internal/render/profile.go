package render

import (
	_ "embed"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/kubeflow"
	"github.com/kfaws/kfaws/internal/ownership"
	"github.com/kfaws/kfaws/internal/render/detect"
)

//go:embed hook/sync.py
var hookCode []byte

const (
	templatesName  = "kfaws-profile-templates"
	templatesFile  = "attachments.json"
	templatesMount = "/templates"
	// The controller reads the static keys it writes into each namespace's Secret under these names.
	accessKeyEnv = "KFAWS_S3_ACCESS_KEY_ID"
	secretKeyEnv = "KFAWS_S3_SECRET_ACCESS_KEY"
)

// wireProfiles gives every profile namespace what the release's upstream profile controller gives it, on S3,
// plus, in irsa mode, the role annotation on the default-editor of every profile with a role.
//
// On every release the upstream controller's code is replaced by kfaws's hook; its Deployment, Service and
// metacontroller CompositeController (v1.7–v1.9) or DecoratorController (v1.10 on) stay, so exactly one
// controller owns the per-namespace objects. The hook reads which objects to return from a templates file
// rendered here (profile_templates.go).
func wireProfiles(o *overlay, l *detect.Layout, v Values) {
	if v.Credentials == config.CredentialsIRSA && !v.podIdentity() {
		// Kubeflow's profile controller creates default-editor with the profile's namespace: kfaws only sets the
		// role annotation on it (a patch, applied once it exists, never deleted by kfaws), each profile's own.
		var accounts []obj
		for _, p := range v.profileRoles() {
			accounts = append(accounts, obj{
				"apiVersion": "v1", "kind": "ServiceAccount",
				"metadata": obj{"name": kubeflow.PipelineRunnerAccount, "namespace": p.Namespace,
					"annotations": bindingAnnotations(v.binding(), p.RoleARN, ownership.PatchAnnotation,
						"profile "+p.Namespace+" (Kubeflow's profile controller)")},
			})
		}
		o.resource("profile/default-editor.yaml", accounts...)
	}
	o.files["profile/sync.py"] = hookCode
	o.files["profile/"+templatesFile] = templatesJSON(l, v)
	o.generators = append(o.generators, obj{
		"name": templatesName, "namespace": kubeflow.Namespace, "files": []string{"profile/" + templatesFile},
		"options": obj{"labels": labels("profile-hook")},
	}, obj{
		"name": kubeflow.ProfileController + "-code", "namespace": kubeflow.Namespace, "behavior": "replace",
		"files": []string{"sync.py=profile/sync.py"},
	})
	o.patch("pipeline/profile-controller.yaml", profileControllerPatch(l, v))
}

// profileControllerPatch points the upstream controller at the templates, gives it the static keys in static
// mode and, from v1.11, drops its SeaweedFS endpoints.
func profileControllerPatch(l *detect.Layout, v Values) obj {
	env := []obj{envValue("KFAWS_TEMPLATES", templatesMount+"/"+templatesFile)}
	if l.ObjectStore == detect.SeaweedFS {
		env = append(env, envDelete("AWS_ENDPOINT_URL"), envDelete("S3_ENDPOINT_URL"),
			envDelete("OBJECT_STORE_HOST"), envValue("AWS_REGION", v.Region))
	}
	if v.Credentials == config.CredentialsStatic {
		// The Secret in kubeflow is the one synced from Secrets Manager (wireS3Credentials).
		env = append(env, envSecret(accessKeyEnv, kubeflow.ObjectStoreSecret, "accesskey"),
			envSecret(secretKeyEnv, kubeflow.ObjectStoreSecret, "secretkey"))
	}
	p := containerEnvPatch(kubeflow.ProfileController, "profile-controller", env)
	spec := p["spec"].(obj)["template"].(obj)["spec"].(obj)
	spec["containers"].([]obj)[0]["volumeMounts"] = []obj{{"name": "kfaws-templates", "mountPath": templatesMount}}
	spec["volumes"] = []obj{{"name": "kfaws-templates", "configMap": obj{"name": templatesName}}}
	return p
}
