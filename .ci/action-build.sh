#!/usr/bin/env bash
# action.yml's build step: the build packages of .ci/build-deps.txt, then harden alone (no
# tests), in HARDEN_BUILD_DIR. GitHub's runners are not root: apt-get runs through sudo there.
set -euo pipefail
source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${HARDEN_BUILD_DIR:?HARDEN_BUILD_DIR is not set}
sudo=()
((EUID == 0)) || sudo=(sudo)
"${sudo[@]}" bash "$source_dir/.ci/install-deps.sh" build
cmake -S "$source_dir" -B "$build_dir" -DHARDEN_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release
cmake --build "$build_dir" -j"$(nproc)" --target harden
