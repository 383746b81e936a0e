package csidriver

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// driverDaemonSet runs the driver on every Linux node: the registrar that
// announces it to the kubelet, the driver itself (privileged, for mounts), and
// the liveness probe sidecar. Secret rotation stays off, the driver's default.
func driverDaemonSet(mirror string) *appsv1.DaemonSet {
	const sock = "/csi/csi.sock"
	mountDirs := []corev1.VolumeMount{{Name: "plugin-dir", MountPath: "/csi"}}
	driver := corev1.Container{
		Name:  "secrets-store",
		Image: driverImage.Ref(mirror),
		Args: []string{
			"--endpoint=$(CSI_ENDPOINT)",
			"--nodeid=$(KUBE_NODE_NAME)",
			"--provider-volume=" + providersDir,
			"--additional-provider-volume-paths=" + legacyProvDir,
			"--metrics-addr=:8095",
			"--enable-secret-rotation=false",
			"--rotation-poll-interval=2m",
			"--provider-health-check=false",
			"--provider-health-check-interval=2m",
		},
		Env: []corev1.EnvVar{
			{Name: "CSI_ENDPOINT", Value: "unix://" + sock},
			{Name: "KUBE_NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}}},
		},
		ImagePullPolicy: corev1.PullIfNotPresent,
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
		Ports: []corev1.ContainerPort{
			{Name: "healthz", ContainerPort: 9808, Protocol: corev1.ProtocolTCP},
			{Name: "metrics", ContainerPort: 8095, Protocol: corev1.ProtocolTCP},
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("healthz")}},
			FailureThreshold: 5, InitialDelaySeconds: 30, TimeoutSeconds: 10, PeriodSeconds: 15,
		},
		VolumeMounts: append(mountDirs,
			corev1.VolumeMount{Name: "mountpoint-dir", MountPath: kubeletPodsDir, MountPropagation: ptr.To(corev1.MountPropagationBidirectional)},
			corev1.VolumeMount{Name: "providers-dir", MountPath: legacyProvDir},
			corev1.VolumeMount{Name: "providers-dir-0", MountPath: providersDir},
		),
		Resources: resources("50m", "100Mi", "200m", "200Mi"),
	}
	registrar := corev1.Container{
		Name:  "node-driver-registrar",
		Image: registrarImage.Ref(mirror),
		Args: []string{"--v=5", "--csi-address=" + sock,
			"--kubelet-registration-path=/var/lib/kubelet/plugins/csi-secrets-store/csi.sock"},
		ImagePullPolicy: corev1.PullIfNotPresent,
		VolumeMounts:    append(mountDirs[:1:1], corev1.VolumeMount{Name: "registration-dir", MountPath: "/registration"}),
		Resources:       resources("10m", "20Mi", "100m", "100Mi"),
	}
	liveness := corev1.Container{
		Name:            "liveness-probe",
		Image:           livenessImage.Ref(mirror),
		Args:            []string{"--csi-address=" + sock, "--probe-timeout=3s", "--http-endpoint=0.0.0.0:9808", "-v=2"},
		ImagePullPolicy: corev1.PullIfNotPresent,
		VolumeMounts:    mountDirs[:1:1],
		Resources:       resources("10m", "20Mi", "100m", "100Mi"),
	}
	ds := daemonSet(driverDS, driverSA, corev1.PodSpec{
		Containers: []corev1.Container{registrar, driver, liveness},
		Volumes: []corev1.Volume{
			hostPath("mountpoint-dir", kubeletPodsDir, corev1.HostPathDirectoryOrCreate),
			hostPath("registration-dir", "/var/lib/kubelet/plugins_registry/", corev1.HostPathDirectory),
			hostPath("plugin-dir", "/var/lib/kubelet/plugins/csi-secrets-store/", corev1.HostPathDirectoryOrCreate),
			hostPath("providers-dir", legacyProvDir, corev1.HostPathDirectoryOrCreate),
			hostPath("providers-dir-0", providersDir, corev1.HostPathDirectoryOrCreate),
		},
		Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
	})
	ds.Spec.Template.Annotations = map[string]string{"kubectl.kubernetes.io/default-container": "secrets-store"}
	return ds
}

// providerDaemonSet runs the AWS provider, which the driver calls over a
// socket in the shared providers directory. Like the driver it tolerates
// every taint, so every node that mounts secrets has a provider
// (provider-aws@3.1.1:deployment/aws-provider-installer.yaml).
func providerDaemonSet(mirror string) *appsv1.DaemonSet {
	c := corev1.Container{
		Name:            "provider-aws-installer",
		Image:           providerImage.Ref(mirror),
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            []string{"--provider-volume=" + providersDir},
		Resources:       resources("50m", "100Mi", "50m", "100Mi"),
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(false), AllowPrivilegeEscalation: ptr.To(false)},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "providervol", MountPath: providersDir},
			{Name: "mountpoint-dir", MountPath: kubeletPodsDir, MountPropagation: ptr.To(corev1.MountPropagationHostToContainer)},
		},
	}
	return daemonSet(providerDS, providerSA, corev1.PodSpec{
		Containers: []corev1.Container{c},
		Volumes: []corev1.Volume{
			hostPath("providervol", providersDir, ""),
			hostPath("mountpoint-dir", kubeletPodsDir, corev1.HostPathDirectoryOrCreate),
		},
		Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
	})
}
