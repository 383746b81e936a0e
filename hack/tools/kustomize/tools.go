//go:build tools

// Package tools records the kustomize CLI that hack/kustomize.sh builds for
// bench/render.
package tools

import _ "sigs.k8s.io/kustomize/kustomize/v5"
