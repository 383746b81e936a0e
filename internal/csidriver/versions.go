package csidriver

// Pinned versions. The driver's CRDs in crds/ are generated from the same
// driver version by hack/gen-csi-crds.sh; bump both together.
const (
	// DriverVersion is the Secrets Store CSI driver release.
	DriverVersion = "v1.5.4"
	// ProviderVersion is the AWS Secrets and Configuration Provider release.
	ProviderVersion = "2.1.0"
	// Sidecar versions the driver release ships with.
	NodeDriverRegistrarVersion = "v2.13.0"
	LivenessProbeVersion       = "v2.15.0"

	// DriverName is the CSI driver name pods' volumes refer to.
	DriverName = "secrets-store.csi.k8s.io"
	// Namespace is where both DaemonSets run.
	Namespace = "kube-system"
)

// Default registries of the images, and the path each image has below its
// registry. A mirror keeps the paths: with --image-registry
// mirror.example.com/k8s the driver image becomes
// mirror.example.com/k8s/csi-secrets-store/driver:v1.5.4.
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
