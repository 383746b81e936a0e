// Package migrate moves an existing Kubeflow's data out of the cluster: the in-cluster MySQL servers of KFP and
// Katib into the installation's RDS instance, and the in-cluster object store (MinIO up to v1.10, SeaweedFS from
// v1.11) into its S3 bucket. This package finds the sources in the cluster, reaches them and stops the writers;
// dbcopy and objcopy copy and verify.
package migrate

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/kubeflow"
)

// DBServer is an in-cluster MySQL server and the account that reads it. Password is a secret: it is never
// printed and has no JSON name.
type DBServer struct {
	// Service is the Kubernetes Service in front of the server; Address, when given, replaces reaching it.
	Service string `json:"service"`
	Address string `json:"address,omitempty"`
	User    string `json:"user"`
	// Password is root's, read from the release's Secret.
	Password string `json:"-"`
	// Databases are the databases to copy, source name first, destination name second.
	Databases []DatabaseName `json:"databases"`
}

// DatabaseName is a database's name on the source and on the destination, and whose it is.
type DatabaseName struct {
	// Role is pipeline, cache, metadata or katib.
	Role string `json:"role"`
	From string `json:"from"`
	To   string `json:"to"`
}

// The roles of the databases.
const (
	RolePipeline = "pipeline"
	RoleCache    = "cache"
	RoleMetadata = "metadata"
	RoleKatib    = "katib"
)

// Database returns the database with the role, if the server holds it.
func (s *DBServer) Database(role string) (DatabaseName, bool) {
	if s == nil {
		return DatabaseName{}, false
	}
	for _, d := range s.Databases {
		if d.Role == role {
			return d, true
		}
	}
	return DatabaseName{}, false
}

// ObjectStore is the in-cluster object store.
type ObjectStore struct {
	// Kind is "minio" or "seaweedfs".
	Kind    string `json:"kind"`
	Service string `json:"service"`
	// Port is the Service port of the S3 API.
	Port int32 `json:"port"`
	// Endpoint, when given, replaces reaching the Service (http://HOST:PORT).
	Endpoint  string `json:"endpoint,omitempty"`
	Bucket    string `json:"bucket"`
	AccessKey string `json:"-"`
	SecretKey string `json:"-"`
}

// Source is what a migration reads. A nil part is not migrated.
type Source struct {
	KFP   *DBServer    `json:"kfp,omitempty"`
	Katib *DBServer    `json:"katib,omitempty"`
	Store *ObjectStore `json:"objectStore,omitempty"`
	// Version is KFP's version from pipeline-install-config (appVersion), for the report.
	Version string `json:"kfpVersion,omitempty"`
}

// Want says which parts to look for, and the destination's names and addresses given by the user.
type Want struct {
	Databases bool
	Objects   bool
	// KatibDatabase is the destination database of Katib's data (the RDS secret's database).
	KatibDatabase string
	// KFPAddress, KatibAddress and StoreEndpoint replace reaching the Services through the cluster.
	KFPAddress, KatibAddress, StoreEndpoint string
}

// NotFoundError says that the cluster runs none of the in-cluster storage asked for: there is nothing to migrate.
type NotFoundError struct{ What []string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("nothing to migrate: the cluster has no %s in namespace %s (kfaws migrate reads the storage "+
		"of a default install; run it before kfaws apply replaces that storage)", joinOr(e.What), kubeflow.Namespace)
}

// Discover finds the in-cluster storage of the release running in the cluster and reads its credentials from the
// release's Secrets. A part that the cluster does not run is nil; when none of the wanted parts runs the error
// is a *NotFoundError.
func Discover(ctx context.Context, cs kubernetes.Interface, want Want) (*Source, error) {
	ns := kubeflow.Namespace
	install, err := configMapData(ctx, cs, ns, kubeflow.InstallConfig)
	if err != nil {
		return nil, err
	}
	src := &Source{Version: install[kubeflow.InstallConfigVersion]}
	var missing []string
	if want.Databases {
		if src.KFP, err = discoverKFP(ctx, cs, install, want.KFPAddress); err != nil {
			return nil, err
		}
		if src.KFP == nil {
			missing = append(missing, "Deployment "+kubeflow.KFPDatabaseService)
		}
		if src.Katib, err = discoverKatib(ctx, cs, want.KatibDatabase, want.KatibAddress); err != nil {
			return nil, err
		}
		if src.Katib == nil {
			missing = append(missing, "Deployment "+kubeflow.KatibDatabaseService)
		}
	}
	if want.Objects {
		if src.Store, err = discoverStore(ctx, cs, install, want.StoreEndpoint); err != nil {
			return nil, err
		}
		if src.Store == nil {
			missing = append(missing, "Service "+kubeflow.MinIOService+" or "+kubeflow.SeaweedFSService)
		}
	}
	if src.KFP == nil && src.Katib == nil && src.Store == nil {
		return nil, &NotFoundError{What: missing}
	}
	return src, nil
}

func discoverKFP(ctx context.Context, cs kubernetes.Interface, install map[string]string, address string) (*DBServer, error) {
	if ok, err := deploymentExists(ctx, cs, kubeflow.KFPDatabaseService); err != nil || !ok {
		return nil, err
	}
	sec, err := secretData(ctx, cs, kubeflow.DBSecret)
	if err != nil {
		return nil, err
	}
	user := sec["username"]
	if user == "" {
		user = "root"
	}
	name := func(role, key, def string) DatabaseName {
		n := install[key]
		if n == "" {
			n = def
		}
		return DatabaseName{Role: role, From: n, To: n}
	}
	return &DBServer{Service: kubeflow.KFPDatabaseService, Address: address, User: user, Password: sec["password"],
		Databases: []DatabaseName{
			name(RolePipeline, kubeflow.InstallConfigPipelineDB, kubeflow.DefaultPipelineDB),
			name(RoleCache, kubeflow.InstallConfigCacheDB, kubeflow.DefaultCacheDB),
			name(RoleMetadata, kubeflow.InstallConfigMetadataDB, kubeflow.DefaultMetadataDB),
		}}, nil
}

func discoverKatib(ctx context.Context, cs kubernetes.Interface, dest, address string) (*DBServer, error) {
	if ok, err := deploymentExists(ctx, cs, kubeflow.KatibDatabaseService); err != nil || !ok {
		return nil, err
	}
	sec, err := secretData(ctx, cs, kubeflow.KatibDatabaseSecret)
	if err != nil {
		return nil, err
	}
	from := kubeflow.DefaultKatibDB
	if d, err := cs.AppsV1().Deployments(kubeflow.Namespace).Get(ctx, kubeflow.KatibDBManager, metav1.GetOptions{}); err == nil {
		if v := containerEnv(d, kubeflow.KatibDatabaseNameEnv); v != "" {
			from = v
		}
	}
	if dest == "" {
		dest = from
	}
	return &DBServer{Service: kubeflow.KatibDatabaseService, Address: address, User: "root",
		Password: sec[kubeflow.KatibDatabasePasswordKey], Databases: []DatabaseName{{Role: RoleKatib, From: from, To: dest}}}, nil
}

// discoverStore prefers SeaweedFS: v1.11 keeps a minio-service that is only an alias in front of it.
func discoverStore(ctx context.Context, cs kubernetes.Interface, install map[string]string, endpoint string) (*ObjectStore, error) {
	var st *ObjectStore
	for _, c := range []struct {
		kind, service string
		port          int32
	}{{"seaweedfs", kubeflow.SeaweedFSService, 8333}, {"minio", kubeflow.MinIOService, 9000}} {
		ok, err := deploymentExists(ctx, cs, map[string]string{"seaweedfs": "seaweedfs", "minio": "minio"}[c.kind])
		if err != nil {
			return nil, err
		}
		if ok {
			st = &ObjectStore{Kind: c.kind, Service: c.service, Port: c.port}
			break
		}
	}
	if st == nil {
		return nil, nil
	}
	sec, err := secretData(ctx, cs, kubeflow.ObjectStoreSecret)
	if err != nil {
		return nil, err
	}
	st.AccessKey, st.SecretKey, st.Endpoint = sec["accesskey"], sec["secretkey"], endpoint
	st.Bucket = install[kubeflow.InstallConfigBucket]
	if st.Bucket == "" {
		st.Bucket = kubeflow.DefaultBucket
	}
	return st, nil
}

func deploymentExists(ctx context.Context, cs kubernetes.Interface, name string) (bool, error) {
	_, err := cs.AppsV1().Deployments(kubeflow.Namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("reading Deployment %s/%s: %w", kubeflow.Namespace, name, err)
	}
	return true, nil
}

func secretData(ctx context.Context, cs kubernetes.Interface, name string) (map[string]string, error) {
	s, err := cs.CoreV1().Secrets(kubeflow.Namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("secret %s/%s is missing: the in-cluster storage runs without the credentials its "+
				"release gives it; restore the Secret from your Kubeflow manifests", kubeflow.Namespace, name)
		}
		return nil, fmt.Errorf("reading Secret %s/%s: %w", kubeflow.Namespace, name, err)
	}
	out := map[string]string{}
	for k, v := range s.Data {
		out[k] = string(v)
	}
	for k, v := range s.StringData {
		out[k] = v
	}
	return out, nil
}

func configMapData(ctx context.Context, cs kubernetes.Interface, ns, name string) (map[string]string, error) {
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ConfigMap %s/%s: %w", ns, name, err)
	}
	return cm.Data, nil
}

func containerEnv(d *appsv1.Deployment, name string) string {
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == name {
				return e.Value
			}
		}
	}
	return ""
}

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return "in-cluster storage"
	case 1:
		return s[0]
	}
	out := s[0]
	for _, x := range s[1 : len(s)-1] {
		out += ", " + x
	}
	return out + " or " + s[len(s)-1]
}
