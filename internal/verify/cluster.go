package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// Names of the objects the rendered overlay creates or relies on (internal/render).
const (
	csiDriverName = "secrets-store.csi.k8s.io"
	csiNamespace  = "kube-system"
)

var (
	gvrConfigMap      = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	gvrSecret         = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	gvrService        = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	gvrPVC            = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	gvrServiceAccount = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	gvrDeployment     = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrDaemonSet      = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}
	gvrCSIDriver      = schema.GroupVersionResource{Group: "storage.k8s.io", Version: "v1", Resource: "csidrivers"}
	gvrSPC            = schema.GroupVersionResource{Group: "secrets-store.csi.x-k8s.io", Version: "v1", Resource: "secretproviderclasses"}
)

// ClusterInput is what the cluster checks need.
type ClusterInput struct {
	Kube   *kube.Client
	Option config.Option
	// Static is true when KFP uses static S3 keys (synced into mlpipeline-minio-artifact).
	Static bool
	// RDSSecretName and S3SecretName are the Secrets Manager secrets the SecretProviderClasses must name.
	RDSSecretName, S3SecretName string
	// BackendRoleARN and SecretsRoleARN are the IRSA roles up created; empty means "any role annotation".
	BackendRoleARN, SecretsRoleARN string
	// Bucket is where every profile's pipeline root must be; ProfileNamespace and ProfileRoleARN are the profile
	// whose default-editor gets the profile role (irsa).
	Bucket, ProfileNamespace, ProfileRoleARN string
	// ProfileRoleARNs maps every profile namespace up gave S3 access to its role (state.Outputs.ProfileRoleARNs).
	// When set, every profile namespace must have an entry and, under IRSA, its default-editor that role; when
	// empty (a state file from before it), only ProfileNamespace's default-editor is checked.
	ProfileRoleARNs map[string]string
	// ComponentUsers is true when each database client has its own user, synced into a Secret of its own.
	ComponentUsers bool
	// PodIdentity is true when the roles are bound by EKS Pod Identity associations (CheckAssociations checks
	// them) instead of ServiceAccount annotations.
	PodIdentity bool
}

// credentials is the S3 credentials mode the input describes.
func (in ClusterInput) credentials() config.CredentialMode {
	if in.Static {
		return config.CredentialsStatic
	}
	return config.CredentialsIRSA
}

// InstallConfigDBNames returns n with the database names pipeline-install-config sets, when it can be read.
func InstallConfigDBNames(ctx context.Context, k *kube.Client, n DBNames) DBNames {
	cm, err := k.Dynamic.Resource(gvrConfigMap).Namespace(kubeflow.Namespace).Get(ctx, kubeflow.InstallConfig, metav1.GetOptions{})
	if err != nil {
		return n
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	for key, p := range map[string]*string{kubeflow.InstallConfigPipelineDB: &n.Pipeline, kubeflow.InstallConfigCacheDB: &n.Cache, kubeflow.InstallConfigMetadataDB: &n.Metadata} {
		if data[key] != "" {
			*p = data[key]
		}
	}
	return n
}

// CheckCluster runs the Kubernetes checks. It only reads.
func CheckCluster(ctx context.Context, r *Report, in ClusterInput) {
	w := recorder{r: r, area: AreaCluster}
	// One line for an unreachable cluster instead of one failed read per check.
	if _, err := in.Kube.Discovery.ServerVersion(); err != nil {
		w.add("cluster access", Fail, fmt.Sprintf("reaching the Kubernetes API at %q: %v", in.Kube.Config.Host, err),
			"check --kubeconfig/--context (aws eks update-kubeconfig), or run with --only db,s3")
		return
	}
	checkCSI(ctx, w, in.Kube, in.PodIdentity)
	static := config.StaticS3(in.Option, in.credentials())
	if in.Option.UsesRDS() {
		checkProviderClass(ctx, w, in.Kube, kubeflow.RDSProviderClass, in.RDSSecretName, kubeflow.DBSecret, mysqlKeys)
		checkSyncedSecret(ctx, w, in.Kube, kubeflow.DBSecret, kubeflow.RDSProviderClass, mysqlKeys)
		if in.ComponentUsers {
			for _, c := range dbusers.All {
				checkSyncedSecret(ctx, w, in.Kube, c.KubeSecret(), c.ProviderClass(), []string{"username", "password"})
			}
		}
	}
	if static {
		checkProviderClass(ctx, w, in.Kube, kubeflow.S3ProviderClass, in.S3SecretName, kubeflow.ObjectStoreSecret, minioKeys)
		checkSyncedSecret(ctx, w, in.Kube, kubeflow.ObjectStoreSecret, kubeflow.S3ProviderClass, minioKeys)
	}
	checkServiceAccounts(ctx, w, in)
	for _, wl := range workloads(in.Option.UsesRDS(), static) {
		checkWorkload(ctx, w, in.Kube, wl)
	}
	if in.Option.UsesS3() {
		checkProfiles(ctx, w, in)
	}
	checkLeftovers(ctx, w, in.Kube, in.Option)
}

var (
	mysqlKeys = []string{"username", "password", "host", "port", "database"}
	minioKeys = []string{"accesskey", "secretkey"}
)

func get(ctx context.Context, k *kube.Client, gvr schema.GroupVersionResource, ns, name string) (*unstructured.Unstructured, bool, error) {
	u, err := k.Dynamic.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading %s %q: %w", gvr.Resource, name, err)
	}
	return u, true, nil
}

func checkCSI(ctx context.Context, w recorder, k *kube.Client, podIdentity bool) {
	const name = "csi driver"
	action := "kfaws apply installs the Secrets Store CSI driver and its AWS provider"
	driverObj, ok, err := get(ctx, k, gvrCSIDriver, "", csiDriverName)
	if err != nil || !ok {
		w.add(name, Fail, fmt.Sprintf("CSIDriver %q is not installed%s", csiDriverName, errSuffix(err)), action)
		return
	}
	list, err := k.Dynamic.Resource(gvrDaemonSet).Namespace(csiNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		w.add(name, Fail, fmt.Sprintf("listing DaemonSets in %q: %v", csiNamespace, err), "")
		return
	}
	var driver, provider string
	for _, ds := range list.Items {
		n := ds.GetName()
		switch {
		case strings.Contains(n, "provider-aws"):
			provider = n
		case strings.Contains(n, "secrets-store"):
			driver = n
		}
	}
	if driver == "" || provider == "" {
		w.add(name, Fail, fmt.Sprintf("in %q: driver DaemonSet %q, AWS provider DaemonSet %q (empty = missing)",
			csiNamespace, driver, provider), action)
		return
	}
	if podIdentity {
		if detail, action := missingPodIdentityAudience(driverObj); detail != "" {
			w.add(name, Warn, detail, action)
			return
		}
	}
	w.ok(name, fmt.Sprintf("CSIDriver %q, DaemonSets %q and %q", csiDriverName, driver, provider))
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func checkProviderClass(ctx context.Context, w recorder, k *kube.Client, class, smSecret, target string, keys []string) {
	name := "secret provider class " + class
	action := "kfaws apply creates it from the rendered overlay"
	u, ok, err := get(ctx, k, gvrSPC, kubeflow.Namespace, class)
	if err != nil || !ok {
		w.add(name, Fail, fmt.Sprintf("SecretProviderClass %q is missing in %q%s", class, kubeflow.Namespace, errSuffix(err)), action)
		return
	}
	objects, _, _ := unstructured.NestedString(u.Object, "spec", "parameters", "objects")
	if !strings.Contains(objects, "objectName: "+smSecret) && !strings.Contains(objects, `objectName: "`+smSecret+`"`) {
		w.add(name, Fail, fmt.Sprintf("it does not read Secrets Manager secret %q", smSecret), action)
		return
	}
	sos, _, _ := unstructured.NestedSlice(u.Object, "spec", "secretObjects")
	for _, so := range sos {
		m, _ := so.(map[string]any)
		if m["secretName"] != target {
			continue
		}
		have := map[string]bool{}
		data, _ := m["data"].([]any)
		for _, d := range data {
			dm, _ := d.(map[string]any)
			if key, _ := dm["key"].(string); key != "" {
				have[key] = true
			}
		}
		if missing := missingKeys(have, keys); len(missing) > 0 {
			w.add(name, Fail, fmt.Sprintf("it syncs Secret %q without keys %s", target, strings.Join(missing, ", ")), action)
			return
		}
		w.ok(name, fmt.Sprintf("reads %q and syncs Secret %q", smSecret, target))
		return
	}
	w.add(name, Fail, fmt.Sprintf("it does not sync Secret %q", target), action)
}

func missingKeys(have map[string]bool, want []string) []string {
	var missing []string
	for _, k := range want {
		if !have[k] {
			missing = append(missing, k)
		}
	}
	return missing
}

func checkSyncedSecret(ctx context.Context, w recorder, k *kube.Client, secret, class string, keys []string) {
	name := "synced secret " + secret
	u, ok, err := get(ctx, k, gvrSecret, kubeflow.Namespace, secret)
	if err != nil || !ok {
		w.add(name, Fail, fmt.Sprintf("Secret %q is missing in %q%s; the CSI driver creates it only while a pod "+
			"mounts SecretProviderClass %q", secret, kubeflow.Namespace, errSuffix(err), class),
			"check that Deployment aws-secrets-sync runs (kubectl -n kubeflow describe deployment aws-secrets-sync)")
		return
	}
	data, _, _ := unstructured.NestedMap(u.Object, "data")
	have := map[string]bool{}
	for key := range data {
		have[key] = true
	}
	if missing := missingKeys(have, keys); len(missing) > 0 {
		w.add(name, Fail, fmt.Sprintf("Secret %q lacks keys %s", secret, strings.Join(missing, ", ")),
			fmt.Sprintf("fix SecretProviderClass %q (kfaws apply)", class))
		return
	}
	w.ok(name, fmt.Sprintf("Secret %q has keys %s", secret, strings.Join(keys, ", ")))
}

// workload is a Deployment and the Secrets it must read.
type workload struct {
	name    string
	secrets []string
}

func workloads(rds, staticS3 bool) []workload {
	var out []workload
	if rds {
		for _, d := range []string{kubeflow.CacheServer, kubeflow.MetadataGRPC, kubeflow.KatibDBManager} {
			out = append(out, workload{d, []string{kubeflow.DBSecret}})
		}
	}
	api := workload{name: kubeflow.APIServer}
	if rds {
		api.secrets = append(api.secrets, kubeflow.DBSecret)
	}
	if staticS3 {
		api.secrets = append(api.secrets, kubeflow.ObjectStoreSecret)
	}
	if len(api.secrets) > 0 {
		out = append([]workload{api}, out...)
	}
	return out
}

func checkWorkload(ctx context.Context, w recorder, k *kube.Client, wl workload) {
	name := "deployment " + wl.name
	u, ok, err := get(ctx, k, gvrDeployment, kubeflow.Namespace, wl.name)
	if err != nil || !ok {
		w.add(name, Fail, fmt.Sprintf("Deployment %q is missing in %q%s", wl.name, kubeflow.Namespace, errSuffix(err)), "run kfaws apply")
		return
	}
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &d); err != nil {
		w.add(name, Fail, fmt.Sprintf("reading Deployment %q: %v", wl.name, err), "")
		return
	}
	refs := secretRefs(d.Spec.Template.Spec)
	var missing []string
	for _, s := range wl.secrets {
		if !refs[s] {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		w.add(name, Fail, fmt.Sprintf("Deployment %q does not read Secret %s", wl.name, strings.Join(missing, ", ")),
			"apply the overlay kfaws renders (kfaws apply)")
		return
	}
	w.ok(name, fmt.Sprintf("reads Secret %s", strings.Join(wl.secrets, ", ")))
}

// secretRefs lists the Secrets a pod template reads through env, envFrom or volumes.
func secretRefs(spec corev1.PodSpec) map[string]bool {
	refs := map[string]bool{}
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				refs[e.ValueFrom.SecretKeyRef.Name] = true
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil {
				refs[e.SecretRef.Name] = true
			}
		}
	}
	for _, v := range spec.Volumes {
		if v.Secret != nil {
			refs[v.Secret.SecretName] = true
		}
	}
	return refs
}

// leftover is an in-cluster database or object store object that must be gone for an option.
type leftover struct {
	gvr  schema.GroupVersionResource
	kind string
	name string
}

// leftoverKinds are the kinds whose presence means the in-cluster storage still runs or holds data.
var leftoverKinds = map[string]schema.GroupVersionResource{"Deployment": gvrDeployment, "Service": gvrService,
	"PersistentVolumeClaim": gvrPVC}

func leftoversFor(o config.Option) []leftover {
	var stores [][]kubeflow.Object
	if o.UsesRDS() {
		stores = append(stores, kubeflow.KFPDatabase, kubeflow.KatibDatabase)
	}
	if o.UsesS3() {
		stores = append(stores, kubeflow.MinIO, kubeflow.SeaweedFS)
	}
	var l []leftover
	for _, objs := range stores {
		for _, obj := range objs {
			if gvr, ok := leftoverKinds[obj.Kind]; ok {
				l = append(l, leftover{gvr, obj.Kind, obj.Name})
			}
		}
	}
	return l
}

func checkLeftovers(ctx context.Context, w recorder, k *kube.Client, o config.Option) {
	const name = "in-cluster storage removed"
	var found []string
	for _, l := range leftoversFor(o) {
		_, ok, err := get(ctx, k, l.gvr, kubeflow.Namespace, l.name)
		if err != nil {
			w.add(name, Warn, err.Error(), "")
			return
		}
		if ok {
			found = append(found, fmt.Sprintf("%s %q", l.kind, l.name))
		}
	}
	sort.Strings(found)
	if len(found) > 0 {
		w.add(name, Fail, fmt.Sprintf("still in %q with option %s: %s", kubeflow.Namespace, o, strings.Join(found, ", ")),
			"copy any data you still need out of them, then apply kfaws's overlay (kfaws apply) or delete them with kubectl")
		return
	}
	w.ok(name, fmt.Sprintf("no in-cluster MySQL/MinIO/SeaweedFS objects for option %s", o))
}
