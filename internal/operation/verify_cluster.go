package operation

import (
	"context"

	"k8s.io/client-go/kubernetes"

	"github.com/kfaws/kfaws/internal/config"
	"github.com/kfaws/kfaws/internal/dbaccess"
	"github.com/kfaws/kfaws/internal/kube"
	"github.com/kfaws/kfaws/internal/verify"
)

func kubeCluster(k *kube.Client) (*dbaccess.Cluster, error) {
	cs, err := kubernetes.NewForConfig(k.Config)
	if err != nil {
		return nil, err
	}
	return &dbaccess.Cluster{Config: k.Config, Clientset: cs}, nil
}

// cluster returns the Kubernetes client, or nil when there is none (the cluster checks then say why).
func (v *Verify) cluster() *kube.Client {
	k, err := v.KubeClient()
	if err != nil {
		return nil
	}
	return k
}

// clusterDBNames reads the database names the manifests configure from pipeline-install-config, keeping the
// defaults for keys it lacks or when it cannot be read.
func (v *Verify) clusterDBNames(ctx context.Context, n verify.DBNames) verify.DBNames {
	return verify.InstallConfigDBNames(ctx, v.cluster(), n)
}

func (v *Verify) checkCluster(ctx context.Context, r *verify.Report) {
	if v.Config.Identity == config.IdentityPodIdentity {
		// In the EKS API, not the cluster: checked with or without cluster access.
		verify.CheckAssociations(ctx, r, verify.AssociationsInput{EKS: v.AWS.EKS, Cluster: v.Config.Cluster,
			Want: v.associations()})
	}
	k, err := v.KubeClient()
	if k == nil {
		detail := "no cluster access"
		if err != nil {
			detail = err.Error()
		}
		r.Add(verify.Check{Area: verify.AreaCluster, Name: "cluster access", Status: verify.Fail, Detail: detail,
			Action: "pass --kubeconfig/--context for the cluster, or --only db,s3"})
		return
	}
	o := v.State.Snapshot().Outputs
	bucket, rdsSecret, s3Secret := v.outputs()
	verify.CheckCluster(ctx, r, verify.ClusterInput{Kube: k, Option: v.Config.Option,
		Static: v.Config.S3.Credentials == config.CredentialsStatic, RDSSecretName: rdsSecret, S3SecretName: s3Secret,
		BackendRoleARN: o.BackendRoleARN, SecretsRoleARN: o.SecretsRoleARN, Bucket: bucket,
		ProfileNamespace: v.Config.IAM.ProfileNamespace, ProfileRoleARN: o.ProfileRoleARN, ProfileRoleARNs: o.ProfileRoleARNs,
		ComponentUsers: v.Config.UsesComponentUsers(), PodIdentity: v.Config.Identity == config.IdentityPodIdentity})
}
