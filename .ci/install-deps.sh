#!/usr/bin/env bash
# Installs the Debian packages harden needs to build and test. Idempotent; quiet when all
# are present. Used by the README's commands and by .ci/run.
set -euo pipefail
packages=(
  build-essential cmake pkg-config clang-format
  libseccomp-dev libcap-dev libaudit-dev libtomlplusplus-dev catch2 libcli11-dev
  nlohmann-json3-dev libnftables-dev libcap-ng-dev
  nftables auditd apparmor iproute2 python3 curl
  systemd crun passwd util-linux
  # The fuzz targets (tests/fuzz): libFuzzer with ASan + UBSan. Debian 12's default clang (14)
  # cannot compile libstdc++'s <expected>; clang 19 (bookworm) can.
  clang-19 libclang-rt-19-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
