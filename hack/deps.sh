#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh Debian machine: MariaDB (the database behind the emulated
# RDS) and etcd (for kube-apiserver), and checks for moto (the AWS emulator), which comes from PyPI.
set -euo pipefail

log() { echo "deps.sh: $*" >&2; }

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

