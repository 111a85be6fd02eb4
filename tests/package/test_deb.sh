#!/usr/bin/env bash
# The Debian package, end to end on the real system: `cpack -G DEB` from this build directory,
# the package's fields and files, `apt-get install ./harden_*.deb`, then the installed harden
# runs a shipped policy, a policy extending a library base from an unrelated directory, and a
# wrapper compiled from the installed stub; man and bash completion find their files; finally
# `apt-get purge` leaves nothing behind. The package is purged on every exit path; a harden
# package this test did not install is never touched (the test skips).
#
# Usage: test_deb.sh BUILD_DIR   (as root; exit 77 = skipped, unless HARDEN_TESTS_MUST_RUN=1)
set -euo pipefail
build_dir=$(realpath "$1")
skip_code=77

skip() {
  if [[ ${HARDEN_TESTS_MUST_RUN:-} == 1 ]]; then
    echo "must run: $*" >&2
    exit 1
  fi
  echo "SKIPPED: $*" >&2
  exit "$skip_code"
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

((EUID == 0)) || skip "installing a package needs root"
for tool in cpack dpkg dpkg-deb apt-get man nft; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done

# One run at a time on this machine (several build trees may run the suite at once), and not
# beside the documentation test, which also runs the shipped http-server policy (fixed names).
exec 9>/run/lock/harden-shipped-policies.lock
flock -w 600 9 || fail "another package test held /run/lock/harden-shipped-policies.lock for 10 min"

package_state() { dpkg-query -W -f='${db:Status-Status}' harden 2>/dev/null || true; }
if [[ -n $(package_state) && $(package_state) != not-installed ]]; then
  skip "a harden package is already installed on this machine (not by this test); not touching it"
fi

work=$(mktemp -d /tmp/harden-package-test.XXXXXX)
installed_by_us=0
table_made=0
cleanup() {
  local status=$?
  set +e
  if ((table_made)); then nft delete table inet harden_http-server 2>/dev/null; fi
  if ((installed_by_us)); then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq harden >/dev/null 2>&1 ||
      dpkg --purge harden >/dev/null 2>&1
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "== cpack -G DEB"
(cd "$build_dir" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
debs=("$work"/out/harden_*.deb)
[[ -f ${debs[0]} && ${#debs[@]} == 1 ]] || fail "cpack wrote no single harden_*.deb: ${debs[*]}"
deb=${debs[0]}
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

echo "== control fields"
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == harden ]] || fail "Package: $(field Package)"
depends=$(field Depends)
echo "Depends: $depends"
[[ $depends == *libc6* ]] || fail "Depends lacks libc6 (dpkg-shlibdeps): $depends"
[[ $depends == *"libnftables1 (>="* ]] || fail "Depends lacks a versioned libnftables1: $depends"
description=$(field Description)
for embedded in libseccomp libcap2 audit libcap-ng tomlplusplus cli11 nlohmann-json3 gcc- glibc; do
  [[ $description =~ (^|[[:space:]])$embedded[^[:space:]]*\ [0-9] ]] ||
    fail "the description does not name the embedded $embedded with its version"
done

echo "== files"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents"
for path in /usr/bin/harden /usr/libexec/harden/harden-exec /usr/libexec/harden/harden-exec-dynamic \
  /usr/share/man/man1/harden.1.gz /usr/share/man/man1/harden-lint.1.gz \
  /usr/share/man/man5/harden.toml.5.gz /usr/share/harden/policies/base/service.toml \
  /usr/share/harden/policies/strict.toml /usr/share/bash-completion/completions/harden \
  /usr/share/doc/harden/copyright /usr/share/doc/harden/README.Debian; do
  grep -qxF "$path" "$work/contents" || fail "$path is not in the package"
done
if grep -vE '^/$|^/usr/?$|^/usr/(bin|libexec|share)(/.*)?$' "$work/contents" | grep .; then
  fail "the package installs files outside /usr/bin, /usr/libexec and /usr/share (above)"
fi
mkdir "$work/unpacked"
dpkg-deb -x "$deb" "$work/unpacked"
for binary in usr/bin/harden usr/libexec/harden/harden-exec usr/libexec/harden/harden-exec-dynamic; do
  if readelf -S "$work/unpacked/$binary" | grep -qE '\.(symtab|debug_info)'; then
    fail "$binary is not stripped"
  fi
done
if readelf -d "$work/unpacked/usr/libexec/harden/harden-exec" | grep -q NEEDED; then
  fail "harden-exec needs a shared library; it must stay static"
fi
gzip -t "$work/unpacked/usr/share/man/man1/harden.1.gz" || fail "harden.1.gz is not gzip"

echo "== apt-get install $(basename "$deb")"
installed_by_us=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get install failed"; }
[[ $(command -v harden) == /usr/bin/harden ]] || fail "harden on PATH is $(command -v harden)"
/usr/bin/harden --version

# From a directory that has nothing to do with the sources or the build.
elsewhere="$work/elsewhere"
mkdir "$elsewhere"
chmod 0755 "$work" "$elsewhere"
cd "$elsewhere"
unset HARDEN_POLICY_PATH

echo "== a shipped policy: /usr/share/harden/policies/http-server.toml"
table_made=1  # its firewall table stays after the target exits (see the policy)
# The policy is python's own (its exec lock lets nothing else run), so python says its uid.
out=$(/usr/bin/harden --policy /usr/share/harden/policies/http-server.toml -- \
  /usr/bin/python3 -c 'import os; print(os.getuid())')
[[ $out == "$(id -u www-data)" ]] || fail "the target ran as uid '$out', not www-data's"
nft list table inet harden_http-server >/dev/null || fail "the policy's firewall table is missing"
/usr/bin/harden down --policy /usr/share/harden/policies/http-server.toml
table_made=0
if nft list table inet harden_http-server >/dev/null 2>&1; then fail "harden down left the table"; fi

echo "== a policy extending the library's base/service.toml"
cat >mine.toml <<'EOF'
[policy]
name = "package-test"
extends = ["base/service.toml"]

[identity]
user = "nobody"
group = "nogroup"
supplementary_groups = []
EOF
out=$(/usr/bin/harden --policy mine.toml -- /usr/bin/id -u)
[[ $out == 65534 ]] || fail "the target ran as uid '$out', not nobody"
# The base came from the installed library: without the search path it cannot be found.
if HARDEN_POLICY_PATH=/nonexistent /usr/bin/harden validate mine.toml >"$work/v.log" 2>&1; then
  fail "mine.toml validated without the search path: the base came from somewhere else"
fi
grep -q "base/service.toml" "$work/v.log" || fail "the missing base is not named: $(cat "$work/v.log")"

echo "== harden compile with the installed stubs"
/usr/bin/harden compile mine.toml -o "$work/wrapper"
out=$("$work/wrapper" -- /usr/bin/id -u)
[[ $out == 65534 ]] || fail "the wrapper ran its target as uid '$out'"
/usr/bin/harden lint /usr/share/harden/policies

echo "== man and bash completion"
[[ $(man -w harden) == /usr/share/man/man1/harden.1.gz ]] || fail "man -w harden: $(man -w harden)"
[[ $(man -w 5 harden.toml) == /usr/share/man/man5/harden.toml.5.gz ]] || fail "man -w 5 harden.toml"
man harden-lint 2>/dev/null | grep -q "exposure" || fail "man harden-lint does not render"
# complete WORDS...: what the installed completion offers for the last word.
complete_words() {
  bash -c 'source /usr/share/bash-completion/completions/harden
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _harden; printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' \
    _ "$@"
}
expect_completion() {
  local want=$1
  shift
  local got
  got=$(complete_words "$@")
  [[ $got == "$want" ]] || fail "completing '$*' gave '$got', not '$want'"
}
expect_completion validate harden val
expect_completion "--plan --policy" harden --p
expect_completion "json sarif text" harden lint --format ""
expect_completion "--fail-on --format" harden lint --f
expect_completion "mine.toml" harden --policy mi
expect_completion "mine.toml" harden validate m
expect_completion lscpu harden --policy mine.toml -- lscp

echo "== apt-get purge"
dpkg -L harden >"$work/owned"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq harden >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt-get purge failed"; }
installed_by_us=0
if [[ -n $(package_state) && $(package_state) != not-installed ]]; then
  fail "harden is still known to dpkg after purge: $(package_state)"
fi
while read -r path; do
  case $path in
    /. | /usr | /usr/bin | /usr/libexec | /usr/share | /usr/share/man | /usr/share/man/man* | \
      /usr/share/doc | /usr/share/bash-completion | /usr/share/bash-completion/completions) ;;
    *) if [[ -e $path ]]; then fail "$path remains after purge"; fi ;;
  esac
done <"$work/owned"
for dir in /usr/share/harden /usr/libexec/harden /usr/share/doc/harden; do
  if [[ -e $dir ]]; then fail "$dir remains after purge"; fi
done
echo "package test passed"
