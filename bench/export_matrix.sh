#!/usr/bin/env bash
# Every export format x every shipped policy, as a markdown table: what each export gives and
# how the format's own tool judges it. Run by hand as root (the closing note of issue 14 quotes
# it); the tests hold the same results (tests/kernel/test_systemd_native.cpp,
# tests/unit/test_k8s_export.cpp, tests/kernel/test_export_consumers.cpp).
#
#   bash bench/export_matrix.sh            # HARDEN=... to choose the binary
#
# systemd native / wrapper: `systemd-analyze security --offline=yes` exposure (lower is
#   better; native with --systemd-version 257 for the daemons' PID namespace).
# oci-seccomp, k8s, k8s-seccompprofile, k8s-networkpolicy: parsed back (JSON, or YAML 1.1 by
#   PyYAML as kubectl reads it), with the number of syscall entries or objects.
# apparmor: `apparmor_parser -Q -K` (parsed and compiled, not loaded).
# nft: `nft -c -f` (checked by the kernel's own parser, not loaded).
# auditctl: the rules file, line count ("-" when the policy has no [audit]).
# "-": the policy has nothing for the format (export exit 1, said on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
harden=${HARDEN:-build/cli/harden}
[[ -x $harden ]] || harden=build/harden
harden=$(realpath "$harden")
export HARDEN_POLICY_PATH=$PWD/policies
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

score() {  # unit text on stdin -> exposure
  { echo "[Unit]"; echo "Description=export matrix"; cat; } >"$work/x.service"
  # A hardening-only drop-in (a policy without [exec] command) keeps the packaged ExecStart=.
  grep -q '^ExecStart=.' "$work/x.service" || echo "ExecStart=/usr/local/bin/service" >>"$work/x.service"
  systemd-analyze security --offline=yes "$work/x.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for x.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p'
}

cell() {  # policy format -> one table cell
  local policy=$1 format=$2 out=$work/out rc=0
  case $format in
    native) "$harden" export --format systemd --native --systemd-version 257 "$policy" \
              >"$out" 2>/dev/null || rc=$?
            ((rc == 0)) && score <"$out" || echo "-" ;;
    wrapper) "$harden" export --format systemd --wrapper "$policy" -- /usr/local/bin/service \
               >"$out" 2>/dev/null || rc=$?
             ((rc == 0)) && score <"$out" || echo "-" ;;
    oci-seccomp) "$harden" export --format oci-seccomp "$policy" >"$out" 2>/dev/null || rc=$?
                 ((rc == 0)) || { echo "-"; return; }
                 python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
print("JSON ok, %d entries" % len(d.get("syscalls", [])))' "$out" ;;
    k8s|k8s-seccompprofile|k8s-networkpolicy)
      local image=()
      [[ $format == k8s ]] && image=(--image registry.example/service:1)
      "$harden" export --format "$format" "${image[@]}" "$policy" >"$out" 2>/dev/null || rc=$?
      ((rc == 0)) || { echo "-"; return; }
      python3 -c 'import sys, yaml; docs=[d for d in yaml.safe_load_all(open(sys.argv[1])) if d];
print("YAML ok, " + ", ".join(d.get("kind", "?") for d in docs))' "$out" ;;
    apparmor) "$harden" export --format apparmor "$policy" >"$out" 2>/dev/null || rc=$?
              ((rc == 0)) || { echo "-"; return; }
              if apparmor_parser -Q -K "$out" >/dev/null 2>&1; then echo "parser ok"; else echo "parser FAILED"; fi ;;
    nft) "$harden" export --format nft "$policy" >"$out" 2>/dev/null || rc=$?
         ((rc == 0)) || { echo "-"; return; }
         # The script deletes and re-adds its table: checked in a scratch network namespace.
         if unshare --net nft -c -f "$out" >/dev/null 2>&1; then echo "nft -c ok"; else echo "nft -c FAILED"; fi ;;
    auditctl) "$harden" export --format auditctl "$policy" >"$out" 2>/dev/null || rc=$?
              ((rc == 0)) && echo "$(grep -c '^-' "$out") rules" || echo "-" ;;
  esac
}

formats=(native wrapper oci-seccomp k8s k8s-seccompprofile k8s-networkpolicy apparmor nft auditctl)
printf '| policy |'; printf ' %s |' "${formats[@]}"; echo
printf '| --- |'; printf ' --- |%.0s' "${formats[@]}"; echo
for policy in policies/*.toml; do
  printf '| %s |' "$(basename "$policy" .toml)"
  for format in "${formats[@]}"; do printf ' %s |' "$(cell "$policy" "$format")"; done
  echo
done
