// `harden lint` and `harden validate` of the shipped policies on a machine without the daemons
// they are written for (a CI runner): in a mount namespace whose /etc/passwd and /etc/group know
// only root and nobody, and where /etc, /var and /run hold none of the daemons' files, lint
// gives the same JSON report as on this host, and validate passes; validate --host fails there,
// which proves the namespace really lacks what the policies name.
#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/harness.hpp"

using namespace harden::test;
using nlohmann::json;

namespace {

// The directories hidden under empty tmpfs mounts; /etc is replaced by a copy of the few files
// the dynamic loader needs, with passwd and group of a bare machine.
const std::vector<std::string> kHidden = {"/var", "/run", "/srv", "/usr/lib/postgresql"};

bool under(const std::string& path, const std::string& dir) {
  return path == dir || path.starts_with(dir + "/");
}

// Runs `harden ARGS...` in a fresh mount namespace that looks like a machine without the
// daemons; "PREMISE BROKEN" on stderr when a daemon's user or directory is still visible.
RunResult run_on_bare_machine(const TempDir& dir, const std::vector<std::string>& args) {
  const std::string etc = dir.path() + "/etc";
  std::string script = "set -e\nmount --make-rprivate /\nmkdir -p " + etc + "\n";
  script +=
      "for f in ld.so.cache ld.so.conf nsswitch.conf; do [ -e /etc/$f ] && cp /etc/$f " + etc +
      "/; done\n"
      "[ -d /etc/ld.so.conf.d ] && cp -r /etc/ld.so.conf.d " +
      etc +
      "/\n"
      "printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false"
      "\\n' > " +
      etc +
      "/passwd\n"
      "printf 'root:x:0:\\nnogroup:x:65534:\\n' > " +
      etc +
      "/group\n"
      "mount --bind " +
      etc + " /etc\n";
  for (const std::string& hidden : kHidden)
    script += "if [ -d " + hidden + " ]; then mount -t tmpfs harden-test " + hidden + "; fi\n";
  // The premise, checked inside: none of the daemons' users or directories is left.
  script +=
      "for u in www-data memcache postgres redis; do\n"
      "  if getent passwd $u >/dev/null; then echo \"PREMISE BROKEN: user $u\" >&2; exit 90; fi\n"
      "done\n"
      "for d in /var/lib/postgresql /var/lib/redis /etc/nginx /etc/redis /var/www; do\n"
      "  if [ -e $d ]; then echo \"PREMISE BROKEN: $d\" >&2; exit 90; fi\n"
      "done\n"
      "set +e\nexec \"$@\"\n";
  std::vector<std::string> argv = {"unshare", "-m", "sh", "-c", script, "sh", harden_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

}  // namespace

TEST_CASE("the shipped policies lint and validate the same on a machine without the daemons",
          "[lint][host][root]") {
  require_root();
  if (find_program("unshare").empty()) skip("unshare (util-linux) is not installed");
  const std::string policies = source_dir() + "/policies";
  for (const std::string& hidden : kHidden) {
    if (under(harden_binary(), hidden) || under(source_dir(), hidden)) {
      skip("the build or the source is under " + hidden + ", which this test hides");
    }
  }
  TempDir dir;

  const RunResult here = run_harden({"lint", "--format", "json", policies});
  INFO(here.describe());
  REQUIRE(here.exited(0));

  const RunResult bare = run_on_bare_machine(dir, {"lint", "--format", "json", policies});
  INFO(bare.describe());
  REQUIRE(bare.err.find("PREMISE BROKEN") == std::string::npos);
  CHECK(bare.exited(0));
  // The same report, finding for finding and score for score.
  CHECK(json::parse(bare.out) == json::parse(here.out));

  const RunResult validate = run_on_bare_machine(dir, {"validate", policies});
  INFO(validate.describe());
  CHECK(validate.exited(0));
  CHECK(validate.err.empty());

  // What the policies need from a host is really missing there: --host says so, with the
  // position of the user the first service policy names.
  const RunResult host = run_on_bare_machine(dir, {"validate", "--host", policies});
  INFO(host.describe());
  CHECK(host.exited(125));
  CHECK(host.err.find("/policies/redis.toml:") != std::string::npos);
  CHECK(host.err.find("error: unknown user 'redis'") != std::string::npos);
}
