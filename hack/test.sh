#!/usr/bin/env bash
# The test command (`make test`, .ci/run). On a fresh Debian machine it
# installs what the tests need, then runs go vet and every test: unit tests
# and integration tests against moto, MariaDB and a real kube-apiserver.
#
# Usage: hack/test.sh                       # the whole module
#        hack/test.sh -run TestX ./localstack/...   # arguments go to `go test`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "test.sh: $*" >&2; }

# --- system packages: MariaDB (the RDS stand-in) and etcd (for kube-apiserver)
missing=()
if ! command -v mariadbd >/dev/null && [[ ! -x /usr/sbin/mariadbd ]]; then missing+=(mariadb-server); fi
if ! command -v mariadb-install-db >/dev/null; then missing+=(mariadb-server); fi
if ! command -v etcd >/dev/null; then missing+=(etcd-server); fi
if ((${#missing[@]} > 0)); then
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then sudo=(sudo); fi
  pkgs=($(printf '%s\n' "${missing[@]}" | sort -u))
  log "installing ${pkgs[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}"
fi

# --- moto: the AWS control plane; it comes from PyPI, which we do not touch.
if ! command -v moto_server >/dev/null; then
  log "moto_server not found; install it with: pip install 'moto[server]'"
  exit 1
fi

# --- BEGIN kube-apiserver (owned by hack/kube-apiserver.sh) -----------------
# Builds and caches kube-apiserver and links etcd next to it; envtest finds
# both through KUBEBUILDER_ASSETS.
if [[ -z "${KUBEBUILDER_ASSETS:-}" && -x hack/kube-apiserver.sh ]]; then
  KUBEBUILDER_ASSETS="$(hack/kube-apiserver.sh)"
  export KUBEBUILDER_ASSETS
fi
# --- END kube-apiserver ------------------------------------------------------

log "go vet ./..."
go vet ./...

args=("$@")
if ((${#args[@]} == 0)); then args=(./...); fi
log "go test ${args[*]}"
go test -count=1 -timeout 30m "${args[@]}"
