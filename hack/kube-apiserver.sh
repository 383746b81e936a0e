#!/usr/bin/env bash
# Builds kube-apiserver from the k8s.io/kubernetes module (pinned in
# hack/tools/kube-apiserver/go.mod), caches it under $HOME/.cache/kfaws, links
# Debian's etcd next to it and prints the folder to use as KUBEBUILDER_ASSETS.
# A cached build is reused, so running this again costs nothing.
#
# Usage: hack/kube-apiserver.sh            # prints the assets folder
#        export KUBEBUILDER_ASSETS="$(hack/kube-apiserver.sh)"
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tooldir="$root/hack/tools/kube-apiserver"
version="$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3; exit}
  $1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$tooldir/go.mod")"
if [[ -z "$version" ]]; then
  echo "kube-apiserver.sh: no k8s.io/kubernetes requirement in $tooldir/go.mod" >&2
  exit 1
fi
assets="${KFAWS_CACHE_DIR:-$HOME/.cache/kfaws}/kube-apiserver/$version"
mkdir -p "$assets"

log() { echo "kube-apiserver.sh: $*" >&2; }

# etcd: envtest wants it in the same folder as kube-apiserver.
etcd_bin="$(command -v etcd || true)"
if [[ -z "$etcd_bin" ]]; then
  log "etcd not found, installing Debian's etcd-server"
  apt-get install -y etcd-server >&2 || { apt-get update >&2 && apt-get install -y etcd-server >&2; }
  etcd_bin="$(command -v etcd)"
fi
ln -sf "$etcd_bin" "$assets/etcd"

if [[ ! -x "$assets/kube-apiserver" ]]; then
  log "building kube-apiserver $version from source, the real API server the demo and tests use as a cluster (once: about 4-9 minutes on 2 cores, then cached in $assets)"
  # The kubernetes go.mod maps its staging modules to ./staging/...; a module
  # that requires k8s.io/kubernetes must replace each with the published
  # v0.Y.Z instead. Derive the list from that go.mod so it is never stale.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cp "$tooldir/go.mod" "$work/go.mod"
  [[ -f "$tooldir/go.sum" ]] && cp "$tooldir/go.sum" "$work/go.sum"
  cp "$tooldir/tools.go" "$work/tools.go"
  (
    cd "$work"
    export GOFLAGS=-mod=mod
    kmod="$(go mod download -json "k8s.io/kubernetes@$version" | awk -F'"' '/"GoMod"/ {print $4}')"
    staging="v0.${version#v1.}"
    awk '/=> \.\/staging\// {print $1}' "$kmod" | sort -u | while read -r m; do
      go mod edit -replace "$m=$m@$staging"
    done
    go mod tidy >&2
    CGO_ENABLED=0 go build -trimpath -o "$assets/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  )
  mv "$assets/kube-apiserver.tmp" "$assets/kube-apiserver"
  log "built $assets/kube-apiserver"
fi
echo "$assets"
