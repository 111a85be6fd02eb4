#!/usr/bin/env bash
# action.yml's lint step: `harden lint` over the policies named in INPUT_POLICIES, with the
# action's inputs as its options; exits as harden lint does. HARDEN names the binary (default:
# the one action-build.sh built in HARDEN_BUILD_DIR).
set -euo pipefail
harden=${HARDEN:-}
if [[ -z $harden ]]; then
  harden=${HARDEN_BUILD_DIR:?neither HARDEN nor HARDEN_BUILD_DIR is set}/cli/harden
fi
read -r -a policies <<<"${INPUT_POLICIES:-policies/}"
if ((${#policies[@]} == 0)); then
  echo "harden lint action: the policies input is empty" >&2
  exit 2
fi
# A path that starts with '-' would read as an option (lint takes nothing after --).
for i in "${!policies[@]}"; do
  [[ ${policies[i]} == -* ]] && policies[i]=./${policies[i]}
done
args=(lint --format "${INPUT_FORMAT:-text}" --fail-on "${INPUT_FAIL_ON:-warning}"
  --threshold "${INPUT_THRESHOLD:-5.0}")
echo "+ harden ${args[*]} ${policies[*]}${INPUT_OUTPUT:+ > $INPUT_OUTPUT}" >&2
if [[ -n ${INPUT_OUTPUT:-} ]]; then
  exec "$harden" "${args[@]}" "${policies[@]}" >"$INPUT_OUTPUT"
fi
exec "$harden" "${args[@]}" "${policies[@]}"
