package render

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbusers"
	"github.com/kfaws/kfaws/internal/identity"
	"github.com/kfaws/kfaws/internal/kubeflow"
)

// built indexes built objects by kind and name.
type built struct {
	objs  []obj
	index map[string]obj
}

func newBuilt(objs []obj) *built {
	b := &built{objs: objs, index: map[string]obj{}}
	for _, o := range objs {
		b.index[str(o, "kind")+"/"+str(o, "metadata", "name")] = o
	}
	return b
}

func (b *built) get(kind, name string) obj { return b.index[kind+"/"+name] }

// str walks nested maps and returns the string at the path ("" when absent).
func str(o obj, path ...string) string {
	var cur any = o
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}

func sub(o obj, path ...string) obj {
	var cur any = o
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	m, _ := cur.(map[string]any)
	return m
}

// containerEnv returns the env entries of a Deployment's container by name.
func containerEnv(t *testing.T, d obj, container string) map[string]obj {
	t.Helper()
	cs, _ := sub(d, "spec", "template", "spec")["containers"].([]any)
	for _, c := range cs {
		cm := c.(map[string]any)
		if cm["name"] != container {
			continue
		}
		env := map[string]obj{}
		list, _ := cm["env"].([]any)
		for _, e := range list {
			em := e.(map[string]any)
			env[em["name"].(string)] = em
		}
		return env
	}
	t.Fatalf("Deployment %q has no container %q", str(d, "metadata", "name"), container)
	return nil
}

// resolve returns what an env entry evaluates to: its value, or the ConfigMap value it references, or
// "secret:NAME/KEY" for a Secret reference.
func (b *built) resolve(t *testing.T, e obj) string {
	t.Helper()
	if e == nil {
		return "<unset>"
	}
	if v, ok := e["value"].(string); ok {
		return v
	}
	if ref := sub(e, "valueFrom", "configMapKeyRef"); ref != nil {
		cm := b.get("ConfigMap", ref["name"].(string))
		if cm == nil {
			t.Fatalf("env %q reads ConfigMap %q, which is not built", e["name"], ref["name"])
		}
		return str(cm, "data", ref["key"].(string))
	}
	if ref := sub(e, "valueFrom", "secretKeyRef"); ref != nil {
		return "secret:" + ref["name"].(string) + "/" + ref["key"].(string)
	}
	return "<other>"
}

// syncedKeys maps Secret name -> keys that a SecretProviderClass syncs into it.
func (b *built) syncedKeys() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, o := range b.objs {
		if str(o, "kind") != "SecretProviderClass" {
			continue
		}
		sos, _ := sub(o, "spec")["secretObjects"].([]any)
		for _, so := range sos {
			m := so.(map[string]any)
			keys := map[string]bool{}
			data, _ := m["data"].([]any)
			for _, d := range data {
				keys[d.(map[string]any)["key"].(string)] = true
			}
			out[m["secretName"].(string)] = keys
		}
	}
	return out
}

// checkSecretRefs: every secretKeyRef of every Deployment names a Secret that is built with that key or synced
// by a SecretProviderClass with that key, and every synced Secret's class is mounted by aws-secrets-sync.
func (b *built) checkSecretRefs(t *testing.T) {
	synced := b.syncedKeys()
	for _, o := range b.objs {
		if str(o, "kind") != "Deployment" {
			continue
		}
		cs, _ := sub(o, "spec", "template", "spec")["containers"].([]any)
		for _, c := range cs {
			env, _ := c.(map[string]any)["env"].([]any)
			for _, e := range env {
				ref := sub(e.(map[string]any), "valueFrom", "secretKeyRef")
				if ref == nil {
					continue
				}
				name, key := ref["name"].(string), ref["key"].(string)
				if synced[name][key] {
					continue
				}
				s := b.get("Secret", name)
				if s == nil || (sub(s, "data")[key] == nil && sub(s, "stringData")[key] == nil) {
					t.Errorf("Deployment %q reads Secret %q key %q, which is neither built nor synced",
						str(o, "metadata", "name"), name, key)
				}
			}
		}
	}
}

// checkBuilt holds the semantic assertions for one case.
func checkBuilt(t *testing.T, c renderCase, res *Result, objs []obj) {
	b := newBuilt(objs)
	v := c.values()
	b.checkSecretRefs(t)
	if c.users {
		checkComponentUsers(t, b)
	}
	if c.opt.UsesRDS() {
		checkRDS(t, b, v)
	} else if b.get("Deployment", "mysql") == nil || b.get("Deployment", "katib-mysql") == nil {
		t.Errorf("%s keeps the databases in the cluster, but a MySQL Deployment is gone", c.opt)
	}
	if c.opt.UsesS3() {
		checkS3(t, b, v, res)
	} else if b.get("Secret", kubeflow.ObjectStoreSecret) == nil {
		t.Errorf("%s keeps the object store in the cluster, but its Secret is gone", c.opt)
	}
	for _, o := range objs {
		if str(o, "kind") == "Secret" && str(o, "metadata", "name") == kubeflow.DBSecret && c.opt.UsesRDS() {
			t.Errorf("upstream mysql-secret (root, no password) is still built; the synced one must replace it")
		}
	}
}

func checkRDS(t *testing.T, b *built, v Values) {
	t.Helper()
	for _, gone := range []string{"Deployment/mysql", "Service/mysql", "PersistentVolumeClaim/mysql-pv-claim",
		"AuthorizationPolicy/mysql", "DestinationRule/ml-pipeline-mysql", "Deployment/katib-mysql",
		"Service/katib-mysql", "PersistentVolumeClaim/katib-mysql", "Secret/katib-mysql-secrets"} {
		if b.index[gone] != nil {
			t.Errorf("%s is still built with an RDS option", gone)
		}
	}
	// Every KFP DB client reads the RDS host and port, whichever key pair its release uses.
	readers := []struct{ deploy, container, host, port string }{
		{"ml-pipeline", "ml-pipeline-api-server", "DBCONFIG_HOST", "DBCONFIG_PORT"},
		{"cache-server", "server", "DBCONFIG_HOST_NAME", "DBCONFIG_PORT"},
		{"metadata-grpc-deployment", "container", "MYSQL_HOST", "MYSQL_PORT"},
	}
	for _, r := range readers {
		env := containerEnv(t, b.get("Deployment", r.deploy), r.container)
		if got := b.resolve(t, env[r.host]); got != v.DBHost {
			t.Errorf("%s %s = %q, want the RDS host", r.deploy, r.host, got)
		}
		if got := b.resolve(t, env[r.port]); got != "3306" {
			t.Errorf("%s %s = %q, want 3306", r.deploy, r.port, got)
		}
	}
	api := containerEnv(t, b.get("Deployment", "ml-pipeline"), "ml-pipeline-api-server")
	if e, ok := api["DBCONFIG_MYSQLCONFIG_HOST"]; ok {
		if got := b.resolve(t, e); got != v.DBHost {
			t.Errorf("ml-pipeline DBCONFIG_MYSQLCONFIG_HOST = %q, want the RDS host", got)
		}
	}
	katib := containerEnv(t, b.get("Deployment", "katib-db-manager"), "katib-db-manager")
	for env, key := range map[string]string{"DB_USER": "username", "DB_PASSWORD": "password",
		"KATIB_MYSQL_DB_HOST": "host", "KATIB_MYSQL_DB_PORT": "port", "KATIB_MYSQL_DB_DATABASE": "database"} {
		want := "secret:mysql-secret/" + key
		if v.ComponentUsers && (key == "username" || key == "password") {
			want = "secret:" + dbusers.Katib.KubeSecret() + "/" + key
		}
		if got := b.resolve(t, katib[env]); got != want {
			t.Errorf("katib-db-manager %s = %q, want %q", env, got, want)
		}
	}
	if b.resolve(t, katib["DB_NAME"]) != "mysql" {
		t.Errorf("katib-db-manager DB_NAME must stay mysql")
	}
	if b.get("AuthorizationPolicy", "katib-ui") == nil {
		t.Errorf("katib-with-kubeflow integration pieces were lost")
	}
	spc := b.get("SecretProviderClass", kubeflow.RDSProviderClass)
	if spc == nil || !strings.Contains(str(spc, "spec", "parameters", "objects"), v.RDSSecretName) {
		t.Errorf("no SecretProviderClass syncing %q", v.RDSSecretName)
	}
	checkSecretsSync(t, b, v)
}

func checkSecretsSync(t *testing.T, b *built, v Values) {
	t.Helper()
	sa := b.get("ServiceAccount", kubeflow.SecretsSyncAccount)
	if v.podIdentity() {
		checkPodIdentitySecrets(t, b, sa)
	} else if str(sa, "metadata", "annotations", identity.RoleARNAnnotation) != v.SecretsRoleARN {
		t.Errorf("ServiceAccount %s lacks the secrets role annotation", kubeflow.SecretsSyncAccount)
	}
	d := b.get("Deployment", kubeflow.SecretsSync)
	if str(d, "spec", "template", "spec", "serviceAccountName") != kubeflow.SecretsSyncAccount {
		t.Fatalf("Deployment %s does not run as %s", kubeflow.SecretsSync, kubeflow.SecretsSyncAccount)
	}
	mounted := map[string]bool{}
	vols, _ := sub(d, "spec", "template", "spec")["volumes"].([]any)
	for _, vol := range vols {
		mounted[str(vol.(map[string]any), "csi", "volumeAttributes", "secretProviderClass")] = true
	}
	for _, o := range b.objs {
		if str(o, "kind") == "SecretProviderClass" && !mounted[str(o, "metadata", "name")] {
			t.Errorf("SecretProviderClass %q is not mounted by %s, so its Secret is never synced",
				str(o, "metadata", "name"), kubeflow.SecretsSync)
		}
	}
}

func checkS3(t *testing.T, b *built, v Values, res *Result) {
	t.Helper()
	for _, o := range b.objs {
		kind, name := str(o, "kind"), str(o, "metadata", "name")
		if (strings.Contains(name, "minio") && kind != "Secret") || strings.Contains(name, "seaweedfs") {
			t.Errorf("%s/%s is still built with an S3 option", kind, name)
		}
		data, _ := yaml.Marshal(o)
		for _, host := range []string{"minio-service", "seaweedfs"} {
			if strings.Contains(string(data), host) {
				t.Errorf("%s/%s still mentions %q", kind, name, host)
			}
		}
	}
	if got := str(b.get("ConfigMap", kubeflow.InstallConfig), "data", "bucketName"); got != v.Bucket {
		t.Errorf("pipeline-install-config bucketName = %q", got)
	}
	api := containerEnv(t, b.get("Deployment", "ml-pipeline"), "ml-pipeline-api-server")
	want := map[string]string{"OBJECTSTORECONFIG_HOST": "s3.us-west-2.amazonaws.com", "OBJECTSTORECONFIG_REGION": v.Region,
		"OBJECTSTORECONFIG_BUCKETNAME": v.Bucket, "OBJECTSTORECONFIG_SECURE": "true", "OBJECTSTORECONFIG_PORT": ""}
	ui := containerEnv(t, b.get("Deployment", "ml-pipeline-ui"), "ml-pipeline-ui")
	if v.podIdentity() {
		checkPodIdentityS3(t, b, v, api)
	}
	if v.Credentials == config.CredentialsIRSA {
		// Present and empty, not removed.
		want["OBJECTSTORECONFIG_ACCESSKEY"], want["OBJECTSTORECONFIG_SECRETACCESSKEY"] = "", ""
		for _, sa := range []string{"ml-pipeline", "ml-pipeline-ui"} {
			if !v.podIdentity() && str(b.get("ServiceAccount", sa), "metadata", "annotations", identity.RoleARNAnnotation) != v.BackendRoleARN {
				t.Errorf("ServiceAccount %s lacks the backend role annotation", sa)
			}
		}
		if _, ok := ui["AWS_ACCESS_KEY_ID"]; ok {
			t.Errorf("ml-pipeline-ui has static keys in irsa mode")
		}
	} else {
		want["OBJECTSTORECONFIG_ACCESSKEY"] = "secret:mlpipeline-minio-artifact/accesskey"
		want["OBJECTSTORECONFIG_SECRETACCESSKEY"] = "secret:mlpipeline-minio-artifact/secretkey"
		if b.resolve(t, ui["AWS_ACCESS_KEY_ID"]) != "secret:mlpipeline-minio-artifact/accesskey" {
			t.Errorf("ml-pipeline-ui does not read the synced S3 keys")
		}
		if !b.syncedKeys()[kubeflow.ObjectStoreSecret]["accesskey"] {
			t.Errorf("mlpipeline-minio-artifact is not synced from Secrets Manager")
		}
		checkSecretsSync(t, b, v)
	}
	for k, w := range want {
		e, ok := api[k]
		if !ok {
			t.Errorf("ml-pipeline lacks env %s", k)
			continue
		}
		if got := b.resolve(t, e); got != w {
			t.Errorf("ml-pipeline %s = %q, want %q", k, got, w)
		}
	}
	if b.resolve(t, ui["AWS_REGION"]) != v.Region {
		t.Errorf("ml-pipeline-ui AWS_REGION is not the bucket's region")
	}
	checkArgo(t, b, v, res)
	checkLauncher(t, sub(b.get("ConfigMap", "kfp-launcher"), "data"), v, res, "s3://"+v.Bucket+"/v2/artifacts")
	checkProfiles(t, b, v, res)
}

func checkArgo(t *testing.T, b *built, v Values, res *Result) {
	t.Helper()
	var repo struct {
		S3 map[string]any `json:"s3"`
	}
	text := str(b.get("ConfigMap", "workflow-controller-configmap"), "data", "artifactRepository")
	if err := yaml.Unmarshal([]byte(text), &repo); err != nil {
		t.Fatalf("artifactRepository: %v", err)
	}
	if repo.S3["bucket"] != v.Bucket || repo.S3["region"] != v.Region || repo.S3["insecure"] != false {
		t.Errorf("Argo repository is not the bucket: %v", repo.S3)
	}
	// Every release: Argo substitutes the workflow's namespace (keyFormat).
	prefix := kubeflow.ProfileArtifacts("{{workflow.namespace}}") + "{{workflow.name}}/"
	if kf, _ := repo.S3["keyFormat"].(string); !strings.HasPrefix(kf, prefix) {
		t.Errorf("Argo keyFormat %q, want %q…", kf, prefix)
	}
	if irsa := v.Credentials == config.CredentialsIRSA; (repo.S3["useSDKCreds"] == true) != irsa {
		t.Errorf("Argo useSDKCreds = %v in %s mode", repo.S3["useSDKCreds"], v.Credentials)
	}
}

func checkLauncher(t *testing.T, data map[string]any, v Values, res *Result, root string) {
	t.Helper()
	if data["defaultPipelineRoot"] != root {
		t.Errorf("kfp-launcher defaultPipelineRoot = %v, want %s", data["defaultPipelineRoot"], root)
	}
	providers, _ := data["providers"].(string)
	if !res.Layout.Caps.LauncherProviders {
		if providers != "" {
			t.Errorf("KFP %s has no providers block, but one was rendered", res.Layout.KFPVersion)
		}
		return
	}
	var p struct {
		S3 struct {
			Default struct {
				Region      string         `json:"region"`
				Credentials map[string]any `json:"credentials"`
			} `json:"default"`
		} `json:"s3"`
	}
	if err := yaml.Unmarshal([]byte(providers), &p); err != nil {
		t.Fatalf("kfp-launcher providers: %v", err)
	}
	if p.S3.Default.Region != v.Region {
		t.Errorf("kfp-launcher providers region = %q", p.S3.Default.Region)
	}
	fromEnv := p.S3.Default.Credentials["fromEnv"] == true
	if fromEnv != (v.Credentials == config.CredentialsIRSA) {
		t.Errorf("kfp-launcher credentials %v in %s mode", p.S3.Default.Credentials, v.Credentials)
	}
}

// checkComponentUsers: every database client reads its user and password from its own synced Secret.
func checkComponentUsers(t *testing.T, b *built) {
	t.Helper()
	for _, r := range []struct {
		c                   dbusers.Component
		container           string
		user, password, alt string
	}{
		{dbusers.KFPAPI, "ml-pipeline-api-server", "DBCONFIG_USER", "DBCONFIG_PASSWORD", "DBCONFIG_MYSQLCONFIG_USER"},
		{dbusers.Cache, "server", "DBCONFIG_USER", "DBCONFIG_PASSWORD", ""},
		{dbusers.MLMD, "container", "DBCONFIG_USER", "DBCONFIG_PASSWORD", ""},
	} {
		env := containerEnv(t, b.get("Deployment", r.c.Workload), r.container)
		for _, name := range []string{r.user, r.password, r.alt} {
			if name == "" {
				continue
			}
			if got := b.resolve(t, env[name]); !strings.HasPrefix(got, "secret:"+r.c.KubeSecret()+"/") {
				t.Errorf("%s %s = %q, want the component's own Secret %q", r.c.Workload, name, got, r.c.KubeSecret())
			}
		}
		if b.get("SecretProviderClass", r.c.ProviderClass()) == nil {
			t.Errorf("no SecretProviderClass %q syncs the %s's secret", r.c.ProviderClass(), r.c.What)
		}
	}
}
