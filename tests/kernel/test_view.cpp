// The filesystem view as an attacker meets it: a leaked directory fd behind a working
// directory, a NOTIFY_SOCKET naming a host directory, a root target writing /proc, symlinks
// planted in a chroot jail, renames across directories under Landlock. Each case runs the
// real harden binary on the probe and checks an outcome that cannot happen by chance.
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "enforcer/steps.hpp"
#include "tests/kernel/isolation_support.hpp"
#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

constexpr int kLeakedFd = 7;

}  // namespace

TEST_CASE("working directory: /proc/self/fd/N with a leaked directory fd is refused",
          "[view][root]") {
  require_root();
  Jail jail;
  const std::string host = jail.dir.mkdir("host-only", 0755);
  write_file(host + "/secret", "host secret");
  const std::string policy =
      jail.root_policy("wd-proc-fd", "", "[exec]\nworking_directory = \"/proc/self/fd/7\"\n");
  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "cat", "secret"},
                           {.leaked_paths = {{kLeakedFd, host}}});
  INFO(r.describe());
  CHECK(r.exited(harden::exit_code::kPolicyError));
  CHECK(r.err.find("wd-proc-fd.toml:9:21: error") != std::string::npos);
  CHECK(r.err.find("cannot be in /proc") != std::string::npos);
  CHECK(r.out.find("host secret") == std::string::npos);

  // Folding "..": the same place written another way is the same refusal.
  const std::string dotted = jail.root_policy(
      "wd-proc-dotted", "", "[exec]\nworking_directory = \"/tmp/../proc/./self/fd/7\"\n");
  RunResult d = run_harden({"--policy", dotted, "--", jail.probe(), "cat", "secret"},
                           {.leaked_paths = {{kLeakedFd, host}}});
  INFO(d.describe());
  CHECK(d.exited(harden::exit_code::kPolicyError));
  CHECK(d.out.find("host secret") == std::string::npos);
}

TEST_CASE("working directory: a planted symlink to /proc/self/fd/N leads nowhere", "[view][root]") {
  require_root();
  Jail jail;
  const std::string host = jail.dir.mkdir("host-only", 0755);
  write_file(host + "/secret", "host secret");
  // The service's own writable directory, where an earlier run left a link to a magic link.
  const std::string data = jail.dir.mkdir("data", 0755);
  REQUIRE(::symlink("/proc/self/fd/7", (data + "/wd").c_str()) == 0);
  const std::string wd = "[exec]\nworking_directory = \"" + data + "/wd\"\n";
  const std::string fs = "read_write = [\"" + data + "\"]\n";

  // The caller leaked fd 7 on a host directory: it is closed before the working directory is
  // resolved, so the link dangles.
  const std::string policy = jail.root_policy("wd-planted", fs, wd);
  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "cat", "secret"},
                           {.leaked_paths = {{kLeakedFd, host}}});
  INFO(r.describe());
  CHECK(r.exited(harden::exit_code::kWorkingDirectory));
  CHECK(r.err.find("the target was not started") != std::string::npos);
  CHECK(r.out.find("host secret") == std::string::npos);

  // Even when the policy passes the fd on, the magic link is not followed.
  const std::string passed = jail.root_policy("wd-planted-passed", fs, wd + "pass_fds = [7]\n");
  RunResult p = run_harden({"--policy", passed, "--", jail.probe(), "cat", "secret"},
                           {.leaked_paths = {{kLeakedFd, host}}});
  INFO(p.describe());
  CHECK(p.exited(harden::exit_code::kWorkingDirectory));
  CHECK(p.err.find("magic link") != std::string::npos);
  CHECK(p.out.find("host secret") == std::string::npos);

  // Control: a plain directory in the view still works as the working directory.
  write_file(data + "/inside", "in the view");
  const std::string plain =
      jail.root_policy("wd-plain", fs, "[exec]\nworking_directory = \"" + data + "\"\n");
  RunResult ok = run_harden({"--policy", plain, "--", jail.probe(), "cat", "inside"});
  INFO(ok.describe());
  CHECK(ok.exited(kProbeExitOk));
  CHECK(ok.out.find("line: in the view") != std::string::npos);
}
