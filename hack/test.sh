#!/usr/bin/env bash
# The test command (`make test`, .ci/run). On a fresh Debian machine it
# installs what the tests need, then runs go vet and every test: unit tests
# and integration tests against moto, MariaDB and a real kube-apiserver.
#
# Usage: hack/test.sh                        # vet and test the whole module
#        hack/test.sh ./localstack/...      # only these packages
#        GOTESTFLAGS='-run TestSeed -v' hack/test.sh ./localstack/...
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { echo "test.sh: $*" >&2; }

hack/deps.sh

# --- BEGIN kube-apiserver (owned by hack/kube-apiserver.sh) -----------------
# Builds and caches kube-apiserver and links etcd next to it; envtest finds
# both through KUBEBUILDER_ASSETS.
if [[ -z "${KUBEBUILDER_ASSETS:-}" && -x hack/kube-apiserver.sh ]]; then
  KUBEBUILDER_ASSETS="$(hack/kube-apiserver.sh)"
  export KUBEBUILDER_ASSETS
fi
# --- END kube-apiserver ------------------------------------------------------

# --- BEGIN katib-db-manager (owned by hack/katib-db-manager.sh) --------------
# Installs and caches Katib's db-manager; verify's tests run it as the real
# writer of observation_logs.
if [[ -z "${KFAWS_KATIB_DB_MANAGER:-}" && -x hack/katib-db-manager.sh ]]; then
  KFAWS_KATIB_DB_MANAGER="$(hack/katib-db-manager.sh)"
  export KFAWS_KATIB_DB_MANAGER
fi
# --- END katib-db-manager ----------------------------------------------------

pkgs=("$@")
if ((${#pkgs[@]} == 0)); then pkgs=(./...); fi
log "go vet ${pkgs[*]}"
go vet "${pkgs[@]}"
if (($# == 0)); then
  log "golangci-lint (.golangci.yml)"
  hack/lint.sh
fi

# Each test binary starts its own moto and MariaDB on free ports, so packages
# run in parallel as usual.
log "go test ${pkgs[*]}"
# shellcheck disable=SC2086 # GOTESTFLAGS is a list of flags
go test -count=1 -timeout 30m ${GOTESTFLAGS:-} "${pkgs[@]}"

# The goldens match what their tests produce now: regenerating them (only the tests that write goldens) must
# change no file and leave none untracked.
if (($# == 0)); then
  log "golden files (hack/golden.sh --check)"
  hack/golden.sh --check
fi
