package csidriver

// Pinned versions. The driver's CRDs in crds/ are generated from the same
// driver version by hack/gen-csi-crds.sh; bump both together.
const (
	// DriverVersion is the Secrets Store CSI driver release.
	DriverVersion = "v1.6.0"
	// ProviderVersion is the AWS Secrets and Configuration Provider release.
	// From 3.0 it takes pods' tokens from the CSIDriver's tokenRequests
	// (aws/secrets-store-csi-driver-provider-aws#561) instead of minting them.
	ProviderVersion = "3.1.1"
	// Sidecar versions the driver release ships with
	// (secrets-store-csi-driver@v1.6.0:deploy/secrets-store-csi-driver.yaml).
	NodeDriverRegistrarVersion = "v2.16.0"
	LivenessProbeVersion       = "v2.18.0"

	// DriverName is the CSI driver name pods' volumes refer to.
	DriverName = "secrets-store.csi.k8s.io"
	// Namespace is where both DaemonSets run.
	Namespace = "kube-system"

	// Token audiences the CSIDriver asks the kubelet for, one per identity
	// mode: the AWS provider 3.x exchanges the first with STS (IRSA) and the
	// second with the EKS Pod Identity agent, and fails a mount when the one
	// it needs is missing (provider-aws@3.1.1:utils/token_parser.go).
	AudienceIRSA        = "sts.amazonaws.com"
	AudiencePodIdentity = "pods.eks.amazonaws.com"
)

// Default registries of the images, and the path each image has below its
// registry. A mirror keeps the paths: with --image-registry
// mirror.example.com/k8s the driver image becomes
// mirror.example.com/k8s/csi-secrets-store/driver:v1.6.0.
const (
	k8sRegistry = "registry.k8s.io"
	ecrRegistry = "public.ecr.aws"
)

// Image is one container image kfaws deploys.
type Image struct {
	Registry string
	Path     string
	Tag      string
}

// Ref returns the image reference, with the registry replaced by mirror when
// mirror is not empty.
func (i Image) Ref(mirror string) string {
	reg := i.Registry
	if mirror != "" {
		reg = mirror
	}
	return reg + "/" + i.Path + ":" + i.Tag
}

// Images are every image the manifests path deploys, for mirroring.
func Images() []Image {
	return []Image{driverImage, registrarImage, livenessImage, providerImage}
}

var (
	driverImage    = Image{Registry: k8sRegistry, Path: "csi-secrets-store/driver", Tag: DriverVersion}
	registrarImage = Image{Registry: k8sRegistry, Path: "sig-storage/csi-node-driver-registrar", Tag: NodeDriverRegistrarVersion}
	livenessImage  = Image{Registry: k8sRegistry, Path: "sig-storage/livenessprobe", Tag: LivenessProbeVersion}
	providerImage  = Image{Registry: ecrRegistry, Path: "aws-secrets-manager/secrets-store-csi-driver-provider-aws", Tag: ProviderVersion}
)
