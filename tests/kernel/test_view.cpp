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

namespace {

// A datagram socket bound at `path`, standing in for systemd's /run/systemd/notify.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("cannot bind a unix socket at " + path);
    }
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  std::string receive() const {
    char buffer[256] = {};
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer - 1, MSG_DONTWAIT);
    return std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0);
  }

 private:
  int fd_;
};

// The mountinfo line whose mount point is `where`, or "".
std::string mount_line(const std::string& probe_out, const std::string& where) {
  for (const std::string& line : probe_values(probe_out, "line")) {
    const auto fields = split_fields(line);
    if (fields.size() > 5 && fields[4] == where) return line;
  }
  return {};
}

}  // namespace

TEST_CASE("NOTIFY_SOCKET: a host directory is never bound into the view", "[view][root]") {
  require_root();
  Jail jail;
  const std::string victim = jail.dir.mkdir("victim", 0777);
  const std::string policy = jail.root_policy("notify-dir", "");
  RunResult r =
      run_harden({"--policy", policy, "--", jail.probe(), "write", victim + "/pwned", "x"},
                 {.env = {"NOTIFY_SOCKET=" + victim}});
  INFO(r.describe());
  CHECK(r.exited(harden::exit_code::kMounts));
  CHECK(r.err.find("is not a socket but a directory") != std::string::npos);
  CHECK_FALSE(path_exists(victim + "/pwned"));
}

TEST_CASE("NOTIFY_SOCKET: a symlink to a socket is refused", "[view][root]") {
  require_root();
  Jail jail;
  NotifySocket socket(jail.dir.file("notify.sock"));
  const std::string link = jail.dir.file("notify.link");
  REQUIRE(::symlink(jail.dir.file("notify.sock").c_str(), link.c_str()) == 0);
  const std::string policy = jail.root_policy("notify-link", "");
  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "write-stdout", "TARGET-RAN"},
                           {.env = {"NOTIFY_SOCKET=" + link}});
  INFO(r.describe());
  CHECK(r.exited(harden::exit_code::kMounts));
  CHECK(r.err.find("symlink") != std::string::npos);
  CHECK(r.out.find("TARGET-RAN") == std::string::npos);
}

TEST_CASE("NOTIFY_SOCKET: the real socket is bound read-only and sd_notify gets through",
          "[view][root]") {
  require_root();
  Jail jail;
  const std::string path = jail.dir.file("notify.sock");
  NotifySocket socket(path);
  const std::string policy = jail.root_policy("notify-real", "");
  RunResult mounts =
      run_harden({"--policy", policy, "--", jail.probe(), "cat", "/proc/self/mountinfo"},
                 {.env = {"NOTIFY_SOCKET=" + path}});
  INFO(mounts.describe());
  REQUIRE(mounts.exited(kProbeExitOk));
  const std::string line = mount_line(mounts.out, path);
  INFO(line);
  REQUIRE_FALSE(line.empty());
  const std::string options = split_fields(line)[5];
  CHECK(options.starts_with("ro,"));
  for (const char* flag : {"nosuid", "nodev", "noexec"})
    CHECK(options.find(flag) != std::string::npos);

  RunResult r = run_harden({"--policy", policy, "--", jail.probe(), "sd-notify", jail.probe()},
                           {.env = {"NOTIFY_SOCKET=" + path}, .timeout = std::chrono::seconds(2)});
  INFO(r.describe());
  CHECK(r.out.find("sd-notify: sent") != std::string::npos);
  CHECK(socket.receive() == "READY=1\nSTATUS=harden probe ready");
}

TEST_CASE("environment: entries without '=' are ignored, not read past their end", "[view][root]") {
  require_root();
  Jail jail;
  const std::string victim = jail.dir.mkdir("victim", 0777);
  // execve passes any string: "NOTIFY_SOCKET" with no '=' was taken as the variable, and its
  // "value" read past the end into the next string, here a host directory.
  const std::string policy =
      jail.root_policy("env-no-equals", "", "[environment]\nclear = false\n");
  RunResult r =
      run_harden({"--policy", policy, "--", jail.probe(), "write", victim + "/pwned", "x"},
                 {.env = {"NOTIFY_SOCKET", victim, "PATH", "/bin", "KEEP=1"}, .clear_env = true});
  INFO(r.describe());
  CHECK(parse_probe(r.out)["errno"] == "ENOENT");  // the directory is not in the view
  CHECK_FALSE(path_exists(victim + "/pwned"));

  RunResult env = run_harden({"--policy", policy, "--", jail.probe(), "status"},
                             {.env = {"NOTIFY_SOCKET", "PATH", "KEEP=1"}, .clear_env = true});
  INFO(env.describe());
  REQUIRE(env.exited(kProbeExitOk));
  const auto vars = probe_env(env.out);
  CHECK(vars == std::vector<std::pair<std::string, std::string>>{{"KEEP", "1"}});
}

TEST_CASE("proc: a root target cannot write the kernel's knobs nor read its secrets",
          "[view][root]") {
  require_root();
  Jail jail;
  // An interrupt with an affinity file, as the host shows it.
  std::string irq;
  if (DIR* dir = ::opendir("/proc/irq")) {
    while (const dirent* entry = ::readdir(dir)) {
      const std::string file = std::string("/proc/irq/") + entry->d_name + "/smp_affinity";
      if (entry->d_name[0] != '.' && path_exists(file)) {
        irq = file;
        break;
      }
    }
    ::closedir(dir);
  }
  if (irq.empty()) skip("this kernel shows no /proc/irq/N/smp_affinity");
  // No [identity]: the target runs as uid 0 (without capabilities).
  const std::string policy = jail.root_policy("proc-root", "", "[namespaces]\npid = true\n");
  // Empty writes: opening for writing is the attack, and nothing is written if it succeeds.
  for (const std::string& knob :
       {irq, std::string("/proc/sys/kernel/hostname"), std::string("/proc/sysrq-trigger")}) {
    INFO(knob);
    RunResult w = run_harden({"--policy", policy, "--", jail.probe(), "write", knob, ""});
    INFO(w.describe());
    CHECK(w.exited(kProbeExitErrno));
    const std::string error = parse_probe(w.out)["errno"];
    if (path_exists(knob)) {
      CHECK((error == "EROFS" || error == "EACCES"));
    } else {
      CHECK(error == "ENOENT");  // the kernel has none, inside or out
    }
  }
  for (const char* secret : {"/proc/kcore", "/proc/keys", "/proc/timer_list"}) {
    INFO(secret);
    RunResult c = run_harden({"--policy", policy, "--", jail.probe(), "cat", secret});
    INFO(c.describe());
    if (path_exists(secret)) {
      // Masked by a nodev bind of /dev/null: it cannot even be opened, and holds nothing.
      CHECK(parse_probe(c.out)["errno"] == "EACCES");
      CHECK(probe_values(c.out, "line").empty());
    } else {
      CHECK(parse_probe(c.out)["errno"] == "ENOENT");
    }
  }
  // /proc/irq itself is a read-only mount; /proc/acpi (a directory) an empty one.
  RunResult m = run_harden({"--policy", policy, "--", jail.probe(), "cat", "/proc/self/mountinfo"});
  INFO(m.describe());
  const std::string irq_mount = mount_line(m.out, "/proc/irq");
  REQUIRE_FALSE(irq_mount.empty());
  CHECK(split_fields(irq_mount)[5].starts_with("ro,"));
  // With sys = true, /sys/firmware is an empty tmpfs.
  const std::string with_sys =
      jail.root_policy("proc-root-sys", "sys = true\n", "[namespaces]\npid = true\n");
  RunResult firmware =
      run_harden({"--policy", with_sys, "--", jail.probe(), "cat", "/proc/self/mountinfo"});
  INFO(firmware.describe());
  CHECK(mount_line(firmware.out, "/sys/firmware").find(" - tmpfs ") != std::string::npos);
  if (path_exists("/proc/acpi")) {
    // An empty tmpfs of mode 0 over it: nothing to list, and not even a listing.
    RunResult acpi = run_harden({"--policy", policy, "--", jail.probe(), "ls", "/proc/acpi"});
    INFO(acpi.describe());
    CHECK(parse_probe(acpi.out)["errno"] == "EACCES");
    CHECK(probe_values(acpi.out, "entry").empty());
    const std::string acpi_mount = mount_line(m.out, "/proc/acpi");
    CHECK(acpi_mount.find(" - tmpfs ") != std::string::npos);
  }
}

namespace {

// A chroot jail: the Jail's directory (the static probe at /bin/harden_probe inside).
std::string jail_policy(const Jail& jail, const std::string& name, const std::string& filesystem,
                        const std::string& sections = "[namespaces]\npid = true\n") {
  return jail.policy(
      name, "[filesystem]\nchroot = \"" + jail.dir.path() + "\"\n" + filesystem + sections);
}

}  // namespace

TEST_CASE("chroot: proc, a minimal /dev and a tmpfs inside the jail", "[view][root]") {
  require_root();
  Jail jail;
  const std::string policy =
      jail_policy(jail, "jail-mounts", "proc = true\ndev = \"minimal\"\ntmpfs = [\"/tmp\"]\n");
  RunResult ls = run_harden({"--policy", policy, "--", "/bin/harden_probe", "ls", "/proc"});
  INFO(ls.describe());
  REQUIRE(ls.exited(kProbeExitOk));
  std::vector<std::string> pids;
  for (const std::string& e : probe_values(ls.out, "entry")) {
    if (!e.empty() && std::isdigit(static_cast<unsigned char>(e[0]))) pids.push_back(e);
  }
  CHECK(pids == std::vector<std::string>{"1", "2"});  // the PID namespace's own proc

  RunResult null =
      run_harden({"--policy", policy, "--", "/bin/harden_probe", "write", "/dev/null", "x"});
  INFO(null.describe());
  CHECK(null.exited(kProbeExitOk));
  RunResult tmp =
      run_harden({"--policy", policy, "--", "/bin/harden_probe", "write", "/tmp/x", "x"});
  INFO(tmp.describe());
  CHECK(tmp.exited(kProbeExitOk));
  CHECK_FALSE(path_exists(jail.dir.file("tmp/x")));  // in the tmpfs, not in the jail
  // The same /proc hardening as a constructed root's, for a root target.
  RunResult sys = run_harden(
      {"--policy", policy, "--", "/bin/harden_probe", "write", "/proc/sys/kernel/hostname", ""});
  INFO(sys.describe());
  CHECK(parse_probe(sys.out)["errno"] == "EROFS");
  // harden's PID 1 stays outside the jail; its root and cwd are links the target cannot follow.
  for (const char* link : {"/proc/1/root", "/proc/1/cwd"}) {
    RunResult out = run_harden({"--policy", policy, "--", "/bin/harden_probe", "ls", link});
    INFO(out.describe());
    CHECK(parse_probe(out.out)["errno"] == "EACCES");
  }
  // Nothing was mounted in the host's view of the jail (a private mount namespace).
  CHECK(read_file("/proc/self/mountinfo").find(jail.dir.path()) == std::string::npos);
}

TEST_CASE("chroot: a symlink planted in the jail never redirects a mount", "[view][root]") {
  require_root();
  SECTION("jail/proc -> /etc") {
    Jail jail;
    REQUIRE(::symlink("/etc", jail.dir.file("proc").c_str()) == 0);
    const std::string policy = jail_policy(jail, "jail-proc-link", "proc = true\n");
    RunResult r =
        run_harden({"--policy", policy, "--", "/bin/harden_probe", "write-stdout", "RAN"});
    INFO(r.describe());
    CHECK(r.exited(harden::exit_code::kMounts));
    CHECK(r.err.find("is a symlink") != std::string::npos);
    CHECK(r.out.find("RAN") == std::string::npos);
  }
  SECTION("jail/dev -> /etc") {
    Jail jail;
    REQUIRE(::symlink("/etc", jail.dir.file("dev").c_str()) == 0);
    const std::string policy = jail_policy(jail, "jail-dev-link", "dev = \"minimal\"\n");
    RunResult r =
        run_harden({"--policy", policy, "--", "/bin/harden_probe", "write-stdout", "RAN"});
    INFO(r.describe());
    CHECK(r.exited(harden::exit_code::kMounts));
    CHECK(r.err.find("is a symlink") != std::string::npos);
    CHECK(r.out.find("RAN") == std::string::npos);
  }
  SECTION("jail/dev/null -> a host file: covered by the fresh /dev, written nowhere") {
    Jail jail;
    const std::string host_file = jail.dir.mkdir("../" + unique_name("host-only"), 0755);
    write_file(host_file + "/passwd", "untouched");
    jail.dir.mkdir("dev", 0755);
    REQUIRE(::symlink((host_file + "/passwd").c_str(), jail.dir.file("dev/null").c_str()) == 0);
    const std::string policy = jail_policy(jail, "jail-null-link", "dev = \"minimal\"\n");
    RunResult r =
        run_harden({"--policy", policy, "--", "/bin/harden_probe", "write", "/dev/null", "pwned"});
    INFO(r.describe());
    CHECK(r.exited(kProbeExitOk));
    CHECK(read_file(host_file + "/passwd") == "untouched");
    std::filesystem::remove_all(host_file);
  }
  SECTION("jail/tmp -> /etc") {
    Jail jail;
    REQUIRE(::symlink("/etc", jail.dir.file("tmp").c_str()) == 0);
    const std::string policy = jail_policy(jail, "jail-tmp-link", "tmpfs = [\"/tmp\"]\n");
    RunResult r =
        run_harden({"--policy", policy, "--", "/bin/harden_probe", "write-stdout", "RAN"});
    INFO(r.describe());
    CHECK(r.exited(harden::exit_code::kMounts));
    CHECK(r.out.find("RAN") == std::string::npos);
  }
}

TEST_CASE("chroot: mounts need a mount namespace, proc a PID namespace, host binds are refused",
          "[view]") {
  TempDir dir;
  const std::string jail = dir.mkdir("jail");
  auto refused = [&](const std::string& body) {
    const std::string policy =
        write_policy(dir, unique_name("jail"),
                     "[policy]\nname = \"jail\"\n[filesystem]\nchroot = \"" + jail + "\"\n" + body);
    return run_harden({"validate", policy});
  };
  RunResult mount = refused("tmpfs = [\"/tmp\"]\n[namespaces]\nmount = false\n");
  INFO(mount.describe());
  CHECK(mount.exit_code != 0);
  CHECK(mount.err.find(":7:9: error: mounts inside a chroot") != std::string::npos);
  RunResult proc = refused("proc = true\n");
  INFO(proc.describe());
  CHECK(proc.err.find(":5:8: error: proc = true in a chroot needs a PID namespace") !=
        std::string::npos);
  RunResult bind = refused("read_only = [\"/usr\"]\n");
  INFO(bind.describe());
  CHECK(bind.err.find(":5:14: error: 'read_only' cannot be used with 'chroot'") !=
        std::string::npos);
  RunResult ok = refused("proc = true\ntmpfs = [\"/tmp\"]\n[namespaces]\npid = true\n");
  INFO(ok.describe());
  CHECK(ok.exit_code == 0);
}

TEST_CASE("landlock: renames and links across directories only where refer grants them",
          "[view][landlock][root]") {
  require_root();
  Jail jail;
  const std::string data = jail.dir.mkdir("data", 0777);
  auto attempt = [&](const std::string& name, const std::string& landlock) {
    jail.dir.mkdir("data/a", 0777);
    jail.dir.mkdir("data/b", 0777);
    write_file(data + "/a/f", "moved");
    write_file(data + "/a/g", "linked");
    const std::string policy =
        jail.root_policy(name, "read_write = [\"" + data + "\"]\n", "[landlock]\n" + landlock);
    RunResult mv = run_harden(
        {"--policy", policy, "--", jail.probe(), "rename", data + "/a/f", data + "/b/f"});
    RunResult ln =
        run_harden({"--policy", policy, "--", jail.probe(), "link", data + "/a/g", data + "/b/g"});
    // Within one directory, write alone is enough.
    RunResult same = run_harden(
        {"--policy", policy, "--", jail.probe(), "rename", data + "/a/g", data + "/a/h"});
    std::filesystem::remove_all(data + "/a");
    std::filesystem::remove_all(data + "/b");
    return std::tuple{mv, ln, same};
  };
  const auto [mv, ln, same] = attempt("refer-none", "");
  INFO(mv.describe() << ln.describe() << same.describe());
  CHECK(parse_probe(mv.out)["errno"] == "EXDEV");
  CHECK(parse_probe(ln.out)["errno"] == "EXDEV");
  CHECK(same.exited(kProbeExitOk));

  const auto [mv2, ln2, same2] = attempt("refer-data", "refer = [\"" + data + "\"]\n");
  INFO(mv2.describe() << ln2.describe());
  CHECK(mv2.exited(kProbeExitOk));
  CHECK(ln2.exited(kProbeExitOk));
}
