#!/usr/bin/env bash
# Benchmarks (run by hand, as root): start-up against bare exec, setpriv, a C floor, bwrap and
# firejail; hot-syscall overhead of the compiled filter; compile time of a large policy and
# validate throughput; peak RSS. Results go to stdout; see README.md for the last run.
#
#   bash bench/run.sh [BUILD_DIR] [RUNS]      (defaults: build, 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
runs=${2:-1000}
harden=$build/cli/harden
[[ -x $harden ]] || { echo "build harden first: cmake --build $build" >&2; exit 1; }
work=$(mktemp -d /tmp/harden-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

cc=${CC:-gcc}
$cc -O2 -o "$work/runpairs" bench/runpairs.c
$cc -O2 -static -o "$work/floor" bench/floor.c
$cc -O2 -o "$work/syscall_loop" bench/syscall_loop.c
g++ -std=c++23 -O2 -I. -o "$work/plan_bpf" bench/plan_bpf.cpp "$build/compiler/libharden_plan.a"
cp /bin/true "$work/true"

# The policy every contender gets: nobody, no capabilities, no_new_privs, @system-service
# with kill-process for the rest; bench-ns.toml adds the namespaces.
cat > "$work/bench.toml" <<'TOML'
[policy]
name = "bench"
[identity]
user = "nobody"
group = "nogroup"
supplementary_groups = []
[capabilities]
keep = []
[seccomp]
default_action = "kill-process"
allow = ["@system-service"]
[environment]
keep = ["PATH"]
TOML
# The same with the issue's namespaces (ipc/uts/mount/net/pid).
sed 's/^\[seccomp\]/[namespaces]\nipc = "private"\nhostname = "bench"\nmount = true\nnet = "private"\npid = true\n[seccomp]/' \
  "$work/bench.toml" >"$work/bench-ns.toml"
"$harden" compile "$work/bench-ns.toml" -o "$work/bench-ns-wrapper" >/dev/null
"$harden" compile "$work/bench.toml" -o "$work/bench-wrapper" >/dev/null
"$harden" compile "$work/bench.toml" --plan-only -o "$work/bench.plan" >/dev/null
"$work/plan_bpf" "$work/bench.plan" "$work/bench.bpf"
T=$work/true

echo "== start-up without namespaces, $runs runs each"
"$work/runpairs" -n "$runs" \
  "bare=$T" \
  "setpriv=/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups --bounding-set=-all --no-new-privs $T" \
  "c-floor=$work/floor -n $work/bench.bpf $T" \
  "harden-policy=$harden --policy $work/bench.toml -- $T" \
  "harden-plan=$harden run --plan $work/bench.plan -- $T" \
  "wrapper=$work/bench-wrapper -- $T"

echo
echo "== start-up with ipc/uts/mount/net/pid namespaces (the issue's isolation), $runs runs each"
contenders=("bare=$T" "c-floor-ns=$work/floor $work/bench.bpf $T"
  "harden-policy-ns=$harden --policy $work/bench-ns.toml -- $T"
  "wrapper-ns=$work/bench-ns-wrapper -- $T")
if command -v bwrap >/dev/null; then
  contenders+=("bwrap=<$work/bench.bpf /usr/bin/bwrap --unshare-user --uid 65534 --gid 65534 --unshare-ipc --unshare-uts --unshare-net --unshare-pid --bind / / --cap-drop ALL --seccomp 9 $T")
fi
if command -v firejail >/dev/null; then
  contenders+=("firejail=/usr/bin/firejail --noprofile --quiet $T")
fi
"$work/runpairs" -n "$((runs / 4))" -w 20 "${contenders[@]}"

echo
echo "== hot allowed syscall (getppid, 5M calls, best of 7): ns per call"
bare_ns=$("$work/syscall_loop")
filtered_ns=$("$work/bench-wrapper" -- "$work/syscall_loop")
echo "unfiltered $bare_ns  filtered $filtered_ns  ratio $(python3 -c "print(round($filtered_ns/$bare_ns,3))")"

echo
echo "== large policy: @system-service, 50 argument rules, 100 mounts, 50 nft rules; whole 'harden validate' process"
python3 - "$work/large.toml" <<'PY'
import os, sys
rules = []
for i in range(50):
    rules.append(f'''[[seccomp.rule]]
syscall = "{['socket','ioctl','fcntl','prctl','setsockopt'][i % 5]}"
args = [{{ index = {i % 3}, op = "eq", value = {1000 + i} }}]
action = "errno:EPERM"
''')
# 100 mounts of the constructed root: read-only binds of real directories, and tmpfs.
dirs = sorted(d for d in os.listdir("/usr/share") if os.path.isdir("/usr/share/" + d))[:90]
binds = ", ".join(f'"/usr/share/{d}"' for d in dirs)
tmpfs = ", ".join(f'{{ path = "/srv/t{i}", size = "1M" }}' for i in range(100 - len(dirs)))
for i in range(50):
    rules.append(f'''[[network.allow]]
direction = "egress"
protocol = "tcp"
addresses = ["192.0.2.{i}", "2001:db8::{i:x}"]
ports = [{1000 + i}]
''')
open(sys.argv[1], "w").write('''[policy]
name = "large"
[identity]
user = "nobody"
[seccomp]
default_action = "kill-process"
allow = ["@system-service"]
deny = ["socket", "ioctl", "fcntl", "prctl", "setsockopt"]
[namespaces]
mount = true
[filesystem]
read_only = [''' + binds + ''']
tmpfs = [''' + tmpfs + ''']
[network]
scope = "uid"
egress = "drop"
''' + "\n".join(rules))
PY
"$harden" validate -q "$work/large.toml"
"$work/runpairs" -n 200 -w 10 "validate-minimal=$harden validate -q $work/bench.toml" \
  "validate-large=$harden validate -q $work/large.toml"

echo
echo "== validate throughput: 1000 policies in one process"
mkdir "$work/many"
for i in $(seq 1000); do sed "s/name = \"bench\"/name = \"bench$i\"/" "$work/bench.toml" >"$work/many/p$i.toml"; done
start=$(date +%s.%N)
"$harden" validate -q "$work"/many/*.toml
end=$(date +%s.%N)
python3 -c "t=$end-$start; print(f'1000 policies: {t*1000:.0f} ms, {1000/t:.0f} policies/s')"

echo
echo "== syscalls of one launch (strace -c -f)"
for c in "$work/bench-wrapper -- $T" "$harden --policy $work/bench.toml -- $T"; do
  echo "-- $c"
  strace -f -c -o "$work/strace.txt" $c
  # The summary line: "100.00 SECONDS USECS/CALL CALLS [ERRORS] total".
  awk '$NF == "total" {print "total calls:", $4, " errors:", (NF == 6 ? $5 : 0)}' "$work/strace.txt"
done
