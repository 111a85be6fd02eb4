// harden check's comparison, on process states made up to differ in one way at a time: every
// difference must be reported under its item with both values, and a state exactly as the
// plan says must give none. The kernel test (test_check.cpp) reads real states.
#include <catch2/catch.hpp>

#include <linux/capability.h>
#include <sys/resource.h>

#include "inspect/plan_check.hpp"

using namespace harden;
using namespace harden::inspect;

namespace {

PlanData strict_plan() {
  PlanData plan;
  plan.credentials.change_ids = true;
  plan.credentials.uid = 65534;
  plan.credentials.gid = 65534;
  plan.credentials.supplementary_groups = {27};
  plan.capabilities.keep = uint64_t{1} << CAP_NET_BIND_SERVICE;
  plan.no_new_privs = true;
  plan.seccomp.enabled = true;
  plan.limits = {{RLIMIT_NOFILE, 200, 200}};
  plan.exec.umask = 027;
  plan.namespaces.ipc = true;
  plan.environment.set = {"A=1"};
  plan.environment.keep = {"LANG"};
  plan.fds.pass = {5};
  return plan;
}

// The state the plan above asks for, in a world whose host namespaces are all 1.
ProcessState matching_state() {
  ProcessState s;
  s.pid = 42;
  s.uids = {65534, 65534, 65534, 65534};
  s.gids = {65534, 65534, 65534, 65534};
  s.groups = {27};
  const uint64_t keep = uint64_t{1} << CAP_NET_BIND_SERVICE;
  s.cap_inheritable = s.cap_permitted = s.cap_effective = s.cap_bounding = s.cap_ambient = keep;
  s.no_new_privs = 1;
  s.seccomp_mode = 2;
  s.seccomp_filters = 1;
  s.umask = 027;
  for (const char* ns : kNamespaceNames)
    s.namespaces[ns] = 1;
  s.namespaces["ipc"] = 2;
  s.root = FileId{1, 2};
  s.limits = {{RLIMIT_NOFILE, 200, 200}};
  s.fds = {{0, "/dev/null"}, {1, "pipe:[1]"}, {2, "pipe:[1]"}, {5, "socket:[9]"}};
  s.environment = {"A=1", "LANG=C"};
  return s;
}

HostState host() {
  HostState h;
  for (const char* ns : kNamespaceNames)
    h.namespaces[ns] = 1;
  h.root = FileId{1, 2};
  return h;
}

std::vector<std::string> details(const CheckReport& report, const std::string& item) {
  std::vector<std::string> out;
  for (const Difference& d : report.differences)
    if (d.item == item) out.push_back(d.detail);
  return out;
}

}  // namespace

TEST_CASE("check: a state exactly as planned has no difference", "[check]") {
  const CheckReport report =
      check_process(strict_plan(), matching_state(), host(), {.seccomp_filters_before = 0});
  for (const Difference& d : report.differences)
    UNSCOPED_INFO(d.item << ": " << d.detail);
  CHECK(report.differences.empty());
  CHECK(report.checked.size() == 11);  // every item but cgroup and lsm, which the plan omits
}

TEST_CASE("check: each way a state differs is named with both values", "[check]") {
  const PlanData plan = strict_plan();
  const LaunchFacts facts{.seccomp_filters_before = 0};
  SECTION("a saved uid left at root") {
    ProcessState s = matching_state();
    s.uids[2] = 0;
    const CheckReport r = check_process(plan, s, host(), facts);
    REQUIRE(r.differences.size() == 1);
    CHECK(r.differences[0].detail == "saved uid");
    CHECK(r.differences[0].expected == "65534");
    CHECK(r.differences[0].actual == "0");
  }
  SECTION("an extra supplementary group") {
    ProcessState s = matching_state();
    s.groups = {0, 27};
    CHECK(details(check_process(plan, s, host(), facts), "ids") ==
          std::vector<std::string>{"supplementary groups"});
  }
  SECTION("a bounding set left whole") {
    ProcessState s = matching_state();
    s.cap_bounding = (uint64_t{1} << 41) - 1;
    const CheckReport r = check_process(plan, s, host(), facts, {}, 40);
    REQUIRE(r.differences.size() == 1);
    CHECK(r.differences[0].detail == "CapBnd (bounding)");
    CHECK(r.differences[0].actual.find("CAP_SYS_ADMIN") != std::string::npos);
  }
  SECTION("a second filter, or none") {
    ProcessState s = matching_state();
    s.seccomp_filters = 2;
    CHECK(details(check_process(plan, s, host(), facts), "seccomp") ==
          std::vector<std::string>{"seccomp filters"});
    s.seccomp_mode = 0;
    s.seccomp_filters = 0;
    CHECK(details(check_process(plan, s, host(), {}), "seccomp") ==
          std::vector<std::string>{"seccomp mode", "seccomp filters"});
  }
  SECTION("the host's IPC namespace") {
    ProcessState s = matching_state();
    s.namespaces["ipc"] = 1;
    CHECK(details(check_process(plan, s, host(), facts), "namespaces") ==
          std::vector<std::string>{"ipc namespace"});
  }
  SECTION("a leaked descriptor, a stray variable, a soft limit raised") {
    ProcessState s = matching_state();
    s.fds.push_back({7, "/etc/shadow"});
    s.environment.push_back("SECRET=x");
    s.limits[0].soft = 100;
    const CheckReport r = check_process(plan, s, host(), facts);
    CHECK(details(r, "fds") == std::vector<std::string>{"fd 7"});
    CHECK(details(r, "environment") == std::vector<std::string>{"SECRET"});
    CHECK(details(r, "limits") == std::vector<std::string>{"RLIMIT_NOFILE soft"});
  }
  SECTION("no_new_privs off, a controlling terminal, another root") {
    ProcessState s = matching_state();
    s.no_new_privs = 0;
    s.tty_nr = 34816;
    s.root = FileId{9, 9};
    const CheckReport r = check_process(plan, s, host(), facts);
    CHECK(details(r, "no-new-privs").size() == 1);
    CHECK(details(r, "terminal").size() == 1);
    CHECK(details(r, "root").size() == 1);
  }
  SECTION("--ignore drops exactly the item it names") {
    ProcessState s = matching_state();
    s.uids = {0, 0, 0, 0};
    s.no_new_privs = 0;
    const CheckReport r = check_process(plan, s, host(), facts, {"ids"});
    CHECK(details(r, "ids").empty());
    CHECK(details(r, "no-new-privs").size() == 1);
  }
}

TEST_CASE("check: cgroup limits are compared with the cgroup's own files", "[check]") {
  PlanData plan = strict_plan();
  plan.cgroup.pids_max = 16;
  plan.cgroup.cpu_quota_us = 50000;
  ProcessState s = matching_state();
  s.cgroup_v2 = "/harden/x";
  s.cgroup_files = {{"pids.max", "16"}, {"cpu.max", "max 100000"}};
  const CheckReport r = check_process(plan, s, host(), {.seccomp_filters_before = 0});
  REQUIRE(details(r, "cgroup") == std::vector<std::string>{"cpu.max"});
  CHECK(r.differences[0].expected == "50000 100000");
}
