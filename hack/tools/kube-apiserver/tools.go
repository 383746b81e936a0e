//go:build tools

// Package tools records the kube-apiserver build dependency for
// hack/kube-apiserver.sh.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
