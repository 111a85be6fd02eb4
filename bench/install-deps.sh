#!/usr/bin/env bash
# What the benchmarks compare against (not needed by the tests): bubblewrap, firejail,
# hyperfine (optional cross-check), util-linux's setpriv, strace and perf for profiles.
set -euo pipefail
packages=(bubblewrap firejail hyperfine util-linux strace linux-perf python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
