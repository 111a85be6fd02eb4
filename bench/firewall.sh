#!/usr/bin/env bash
# Start-up of a compiled wrapper with a [network] firewall (scope "uid", the host-network
# daemon's case) against the same wrapper without one, run by hand as root:
#
#   bash bench/firewall.sh [BUILD_DIR] [RUNS] [BEFORE_BUILD_DIR]
#
# Everything runs inside a network namespace made for the run (the table never reaches the
# host's firewall), with the contenders in turn (runpairs). BEFORE_BUILD_DIR, a build of an
# older harden, adds its firewall wrapper for comparison (before: libnftables loaded and the
# table replaced at every start).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
runs=${2:-300}
before=${3:+$(realpath "$3")}
harden=$build/cli/harden
[[ -x $harden ]] || { echo "build harden first: cmake --build $build" >&2; exit 1; }
work=$(mktemp -d /tmp/harden-bench-fw.XXXXXX)
netns=harden-bench-fw-$$
trap 'ip netns del "$netns" 2>/dev/null || true; rm -rf "$work"' EXIT
chmod 755 "$work"
ip netns add "$netns"
ip -n "$netns" link set lo up

${CC:-gcc} -O2 -o "$work/runpairs" bench/runpairs.c
cp /bin/true "$work/true"
cat >"$work/plain.toml" <<'TOML'
[policy]
name = "benchfw"
[identity]
user = "nobody"
group = "nogroup"
[seccomp]
default_action = "kill-process"
allow = ["@system-service"]
TOML
cat "$work/plain.toml" - >"$work/fw.toml" <<'TOML'
[network]
scope = "uid"
egress = "reject"
[[network.allow]]
direction = "egress"
protocol = "tcp"
addresses = ["127.0.0.1", "::1"]
ports = [5432, 6379]
TOML
"$harden" compile "$work/plain.toml" -o "$work/plain-wrapper" >/dev/null
"$harden" compile "$work/fw.toml" -o "$work/fw-wrapper" >/dev/null
T=$work/true
contenders=("no-firewall=$work/plain-wrapper -- $T" "firewall=$work/fw-wrapper -- $T")
if [[ -n $before ]]; then
  sed 's/name = "benchfw"/name = "benchfwold"/' "$work/fw.toml" >"$work/fw-old.toml"
  "$before/cli/harden" compile "$work/fw-old.toml" -o "$work/fw-old-wrapper" >/dev/null
  "$before/cli/harden" compile "$work/plain.toml" -o "$work/plain-old-wrapper" >/dev/null
  contenders+=("before-no-firewall=$work/plain-old-wrapper -- $T"
    "before-firewall=$work/fw-old-wrapper -- $T")
fi
# The first start installs and seals the table; the timed ones find it sealed.
ip netns exec "$netns" "$work/fw-wrapper" -- "$T"
echo "== wrapper start-up with and without a firewall (scope uid), $runs runs each"
ip netns exec "$netns" "$work/runpairs" -n "$runs" -w 10 "${contenders[@]}"
