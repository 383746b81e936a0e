#!/usr/bin/env bash
# Installs Katib's db-manager (the real writer of observation_logs) from the Go module proxy, caches it under
# $HOME/.cache/kfaws and prints the binary's path. Tests find it through KFAWS_KATIB_DB_MANAGER or that cache.
# A cached binary is reused, so running this again costs nothing.
#
# Usage: hack/katib-db-manager.sh            # prints the binary path
#        export KFAWS_KATIB_DB_MANAGER="$(hack/katib-db-manager.sh)"
set -euo pipefail

version="v0.19.0"
dir="${KFAWS_CACHE_DIR:-$HOME/.cache/kfaws}/katib-db-manager/$version"
bin="$dir/v1beta1"
if [[ ! -x "$bin" ]]; then
  echo "katib-db-manager.sh: installing github.com/kubeflow/katib/cmd/db-manager/v1beta1@$version" >&2
  mkdir -p "$dir"
  # `go install pkg@version` builds with Katib's own go.mod; kfaws's go.mod is never touched.
  (cd "$dir" && GOBIN="$dir" go install "github.com/kubeflow/katib/cmd/db-manager/v1beta1@$version") >&2
fi
echo "$bin"
