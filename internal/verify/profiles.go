package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

var gvrNamespace = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// checkProfiles checks, in every profile namespace, what pipelines there need to reach the bucket: the
// kfp-launcher ConfigMap on it (written by kfaws's profile hook), the synced keys in static mode, and with roles
// that up gave the profile a role of its own (on its default-editor under IRSA).
func checkProfiles(ctx context.Context, w recorder, in ClusterInput) {
	list, err := in.Kube.Dynamic.Resource(gvrNamespace).List(ctx, metav1.ListOptions{LabelSelector: kubeflow.ProfileLabel + "=true"})
	if err != nil {
		w.add("profile namespaces", Warn, fmt.Sprintf("listing namespaces labelled %s=true: %v", kubeflow.ProfileLabel, err), "")
		return
	}
	names := make([]string, 0, len(list.Items))
	for _, ns := range list.Items {
		names = append(names, ns.GetName())
	}
	sort.Strings(names)
	irsa := !in.Static
	if irsa && in.ProfileNamespace != "" && !contains(names, in.ProfileNamespace) {
		w.add("profile "+in.ProfileNamespace, Fail, fmt.Sprintf("namespace %q is not a KFP profile namespace yet, so its "+
			"default-editor cannot have the profile role", in.ProfileNamespace),
			"create the Profile (Kubeflow's profile controller makes the namespace), then run kfaws apply")
	}
	if len(names) == 0 {
		w.add("profile namespaces", Warn, fmt.Sprintf("no namespace is labelled %s=true: pipelines run nowhere yet",
			kubeflow.ProfileLabel), "create a Kubeflow Profile")
		return
	}
	for _, ns := range names {
		checkProfile(ctx, w, in, ns)
	}
}

func checkProfile(ctx context.Context, w recorder, in ClusterInput, ns string) {
	name := "profile " + ns
	action := "kfaws's profile hook writes these (kubectl -n kubeflow logs deployment/kubeflow-pipelines-profile-controller); re-run kfaws apply"
	var problems, good []string
	root, err := launcherRoot(ctx, in.Kube, ns)
	switch {
	case err != nil:
		problems = append(problems, err.Error())
	case in.Bucket != "" && !strings.HasPrefix(root, "s3://"+in.Bucket+"/"):
		problems = append(problems, fmt.Sprintf("kfp-launcher's pipeline root is %q, not on bucket %q", root, in.Bucket))
	case in.Bucket != "" && !in.Static && len(in.ProfileRoleARNs) > 0 && root != kubeflow.ProfilePipelineRoot(in.Bucket, ns):
		// Written before profiles were confined: metacontroller never updates this ConfigMap (OnDelete).
		problems = append(problems, fmt.Sprintf("kfp-launcher's pipeline root is %q, outside the profile's own %q, where "+
			"its role cannot write", root, kubeflow.ProfilePipelineRoot(in.Bucket, ns)))
		action = fmt.Sprintf("kubectl -n %s delete configmap %s (the profile hook writes it again; kfaws apply does this for "+
			"the ones kfaws's hook wrote)", ns, kubeflow.LauncherConfig)
	default:
		good = append(good, "kfp-launcher on "+root)
	}
	if in.Static {
		if missing, err := secretKeysMissing(ctx, in.Kube, ns, kubeflow.ObjectStoreSecret, minioKeys); err != nil || len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("Secret %q: %s", kubeflow.ObjectStoreSecret, missingOrErr(missing, err)))
		} else {
			good = append(good, "Secret "+kubeflow.ObjectStoreSecret)
		}
	}
	if problem, ok, fix := profileRole(ctx, in, ns); problem != "" {
		problems, action = append(problems, problem), fix
	} else if ok != "" {
		good = append(good, ok)
	}
	if len(problems) > 0 {
		w.add(name, Fail, strings.Join(problems, "; "), action)
		return
	}
	w.ok(name, strings.Join(good, ", "))
}

// profileRole checks the role profile ns's pipelines assume (irsa and pod-identity modes): with the roles up
// recorded per profile, that ns has one and, under IRSA, that default-editor names it; with none recorded (an
// older state file), the configured profile's default-editor under IRSA. It returns a problem and what fixes
// it, or what is good ("" when nothing was checked).
func profileRole(ctx context.Context, in ClusterInput, ns string) (problem, good, action string) {
	if in.Static {
		return "", "", ""
	}
	want := in.ProfileRoleARN
	if len(in.ProfileRoleARNs) > 0 {
		role, ok := in.ProfileRoleARNs[ns]
		if !ok {
			return fmt.Sprintf("profile %s has no S3 access of its own: kfaws up recorded no IAM role for it", ns), "",
				"run kfaws up, then kfaws apply"
		}
		if in.PodIdentity {
			return "", "S3 access through IAM role " + role, "" // the association is checked in the EKS API
		}
		want = role
	} else if ns != in.ProfileNamespace || in.PodIdentity {
		return "", "", ""
	}
	got, err := roleOf(ctx, in.Kube, ns, kubeflow.PipelineRunnerAccount)
	switch {
	case err != nil:
		return err.Error(), "", "run kfaws apply (it sets the role on default-editor)"
	case got == "" || (want != "" && got != want):
		return fmt.Sprintf("default-editor assumes %q, not the profile role %q", got, want), "",
			"run kfaws apply (it sets the role on default-editor)"
	}
	return "", "default-editor assumes " + got, ""
}

func launcherRoot(ctx context.Context, k *kube.Client, ns string) (string, error) {
	u, ok, err := get(ctx, k, gvrConfigMap, ns, kubeflow.LauncherConfig)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("no ConfigMap %q, so pipelines there use the launcher's default minio:// root", kubeflow.LauncherConfig)
	}
	root, _, _ := unstructured.NestedString(u.Object, "data", "defaultPipelineRoot")
	return root, nil
}

func secretKeysMissing(ctx context.Context, k *kube.Client, ns, secret string, keys []string) ([]string, error) {
	u, ok, err := get(ctx, k, gvrSecret, ns, secret)
	if err != nil || !ok {
		return keys, err
	}
	data, _, _ := unstructured.NestedMap(u.Object, "data")
	have := map[string]bool{}
	for key, v := range data {
		if s, _ := v.(string); s != "" {
			have[key] = true
		}
	}
	return missingKeys(have, keys), nil
}

func roleOf(ctx context.Context, k *kube.Client, ns, sa string) (string, error) {
	u, ok, err := get(ctx, k, gvrServiceAccount, ns, sa)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("ServiceAccount %q is missing", sa)
	}
	return u.GetAnnotations()[identity.RoleARNAnnotation], nil
}

func missingOrErr(missing []string, err error) string {
	if err != nil {
		return err.Error()
	}
	return "missing or empty keys " + strings.Join(missing, ", ")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
