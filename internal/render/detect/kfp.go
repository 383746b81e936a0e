package detect

import (
	"fmt"
	"strings"
)

// shipped lists, oldest first, the KFP versions the real trees pin (pipeline-install-config appVersion) and the
// release that ships each. A version names the wiring kfaws applies for it; what that wiring does is decided by
// Capabilities, never by these names.
var shipped = []struct{ kfp, release string }{
	{"2.0.0-alpha.7", "v1.7"}, // manifests@v1.7.0, awslabs@v1.7.0-aws-b1.0.3 (kubeflow/manifests v1.7.0 under upstream/)
	{"2.0.5", "v1.8"},         // manifests@v1.8.1
	{"2.2.0", "v1.9.0"},       // manifests@v1.9.0
	{"2.3.0", "v1.9.1"},       // manifests@v1.9.1
	{"2.5.0", "v1.10"},        // manifests@v1.10.0 … v1.10.2
	{"2.15.0", "v1.11"},       // manifests@v1.11.0
	{"2.16.0", "26.03"},       // manifests@26.03, release-26.03, master until 2026-06
	{"2.16.1", "26.03.1"},     // community-distribution@release-26.03.1, master
}

// Capabilities are what the tree's KFP and layout can do, decided by semantic-version ranges of the KFP version
// or read from the tree's files.
type Capabilities struct {
	// LauncherProviders: the v2 launcher reads the kfp-launcher providers block (KFP >= 2.2.0,
	// pipelines@2.2.0:backend/src/v2/config/s3.go). Before, s3:// roots open with the pod's environment
	// credentials only (pipelines@2.0.5:backend/src/v2/objectstore/object_store.go, OpenBucket).
	LauncherProviders bool
	// APIServerIRSA: the API server takes empty S3 keys and falls back to the pod's web identity. True for every
	// KFP but 2.15.x, which requires static keys (kubeflow/pipelines#12508, fixed in 2.16.0 by #12512). Up to 2.13
	// minio-go v6.0.57's IAM provider reads AWS_WEB_IDENTITY_TOKEN_FILE; 2.14 moved to minio-go v7 with the same
	// chain; 2.16 uses the AWS SDK v2 default chain.
	APIServerIRSA bool
	// PodIdentity says, per KFP component, whether its AWS client reads EKS Pod Identity credentials (the
	// container credentials full URI): "" when it does, else why not.
	PodIdentity PodIdentitySupport
	// GHCRImages: KFP's images and the profile controller's image defaults are on ghcr.io/kubeflow/kfp-* from
	// KFP 2.4.0 (pipelines@2.4.0:manifests/kustomize/base/installs/multi-user/pipelines-profile-controller/sync.py),
	// gcr.io/ml-pipeline/* before.
	GHCRImages bool
}

// PodIdentitySupport is why each KFP component cannot use EKS Pod Identity, "" for one that can.
type PodIdentitySupport struct {
	APIServer, Launcher, UI string
}

// podIdentitySupport follows the minimum SDK releases that read Pod Identity credentials (Go v1 1.47.11, Go v2
// 2023-11-14, JS v3 3.458.0, minio-go v7.0.70) to the KFP releases that carry them.
func podIdentitySupport(v semver) PodIdentitySupport {
	var s PodIdentitySupport
	switch {
	case v.compare(mustSemver("2.6.0")) < 0:
		s.APIServer = "its minio-go client predates Pod Identity's container credentials (minio-go v7.0.70); KFP 2.16 or later"
	case v.major == 2 && v.minor == 15:
		s.APIServer = "it refuses empty S3 keys (kubeflow/pipelines#12508, fixed in KFP 2.16.0); KFP 2.16 or later"
	}
	if v.compare(mustSemver("2.5.0")) < 0 {
		s.Launcher = "its AWS SDK for Go predates Pod Identity (Go v1 1.47.11); KFP 2.5 or later"
	}
	if v.compare(mustSemver("2.4.0")) < 0 {
		s.UI = "its AWS SDK for JavaScript predates Pod Identity (v3 3.458.0); KFP 2.4 or later"
	}
	return s
}

// kfpCapabilities decides the version-based capabilities.
func kfpCapabilities(v semver) Capabilities {
	return Capabilities{
		PodIdentity:       podIdentitySupport(v),
		LauncherProviders: v.compare(mustSemver("2.2.0")) >= 0,
		APIServerIRSA:     v.major != 2 || v.minor != 15,
		GHCRImages:        v.compare(mustSemver("2.4.0")) >= 0,
	}
}

// assumptions says in words what a wiring relies on, for the warning about a version kfaws does not know.
func (c Capabilities) assumptions() string {
	var s []string
	if c.LauncherProviders {
		s = append(s, "the kfp-launcher providers block")
	} else {
		s = append(s, "a v2 launcher that reads S3 with the pod's environment credentials")
	}
	if c.APIServerIRSA {
		s = append(s, "an API server that uses IRSA when its S3 keys are empty")
	} else {
		s = append(s, "an API server that needs static S3 keys")
	}
	return strings.Join(s, ", ")
}

// kfpRelease is where a KFP version stands among the shipped ones.
type kfpRelease struct {
	// release ships exactly this version ("" when none does); wiring is the release whose wiring applies.
	release, wiring string
	newer           bool
}

// classifyKFP places version among the shipped versions. It refuses what cannot be parsed and what is older
// than the oldest release kfaws knows.
func classifyKFP(version string) (kfpRelease, semver, error) {
	v, err := parseSemver(version)
	if err != nil {
		return kfpRelease{}, v, fmt.Errorf("KFP appVersion %q is not a semantic version (%w); kfaws knows %s",
			version, err, knownKFP())
	}
	oldest, newest := shipped[0], shipped[len(shipped)-1]
	if v.compare(mustSemver(oldest.kfp)) < 0 {
		return kfpRelease{}, v, fmt.Errorf("KFP %s is older than the oldest release kfaws knows (%s, KFP %s); "+
			"kfaws knows %s", version, oldest.release, oldest.kfp, knownKFP())
	}
	if v.compare(mustSemver(newest.kfp)) > 0 {
		return kfpRelease{wiring: newest.release, newer: true}, v, nil
	}
	var out kfpRelease
	for _, s := range shipped {
		c := v.compare(mustSemver(s.kfp))
		if c < 0 {
			break
		}
		out.wiring = s.release
		if c == 0 {
			out.release = s.release
		}
	}
	return out, v, nil
}

// ReleaseForKFP names the release that ships exactly KFP version v.
func ReleaseForKFP(v string) (string, bool) {
	r, _, err := classifyKFP(v)
	if err != nil || r.release == "" {
		return "", false
	}
	return r.release, true
}

// NewestKFP is the newest KFP version kfaws knows, and the release that ships it.
func NewestKFP() (version, release string) {
	s := shipped[len(shipped)-1]
	return s.kfp, s.release
}

func knownKFP() string {
	s := make([]string, len(shipped))
	for i, r := range shipped {
		s[i] = r.kfp + " (" + r.release + ")"
	}
	return strings.Join(s, ", ")
}

// CompareKFP orders two KFP versions by semantic-version precedence: -1, 0 or 1 as a is older than, equal to or
// newer than b. It fails when either is not a semantic version.
func CompareKFP(a, b string) (int, error) {
	va, err := parseSemver(a)
	if err != nil {
		return 0, fmt.Errorf("KFP version %q: %w", a, err)
	}
	vb, err := parseSemver(b)
	if err != nil {
		return 0, fmt.Errorf("KFP version %q: %w", b, err)
	}
	return va.compare(vb), nil
}
