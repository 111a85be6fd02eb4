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
  # The daemons of the shipped policies and their clients (tests/kernel/test_daemons.cpp).
  nginx redis-server redis-tools memcached postgresql postgresql-client
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Daemon packages start their service from their maintainer scripts through
  # invoke-rc.d, which asks /usr/sbin/policy-rc.d first: 101 means "not now". In a CI
  # container without a running systemd (or on a developer's machine) nothing is started, and
  # a failed start cannot fail the install. A policy-rc.d already there (Docker images ship
  # one) is left as it is; one written here is removed afterwards.
  policy_rc=/usr/sbin/policy-rc.d
  own_policy_rc=0
  if [[ ! -e $policy_rc ]]; then
    printf '#!/bin/sh\n# written by harden .ci/install-deps.sh for the install\nexit 101\n' >"$policy_rc"
    chmod 0755 "$policy_rc"
    own_policy_rc=1
    trap 'rm -f "$policy_rc"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if ((own_policy_rc)); then
    rm -f "$policy_rc"
    trap - EXIT
  fi
fi
