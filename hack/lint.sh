#!/usr/bin/env bash
# make lint: golangci-lint at a pinned version (installed into $HOME/.cache/kfaws/bin once), with .golangci.yml.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version=v2.15.0
bin="$HOME/.cache/kfaws/bin/golangci-lint-$version"
if [[ ! -x "$bin" ]]; then
  echo "lint.sh: installing golangci-lint $version" >&2
  mkdir -p "$(dirname "$bin")"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp" GOFLAGS= go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version"
  mv "$tmp/golangci-lint" "$bin"
fi
exec "$bin" run ./...
