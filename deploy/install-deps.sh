#!/usr/bin/env bash
# install-deps.sh - installs what picket needs to build and test on Debian 12,
# skipping packages already present. Used by quickstart.sh and .ci/run.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang
  libpcap-dev libevent-dev libhiredis-dev libjansson-dev libssl-dev libcmocka-dev
  redis-server redis-tools openssl tcpreplay tshark iproute2 kmod python3 curl procps
  chromium
)

# --list: print the package names (what .ci/run installs), nothing else.
if [ "${1:-}" = "--list" ]; then
  echo "${PACKAGES[@]}"
  exit 0
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  as_root=(sudo -E)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update
"${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
