#!/usr/bin/env bash
# Prints the path of an rclone binary for bench/down, whose baseline is `rclone purge`. The binary is Debian's,
# unpacked once into $HOME/.cache/kfaws/rclone/VERSION/ (nothing is installed system-wide); `make test` does not
# need it.
#
# Usage: hack/rclone.sh            # prints the binary path
set -euo pipefail

cache="$HOME/.cache/kfaws/rclone"
cached=$(ls -1d "$cache"/*/rclone 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -n "$cached" && -x "$cached" ]]; then
  echo "$cached"
  exit 0
fi

candidate() { apt-cache policy rclone 2>/dev/null | awk '/Candidate:/ {print $2}'; }
version=$(candidate)
if [[ -z "$version" || "$version" == "(none)" ]]; then
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update >&2
  version=$(candidate)
fi
if [[ -z "$version" || "$version" == "(none)" ]]; then
  echo "rclone.sh: no rclone package in the Debian sources (apt-cache policy rclone)" >&2
  exit 1
fi

echo "rclone.sh: unpacking Debian's rclone $version into $cache/$version" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "rclone=$version" >&2)
dpkg-deb -x "$tmp"/rclone_*.deb "$tmp/root"
mkdir -p "$cache/$version"
mv "$tmp/root/usr/bin/rclone" "$cache/$version/rclone.partial"
mv "$cache/$version/rclone.partial" "$cache/$version/rclone"
echo "$cache/$version/rclone"
