// Pins the kube-apiserver that hack/kube-apiserver.sh builds for tests. The
// script adds the staging replaces at build time (derived from the kubernetes
// go.mod), so only the version lives here.
module github.com/kfaws/kfaws/hack/tools/kube-apiserver

go 1.26.8

require k8s.io/kubernetes v1.37.2
