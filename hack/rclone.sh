#!/usr/bin/env bash
# Installs rclone from Debian if it is missing and prints the binary's path. Only bench/down runs it (rclone
# purge is its baseline); `make test` does not need it.
#
# Usage: hack/rclone.sh            # prints the binary path
set -euo pipefail

if ! command -v rclone >/dev/null; then
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then sudo=(sudo); fi
  echo "rclone.sh: installing rclone from Debian" >&2
  "${sudo[@]}" apt-get update >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rclone >&2
fi
command -v rclone
