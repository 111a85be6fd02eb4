#!/usr/bin/env bash
# Installs the Debian packages harden needs, from .ci/build-deps.txt: every role by default, or
# only those named (`install-deps.sh build` to build harden alone, as the GitHub workflow and
# action do). Idempotent; quiet when all are present. Used by the README's commands and by
# .ci/run.
set -euo pipefail
list="$(dirname "$0")/build-deps.txt"
roles=("$@")
for role in "${roles[@]}"; do
  case $role in
    fetch | build | embed | test | fuzz) ;;
    *) echo "install-deps: unknown role '$role' (fetch, build, embed, test, fuzz)" >&2 && exit 2 ;;
  esac
done
packages=()
while read -r name package_roles; do
  [[ -z $name || $name == \#* ]] && continue
  if ((${#roles[@]} == 0)); then
    packages+=("$name")
    continue
  fi
  for role in "${roles[@]}"; do
    if [[ " $package_roles " == *" $role "* ]]; then
      packages+=("$name")
      break
    fi
  done
done <"$list"
if ((${#packages[@]} == 0)); then
  echo "install-deps: no package in $list has the role(s) ${roles[*]}" >&2
  exit 2
fi
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
