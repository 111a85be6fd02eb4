// `harden import --from systemd` on a realistic unit: Debian 12's nginx.service with a drop-in
// of the hardening directives administrators add (tests/data/systemd). The imported policy
// validates, and the probe run under it (in place of nginx) shows the unit's restrictions
// hold in the kernel: the uid and gid of User=/Group=, only the ambient capability, a call
// SystemCallFilter= denies refused with SystemCallErrorNumber=, a namespace RestrictNamespaces=
// forbids, an address family RestrictAddressFamilies= leaves out, and PrivateTmp='s empty /tmp.
#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>

#include "tests/support/harness.hpp"

using namespace harden::test;
namespace fs = std::filesystem;

namespace {

// A directory under /run for the probe: the imported root hides /tmp (PrivateTmp=) and binds
// /run (ReadWritePaths=/run). Removed when the test ends, whatever happens.
class RunDirectory {
 public:
  RunDirectory() : path_("/run/" + unique_name("harden-import")) {
    fs::create_directory(path_);
    fs::permissions(path_, fs::perms(0755));
  }
  ~RunDirectory() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("an imported nginx unit's restrictions hold for the program run under it",
          "[import][systemd][root]") {
  require_root();
  const passwd* www = getpwnam("www-data");
  if (www == nullptr) skip("no www-data user (Debian's base-passwd has one)");
  const uid_t uid = www->pw_uid;
  const gid_t gid = www->pw_gid;

  TempDir dir("harden-import");
  const std::string data = source_dir() + "/tests/data/systemd/";
  // The unit and its drop-in, merged as systemd merges them (the drop-in's [Service] last).
  const std::string unit = dir.file("nginx.service");
  const std::string unit_text =
      read_file(data + "nginx.service") + "\n" + read_file(data + "nginx-hardening.conf");
  write_file(unit, unit_text);
  const size_t realtime_at = unit_text.find("RestrictRealtime=");
  REQUIRE(realtime_at != std::string::npos);
  const std::string realtime_line =
      std::to_string(std::count(unit_text.begin(), unit_text.begin() + realtime_at, '\n') + 1);
  const RunResult imported =
      run_harden({"import", "--from", "systemd", unit, "-o", dir.file("nginx.toml")});
  INFO(imported.describe());
  REQUIRE(imported.exited(0));
  const std::string policy_text = read_file(dir.file("nginx.toml"));
  INFO(policy_text);
  // The service management lines stayed in the unit; RestrictRealtime= is named with its line.
  CHECK(policy_text.find("Kept in the unit (service management, not sandboxing): Type= PIDFile=") !=
        std::string::npos);
  CHECK(policy_text.find("nginx.service:" + realtime_line + ": RestrictRealtime=yes") !=
        std::string::npos);
  CHECK(imported.err.find("nginx.service:" + realtime_line +
                          ":1: warning: not imported: RestrictRealtime=") != std::string::npos);
  CHECK(policy_text.find(
            "command = [\"/usr/sbin/nginx\", \"-g\", \"daemon on; master_process on;\"]") !=
        std::string::npos);
  REQUIRE(run_harden({"validate", dir.file("nginx.toml")}).exited(0));

  RunDirectory run_dir;
  const std::string probe = run_dir.path() + "/probe";
  copy_file(probe_binary(), probe, 0755);
  auto under_policy = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{"run", "--policy", dir.file("nginx.toml"), "--", probe};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_harden(argv);
  };

  const RunResult status = under_policy({"status"});
  INFO(status.describe());
  REQUIRE(status.exited(kProbeExitOk));
  const auto facts = parse_probe(status.out);
  CHECK(facts.at("Uid") == std::to_string(uid) + "\t" + std::to_string(uid) + "\t" +
                               std::to_string(uid) + "\t" + std::to_string(uid));
  CHECK(facts.at("Gid").starts_with(std::to_string(gid) + "\t"));
  CHECK(facts.at("CapEff") == "0000000000000400");  // CAP_NET_BIND_SERVICE only
  CHECK(facts.at("NoNewPrivs") == "1");
  CHECK(facts.at("Seccomp") == "2");

  // SystemCallFilter=~@privileged with SystemCallErrorNumber=EPERM: chroot is refused.
  const RunResult chroot_call = under_policy({"syscall", std::to_string(SYS_chroot), "0"});
  INFO(chroot_call.describe());
  CHECK(chroot_call.exited(kProbeExitErrno));
  CHECK(parse_probe(chroot_call.out)["errno"] == "EPERM");
  // RestrictNamespaces=yes: unshare(CLONE_NEWUTS) is refused by the filter (www-data could
  // not do it anyway without the capability; EPERM from seccomp says the same, so also check
  // an allowed call passes).
  const RunResult unshare_call =
      under_policy({"syscall", std::to_string(SYS_unshare), std::to_string(0x04000000)});
  CHECK(unshare_call.exited(kProbeExitErrno));
  CHECK(parse_probe(unshare_call.out)["errno"] == "EPERM");
  CHECK(under_policy({"syscall", std::to_string(SYS_getppid)}).exited(kProbeExitOk));
  // RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6: netlink gets EAFNOSUPPORT, which the
  // kernel would never answer for AF_NETLINK itself; AF_INET works.
  const RunResult netlink =
      under_policy({"socket", std::to_string(AF_NETLINK), std::to_string(SOCK_RAW)});
  INFO(netlink.describe());
  CHECK(netlink.exited(kProbeExitErrno));
  CHECK(parse_probe(netlink.out)["errno"] == "EAFNOSUPPORT");
  CHECK(under_policy({"socket", std::to_string(AF_INET), std::to_string(SOCK_STREAM)})
            .exited(kProbeExitOk));
  // PrivateTmp=yes: the host's /tmp (where this test's own files are) is not there.
  const RunResult tmp = under_policy({"open", dir.file("nginx.toml"), "r"});
  CHECK(tmp.exited(kProbeExitErrno));
  CHECK(parse_probe(tmp.out)["errno"] == "ENOENT");
}
