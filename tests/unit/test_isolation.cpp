// Namespaces and the constructed root without root: what the compiler makes of a policy
// (the expanded view, implied namespaces) and the exact calls the enforcer makes for it,
// through the recording seam.
#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/mount.h>

#include <algorithm>
#include <filesystem>

#include "compiler/compile.hpp"
#include "enforcer/steps.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/recording_sys.hpp"

using namespace harden;
using harden::test::RecordingSys;

namespace {

std::optional<Plan> compile_text(const std::string& text, Diagnostics& diags) {
  harden::test::TempDir dir;
  const std::string path = harden::test::write_policy(dir, "p", text);
  return compile_policy_file(path, diags);
}

PlanData base_plan() {
  PlanData plan;
#if defined(__x86_64__)
  plan.audit_arch = 0xc000003e;  // AUDIT_ARCH_X86_64
#endif
  plan.policy_name = "isolation";
  plan.policy_file = "isolation.toml";
  plan.exec.new_session = false;
  plan.no_new_privs = true;
  return plan;
}

ExecContext context_for(const PlanData& plan, bool rootless = false) {
  const std::vector<std::string> command{"/bin/target"};
  char* no_env[] = {nullptr};
  auto ctx = prepare_exec(plan, command, no_env);
  REQUIRE(ctx.has_value());
  ctx->kernel_last_cap = 1;
  ctx->rootless = rootless;
  return std::move(*ctx);
}

// The calls up to (not including) the capabilities step's capget.
std::vector<std::string> calls_before_caps(const std::vector<std::string>& calls) {
  const auto end = std::find(calls.begin(), calls.end(), "capget");
  return {calls.begin(), end};
}

std::string hex(unsigned long value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%lx", value);
  return buffer;
}

}  // namespace

TEST_CASE("IPC is private by default and host only when asked", "[namespaces][compile]") {
  Diagnostics diags;
  auto plan = compile_text("[policy]\nname = \"d\"\n", diags);
  REQUIRE(plan);
  CHECK(plan->data().namespaces.ipc);
  CHECK_FALSE(plan->data().namespaces.mount);
  CHECK_FALSE(plan->data().namespaces.pid);
  auto host = compile_text("[policy]\nname = \"h\"\n[namespaces]\nipc = \"host\"\n", diags);
  REQUIRE(host);
  CHECK_FALSE(host->data().namespaces.ipc);
}

TEST_CASE("a hostname implies uts, a constructed root implies mount", "[namespaces][compile]") {
  Diagnostics diags;
  auto plan = compile_text(
      "[policy]\nname = \"i\"\n[namespaces]\nhostname = \"box\"\nnet = \"private\"\n"
      "[filesystem]\ntmpfs = [\"/tmp\"]\n",
      diags);
  INFO(render_all(diags));
  REQUIRE(plan);
  const NamespacesPlan& ns = plan->data().namespaces;
  CHECK(ns.uts);
  CHECK(ns.hostname == "box");
  CHECK(ns.mount);
  CHECK(ns.net);
  CHECK(ns.loopback_up);
}

TEST_CASE("proc and dev are expanded into the view, parents first", "[filesystem][compile]") {
  Diagnostics diags;
  auto plan = compile_text(
      "[policy]\nname = \"v\"\n[namespaces]\npid = true\n[filesystem]\n"
      "read_only = [\"/usr\"]\ntmpfs = [{ path = \"/usr/local\", size = \"1M\", mode = \"0700\" "
      "}]\n"
      "proc = true\ndev = \"minimal\"\n",
      diags);
  INFO(render_all(diags));
  REQUIRE(plan);
  CHECK(diags.all().empty());  // no warning: proc comes with a PID namespace
  const FilesystemPlan& fs = plan->data().filesystem;
  CHECK(fs.constructed_root);
  std::vector<std::string> targets;
  for (const ViewMount& m : fs.view)
    targets.push_back(m.target);
  CHECK(std::is_sorted(targets.begin(), targets.end()));
  for (const char* t : {"/dev", "/dev/null", "/dev/pts", "/dev/shm", "/dev/mqueue", "/proc",
                        "/proc/sys", "/proc/kcore", "/proc/keys", "/usr", "/usr/local"}) {
    INFO(t);
    CHECK(std::find(targets.begin(), targets.end(), t) != targets.end());
  }
  const auto find = [&](const std::string& t) {
    return *std::find_if(fs.view.begin(), fs.view.end(),
                         [&](const ViewMount& m) { return m.target == t; });
  };
  CHECK(find("/usr").read_only);
  CHECK(find("/usr").kind == ViewKind::bind);
  CHECK(find("/usr/local").kind == ViewKind::tmpfs);
  CHECK(find("/usr/local").size == 1U << 20);
  CHECK(find("/usr/local").mode == 0700);
  CHECK(find("/proc/sys").kind == ViewKind::remount_ro);
  CHECK(find("/proc/keys").kind == ViewKind::mask);
  CHECK(find("/dev/null").kind == ViewKind::dev_bind);
  CHECK(find("/usr").origin.line == 6);
}

TEST_CASE("proc without a PID namespace is a warning", "[filesystem][compile]") {
  Diagnostics diags;
  auto plan = compile_text("[policy]\nname = \"w\"\n[filesystem]\nproc = true\n", diags);
  REQUIRE(plan);
  REQUIRE(diags.all().size() == 1);
  CHECK(diags.all()[0].severity == Severity::warning);
  CHECK(diags.all()[0].pos.line == 4);
}

TEST_CASE("no mqueue in /dev when IPC is the host's", "[filesystem][compile]") {
  Diagnostics diags;
  auto plan = compile_text(
      "[policy]\nname = \"q\"\n[namespaces]\nipc = \"host\"\n[filesystem]\ndev = \"minimal\"\n",
      diags);
  REQUIRE(plan);
  for (const ViewMount& m : plan->data().filesystem.view)
    CHECK(m.target != "/dev/mqueue");
}

TEST_CASE("rootless: user namespace with a one-to-one map, then the others",
          "[namespaces][steps]") {
  PlanData data = base_plan();
  data.namespaces.ipc = data.namespaces.uts = data.namespaces.net = data.namespaces.mount = true;
  data.namespaces.loopback_up = true;
  data.namespaces.hostname = "box";
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data(), /*rootless=*/true);
  RecordingSys sys;
  sys.euid = 1000;
  sys.egid = 1001;
  sys.caps = {};
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  CHECK(ctx.in_user_namespace);
  const std::vector<std::string> expected{
      "write /proc/self/loginuid 1000",  // the caller's uid, the target's
      "unshare " + hex(CLONE_NEWUSER),
      "write /proc/self/setgroups deny",
      "write /proc/self/uid_map 1000 1000 1\n",
      "write /proc/self/gid_map 1001 1001 1\n",
      "unshare " + hex(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET),
      "mount_propagation / " + hex(MS_REC | MS_PRIVATE),
      "sethostname box",
      "link_up lo",
      "join_session_keyring"};
  CHECK(calls_before_caps(sys.calls) == expected);
}

TEST_CASE("as root, no user namespace unless asked", "[namespaces][steps]") {
  PlanData data = base_plan();
  data.namespaces.ipc = true;
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  REQUIRE(sys.calls.size() > 1);
  CHECK(sys.calls[0] == "write /proc/self/loginuid 0");
  CHECK(sys.calls[1] == "unshare " + hex(CLONE_NEWIPC));
  CHECK_FALSE(ctx.in_user_namespace);
}

TEST_CASE("a failing unshare stops the launch with the namespaces exit code",
          "[namespaces][steps]") {
  PlanData data = base_plan();
  data.namespaces.net = true;
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.fail_call = "unshare";
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNamespaces);
  CHECK(sys.calls ==
        std::vector<std::string>{"write /proc/self/loginuid 0", "unshare " + hex(CLONE_NEWNET)});
}

TEST_CASE("a PID namespace forks twice at the session step: supervisor, then PID 1",
          "[namespaces][session][steps]") {
  PlanData data = base_plan();
  data.namespaces.pid = true;
  data.exec.new_session = true;
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  const std::vector<std::string> expected{"write /proc/self/loginuid 0",
                                          "unshare " + hex(CLONE_NEWPID),
                                          "fork_supervised",
                                          "setpgid_self",
                                          "fork_supervised",
                                          "setsid",
                                          "join_session_keyring"};
  CHECK(calls_before_caps(sys.calls) == expected);
  CHECK(ctx.under_supervisor);
}

TEST_CASE("PID 1 leaves the caller's process group only when the target gets its own session",
          "[namespaces][session][steps]") {
  PlanData data = base_plan();
  data.namespaces.pid = true;
  SECTION("new session: setpgid, and its failure stops the launch") {
    data.exec.new_session = true;
    const Plan plan = validated_plan(data).value();
    ExecContext ctx = context_for(plan.data());
    RecordingSys sys;
    sys.fail_call = "setpgid_self";
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kSession);
    CHECK(sys.calls.back() == "setpgid_self");
  }
  SECTION("no new session: PID 1 and the target stay in the caller's foreground group") {
    data.exec.new_session = false;
    const Plan plan = validated_plan(data).value();
    ExecContext ctx = context_for(plan.data());
    RecordingSys sys;
    CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
    CHECK(std::count(sys.calls.begin(), sys.calls.end(), "setpgid_self") == 0);
  }
}

TEST_CASE("the constructed root: clone sources, build beneath the new root, pivot",
          "[mounts][steps]") {
  PlanData data = base_plan();
  data.namespaces.mount = true;
  data.filesystem.constructed_root = true;
  data.filesystem.view = {
      {ViewKind::bind, "/usr", "/usr", true, false, 0, 0755, {}},
      {ViewKind::tmpfs, "/usr/tmp", "", false, true, 4096, 01777, {}},
      {ViewKind::mask, "/usr/secret", "", true, true, 0, 0755, {}},
  };
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.dir_fd = 100;  // the clone of /usr is a directory
  sys.missing = {"tmp"};
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  const unsigned long ro_bind = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_RDONLY;
  const unsigned long tmpfs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  const unsigned long hidden = tmpfs | MOUNT_ATTR_RDONLY;
  const std::vector<std::string> expected{
      "write /proc/self/loginuid 0", "unshare " + hex(CLONE_NEWNS),
      "mount_propagation / " + hex(MS_REC | MS_PRIVATE), "join_session_keyring",
      // Host side first: the source is cloned before anything covers it.
      "open_tree -100 /usr " + hex(OPEN_TREE_CLONE | AT_RECURSIVE) + " =100",
      "mount_setattr 100 " + hex(ro_bind) + " 0x0 recursive",
      "new_mount tmpfs mode=0755 " + hex(MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) + " =101",
      "move_mount 101 -100 /tmp",
      // /usr: opened beneath the new root (fd 101) without following symlinks.
      "open_beneath 101 usr =102", "move_mount 100 102",
      // /usr/tmp: missing, so created, then a fresh tmpfs mounted onto it by fd.
      "open_beneath 101 usr =103", "open_beneath 103 tmp ENOENT", "mkdirat 103 tmp",
      "open_beneath 103 tmp =104", "new_mount tmpfs mode=1777 size=4096 " + hex(tmpfs) + " =105",
      "move_mount 105 104",
      // /usr/secret is a file: /dev/null over it, read-only.
      "open_beneath 101 usr =106", "open_beneath 106 secret =107",
      "open_tree -100 /dev/null " + hex(OPEN_TREE_CLONE) + " =108",
      "mount_setattr 108 " + hex(hidden) + " 0x0", "move_mount 108 107",
      "mount_setattr 101 " + hex(MOUNT_ATTR_RDONLY) + " 0x0", "fchdir 101", "pivot_root . .",
      "umount2 . " + std::to_string(MNT_DETACH), "chdir /"};
  CHECK(calls_before_caps(sys.calls) == expected);
  // Every fd the step opened was closed again (RAII), none twice.
  std::vector<int> closed = sys.closed;
  std::sort(closed.begin(), closed.end());
  CHECK(closed == std::vector<int>{100, 101, 102, 103, 104, 105, 106, 107, 108});
}

TEST_CASE("a symlink at a mount target stops the launch", "[mounts][steps]") {
  PlanData data = base_plan();
  data.namespaces.mount = true;
  data.filesystem.constructed_root = true;
  data.filesystem.view = {{ViewKind::tmpfs, "/data/cache", "", false, false, 0, 0755, {}}};
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  sys.fail_call = "open_beneath 101 cache";
  sys.fail_errno = ELOOP;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kMounts);
  CHECK(sys.calls.back().starts_with("open_beneath 101 cache"));
  CHECK(std::none_of(sys.calls.begin(), sys.calls.end(), [](const std::string& c) {
    return c.starts_with("move_mount 10") && c != "move_mount 100 -100 /tmp";
  }));
  CHECK(std::none_of(sys.calls.begin(), sys.calls.end(),
                     [](const std::string& c) { return c.starts_with("pivot_root"); }));
}

TEST_CASE("proc and sys hide at least runc's kernel interfaces", "[filesystem][compile]") {
  Diagnostics diags;
  auto plan = compile_text(
      "[policy]\nname = \"k\"\n[namespaces]\npid = true\n[filesystem]\nproc = true\nsys = true\n",
      diags);
  INFO(render_all(diags));
  REQUIRE(plan);
  const auto kind_of = [&](const std::string& target) -> std::optional<ViewKind> {
    for (const ViewMount& m : plan->data().filesystem.view)
      if (m.target == target) return m.kind;
    return std::nullopt;
  };
  // runc's readonlyPaths and maskedPaths (libcontainer/specconv, config.json defaults).
  for (const char* path :
       {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
    INFO(path);
    CHECK(kind_of(path) == ViewKind::remount_ro);
  }
  for (const char* path :
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap"}) {
    INFO(path);
    CHECK(kind_of(path) == ViewKind::mask);
  }
  // Without sys = true, nothing under /sys is listed (there is nothing to hide).
  auto no_sys = compile_text(
      "[policy]\nname = \"k\"\n[namespaces]\npid = true\n[filesystem]\nproc = true\n", diags);
  REQUIRE(no_sys);
  for (const ViewMount& m : no_sys->data().filesystem.view)
    CHECK_FALSE(m.target.starts_with("/sys"));
}

TEST_CASE("a chroot may have proc, dev and tmpfs, and mount is implied", "[filesystem][compile]") {
  harden::test::TempDir jail;
  Diagnostics diags;
  auto plan = compile_text(
      "[policy]\nname = \"j\"\n[namespaces]\npid = true\n[filesystem]\n"
      "chroot = \"" +
          jail.path() + "\"\nproc = true\ndev = \"minimal\"\ntmpfs = [\"/tmp\"]\n",
      diags);
  INFO(render_all(diags));
  REQUIRE(plan);
  const FilesystemPlan& fs = plan->data().filesystem;
  CHECK(fs.chroot == jail.path());
  CHECK_FALSE(fs.constructed_root);
  CHECK(plan->data().namespaces.mount);
  std::vector<std::string> targets;
  for (const ViewMount& m : fs.view)
    targets.push_back(m.target);
  CHECK(std::is_sorted(targets.begin(), targets.end()));
  for (const char* t : {"/dev", "/dev/null", "/proc", "/proc/irq", "/proc/kcore", "/tmp"}) {
    INFO(t);
    CHECK(std::find(targets.begin(), targets.end(), t) != targets.end());
  }
}

TEST_CASE("a chroot refuses host binds, mount = false and proc without a PID namespace",
          "[filesystem][compile]") {
  harden::test::TempDir jail;
  const std::string head =
      "[policy]\nname = \"j\"\n[filesystem]\nchroot = \"" + jail.path() + "\"\n";
  const auto first_error = [](const Diagnostics& diags) {
    for (const Diagnostic& d : diags.all())
      if (d.severity == Severity::error) return d;
    return Diagnostic{};
  };
  {
    Diagnostics diags;
    CHECK_FALSE(compile_text(head + "read_write = [\"/srv\"]\n", diags));
    CHECK(first_error(diags).message == "'read_write' cannot be used with 'chroot'");
    CHECK(first_error(diags).pos.line == 5);
    CHECK(first_error(diags).pos.column == 15);
  }
  {
    Diagnostics diags;
    CHECK_FALSE(compile_text(head + "sys = true\n", diags));
    CHECK(first_error(diags).message == "'sys' cannot be used with 'chroot'");
  }
  {
    Diagnostics diags;
    CHECK_FALSE(compile_text(head + "tmpfs = [\"/tmp\"]\n[namespaces]\nmount = false\n", diags));
    CHECK(first_error(diags).message.starts_with("mounts inside a chroot"));
    CHECK(first_error(diags).pos.line == 7);
  }
  {
    Diagnostics diags;
    CHECK_FALSE(compile_text(head + "proc = true\n", diags));
    CHECK(first_error(diags).message == "proc = true in a chroot needs a PID namespace");
    CHECK(first_error(diags).pos.line == 5);
  }
}

TEST_CASE("mounts into a chroot: beneath the jail, before the chroot", "[mounts][steps]") {
  PlanData data = base_plan();
  data.namespaces.mount = true;
  data.filesystem.chroot = "/jail";
  data.filesystem.view = {{ViewKind::proc, "/proc", "", false, true, 0, 0755, {}}};
  const Plan plan = validated_plan(data).value();
  ExecContext ctx = context_for(plan.data());
  RecordingSys sys;
  CHECK(enforce_and_exec(plan, ctx, sys) == exit_code::kNotFound);
  const unsigned long proc = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  const std::vector<std::string> expected{
      "write /proc/self/loginuid 0", "unshare " + hex(CLONE_NEWNS),
      "mount_propagation / " + hex(MS_REC | MS_PRIVATE), "join_session_keyring", "open_path /jail",
      // The jail is opened once; the target beneath it without following a symlink.
      "open_beneath 1000 proc =100", "new_mount proc " + hex(proc) + " =101", "move_mount 101 100",
      "chdir /jail", "chroot .", "chdir /"};
  CHECK(calls_before_caps(sys.calls) == expected);
}

TEST_CASE("working_directory cannot be in /proc", "[exec][compile]") {
  for (const char* dir : {"/proc/self/fd/3", "/proc", "/srv/../proc/1/cwd", "//proc/./self/root"}) {
    INFO(dir);
    Diagnostics diags;
    CHECK_FALSE(compile_text(
        std::string("[policy]\nname = \"w\"\n[exec]\nworking_directory = \"") + dir + "\"\n",
        diags));
    REQUIRE(diags.error_count() == 1);
    CHECK(diags.all()[0].pos.line == 4);
    CHECK(diags.all()[0].pos.column == 21);
    CHECK(diags.all()[0].message.find("cannot be in /proc") != std::string::npos);
  }
  Diagnostics diags;
  CHECK(compile_text("[policy]\nname = \"w\"\n[exec]\nworking_directory = \"/procfs\"\n", diags));
}
