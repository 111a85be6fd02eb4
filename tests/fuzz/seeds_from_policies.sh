#!/usr/bin/env bash
# Writes seeds for the plan_decoder and oci_seccomp targets from the shipped daemon policies,
# whose plans carry what the small test policies do not (a firewall, Landlock ports, /proc,
# refusing rules with argument conditions):
#
#   tests/fuzz/seeds_from_policies.sh build/cli/harden
#
# plan_decoder/shipped-NAME is a sealed plan without its 48-byte header and 32-byte digest (the
# target puts them back); oci_seccomp/shipped-NAME.json is harden's OCI export of the policy.
# The plans depend on this machine's users and groups, which is fine for seeds.
set -euo pipefail
cd "$(dirname "$0")/../.."
harden=${1:?usage: tests/fuzz/seeds_from_policies.sh HARDEN}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for policy in policies/*.toml; do
  name=$(basename "$policy" .toml)
  "$harden" compile --plan-only -o "$work/$name.plan" "$policy" >/dev/null 2>&1
  size=$(stat -c %s "$work/$name.plan")
  tail -c +49 "$work/$name.plan" | head -c $((size - 48 - 32)) >"tests/fuzz/corpus/plan_decoder/shipped-$name"
  "$harden" export --format oci-seccomp "$policy" >"tests/fuzz/corpus/oci_seccomp/shipped-$name.json" 2>/dev/null
done
