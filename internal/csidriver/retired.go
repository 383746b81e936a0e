package csidriver

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kfaws/kfaws/internal/apply"
)

// retiredObjects are objects earlier kfaws releases installed that the
// pinned versions no longer use: driver v1.6.0 rotates through
// requiresRepublish and takes tokens from the kubelet, so its rotation and
// token request roles are gone (kubernetes-sigs/secrets-store-csi-driver#1622).
// An apply over an older install deletes them; the applier never prunes.
var retiredObjects = []struct {
	gvr  schema.GroupVersionResource
	name string
}{
	{clusterRolesGVR, "secretproviderrotation-role"},
	{clusterRoleBindingsGVR, "secretproviderrotation-rolebinding"},
	{clusterRolesGVR, "secretprovidertokenrequest-role"},
	{clusterRoleBindingsGVR, "secretprovidertokenrequest-rolebinding"},
}

var (
	clusterRolesGVR        = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	clusterRoleBindingsGVR = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}
)

// deleteRetired deletes the retired objects this installation applied;
// objects under the same names that someone else made are left alone.
func (in *Installer) deleteRetired(ctx context.Context) error {
	for _, r := range retiredObjects {
		res := in.Client.Dynamic.Resource(r.gvr)
		u, err := res.Get(ctx, r.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s %q an older kfaws installed: %w", r.gvr.Resource, r.name, err)
		}
		l := u.GetLabels()
		if l[apply.LabelManagedBy] != apply.ManagedByValue || l[apply.LabelInstallation] != in.Installation {
			continue
		}
		err = res.Delete(ctx, r.name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s %q, which driver %s no longer uses: %w", r.gvr.Resource, r.name, DriverVersion, err)
		}
		fmt.Fprintf(in.Progress, "deleted %s %q (driver %s no longer uses it)\n", r.gvr.Resource, r.name, DriverVersion)
	}
	return nil
}
