// [exec] memory_deny_write_execute, through the real binary: the probe asks the kernel for
// memory both writable and executable, and for a writable mapping made executable, and is
// refused with EACCES (PR_SET_MDWE's answer, which a mapping never gets on its own) under
// the policy, and granted both without it. Then the shipped policies/strict.toml, which turns
// it on, runs a static program in its jail.
#include <sys/prctl.h>

#include <cerrno>
#include <string>

#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

#ifndef PR_GET_MDWE
#define PR_GET_MDWE 66
#endif

// PR_GET_MDWE exists from Linux 6.3, with PR_SET_MDWE; before, both are EINVAL.
void require_mdwe() {
  if (::prctl(PR_GET_MDWE, 0, 0, 0, 0) < 0 && errno == EINVAL) {
    skip("this kernel has no PR_SET_MDWE (Linux 6.3 or newer)");
  }
}

struct Dir {
  TempDir dir{"harden-mdwe"};
  std::string probe;
  Dir() {
    dir.chmod(0755);
    probe = dir.file("probe");
    copy_file(probe_binary(), probe, 0755);
  }
};

std::string policy_text(const std::string& exec_line) {
  return "[policy]\nname = \"mdwe\"\n[exec]\n" + exec_line +
         "[identity]\nuser = \"nobody\"\ngroup = \"nogroup\"\n[capabilities]\nkeep = []\n"
         "[seccomp]\ndefault_action = \"kill-process\"\nallow = [\"@system-service\"]\n";
}

}  // namespace

TEST_CASE("memory_deny_write_execute refuses W+X memory with EACCES, and only under it",
          "[mdwe][root]") {
  require_root();
  require_mdwe();
  Dir d;
  const std::string on =
      write_policy(d.dir, "on", policy_text("memory_deny_write_execute = true\n"));
  const std::string off = write_policy(d.dir, "off", policy_text(""));

  const RunResult refused = run_harden({"--policy", on, "--", d.probe, "wx-memory"});
  INFO(refused.describe());
  CHECK(refused.exited(kProbeExitErrno));
  const auto seen = parse_probe(refused.out);
  CHECK(seen.at("mmap_wx") == "errno EACCES");
  CHECK(seen.at("mprotect_exec") == "errno EACCES");

  // The same probe, the same policy without the key: the kernel grants both.
  const RunResult granted = run_harden({"--policy", off, "--", d.probe, "wx-memory"});
  INFO(granted.describe());
  CHECK(granted.exited(kProbeExitOk));
  CHECK(parse_probe(granted.out).at("mmap_wx") == "ok");
  CHECK(parse_probe(granted.out).at("mprotect_exec") == "ok");

  // It is inherited: a program the target executes is refused too.
  const RunResult child = run_harden({"--policy", on, "--", d.probe, "exec", d.probe, "wx-memory"});
  INFO(child.describe());
  CHECK(child.exited(kProbeExitErrno));
  CHECK(parse_probe(child.out).at("mmap_wx") == "errno EACCES");
}

TEST_CASE("the shipped strict policy runs a static program in its jail", "[mdwe][root]") {
  require_root();
  require_mdwe();
  Dir d;
  const std::string jail = d.dir.mkdir("jail");
  copy_file(probe_binary(), jail + "/probe", 0755);
  // policies/strict.toml as shipped, with its chroot moved from /srv to the test's jail.
  // A base must lie in the policy's directory tree (or the search path): copy it there.
  copy_file(source_dir() + "/policies/strict.toml", d.dir.file("strict.toml"), 0644);
  const std::string policy = write_policy(
      d.dir, "strict-here",
      "[policy]\nname = \"strict-here\"\nextends = [\"strict.toml\"]\n[filesystem]\nchroot = \"" +
          jail + "\"\n");

  const RunResult ids = run_harden({"--policy", policy, "--", "/probe", "ids"});
  INFO(ids.describe());
  REQUIRE(ids.exited(kProbeExitOk));
  const auto seen = parse_probe(ids.out);
  CHECK(seen.at("uid") == "64900 64900 64900");
  CHECK(seen.at("gid") == "64900 64900 64900");
  CHECK(seen.at("groups") == "");

  const RunResult wx = run_harden({"--policy", policy, "--", "/probe", "wx-memory"});
  INFO(wx.describe());
  CHECK(wx.exited(kProbeExitErrno));
  CHECK(parse_probe(wx.out).at("mmap_wx") == "errno EACCES");
  CHECK(parse_probe(wx.out).at("mprotect_exec") == "errno EACCES");
}
