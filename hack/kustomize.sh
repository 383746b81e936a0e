#!/usr/bin/env bash
# Builds the kustomize CLI pinned in hack/tools/kustomize/go.mod (the release
# built on the kustomize api/kyaml versions kfaws uses), caches it under
# $HOME/.cache/kfaws and prints the binary's path. bench/render runs it as the
# baseline. A cached binary is reused, so running this again costs nothing.
#
# Usage: hack/kustomize.sh            # prints the binary path
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tooldir="$root/hack/tools/kustomize"
version="$(awk '$1 == "require" && $2 == "sigs.k8s.io/kustomize/kustomize/v5" {print $3; exit}' "$tooldir/go.mod")"
if [[ -z "$version" ]]; then
  echo "kustomize.sh: no sigs.k8s.io/kustomize/kustomize/v5 requirement in $tooldir/go.mod" >&2
  exit 1
fi
dir="${KFAWS_CACHE_DIR:-$HOME/.cache/kfaws}/kustomize/$version"
bin="$dir/kustomize"
if [[ ! -x "$bin" ]]; then
  echo "kustomize.sh: building sigs.k8s.io/kustomize/kustomize/v5@$version" >&2
  mkdir -p "$dir"
  # Built inside the tools module so kfaws's own go.mod is never touched.
  (cd "$tooldir" && GOFLAGS=-mod=mod go build -trimpath -o "$bin.tmp" sigs.k8s.io/kustomize/kustomize/v5) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
