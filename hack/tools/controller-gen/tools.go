//go:build tools

// Package tools records the dependencies of hack/gen-csi-crds.sh.
package tools

import (
	_ "sigs.k8s.io/controller-tools/cmd/controller-gen"
	_ "sigs.k8s.io/secrets-store-csi-driver/apis/v1"
)
