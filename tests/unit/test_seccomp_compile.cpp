// compile_seccomp(): what the compiled filter answers for (arch, nr, args), read with the BPF
// evaluator, and the diagnostics (position and hint) for every kind of mistake. Policies are
// built as structs here; the TOML path is covered by the policy corpus tests.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/audit.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <random>

#include "compiler/seccomp.hpp"
#include "compiler/syscall_groups.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/constants.hpp"

using namespace harden;

namespace {

SourcePos at(uint32_t line, uint32_t column) {
  return {"test.toml", line, column};
}

LocatedString text(std::string value, SourcePos pos = {}) {
  return {std::move(value), pos};
}

LocatedStrings texts(std::initializer_list<const char*> values) {
  LocatedStrings out;
  uint32_t column = 10;
  for (const char* value : values) {
    out.push_back(text(value, at(2, column)));
    column += 10;
  }
  return out;
}

SeccompSection section(std::initializer_list<const char*> allow, std::string default_action = {}) {
  SeccompSection s;
  s.present = true;
  s.pos = at(1, 1);
  s.allow = texts(allow);
  if (!default_action.empty()) s.default_action = text(default_action, at(3, 18));
  return s;
}

ArgValue number(uint64_t value) {
  return {value, {}, {}};
}
ArgValue symbol(std::string name, SourcePos pos = {}) {
  return {std::nullopt, name, pos};
}

SeccompArg arg(int64_t index, std::string op, ArgValue value, std::optional<int64_t> width = {},
               std::optional<ArgValue> mask = {}) {
  SeccompArg a;
  a.index = {index, {}};
  a.op = text(std::move(op));
  a.value = std::move(value);
  a.mask = std::move(mask);
  if (width) a.width = Located<int64_t>{*width, {}};
  return a;
}

SeccompRule rule(std::string syscall, std::vector<SeccompArg> args, std::string action = "allow",
                 SourcePos pos = at(9, 1)) {
  return {text(std::move(syscall), pos), std::move(args), text(std::move(action), pos), pos};
}

struct Compiled {
  SeccompPlan plan;
  Diagnostics diags;
};

Compiled compile(const SeccompSection& s) {
  Compiled c;
  c.plan = compile_seccomp(s, c.diags);
  return c;
}

SeccompPlan compile_ok(const SeccompSection& s) {
  Compiled c = compile(s);
  INFO(render_all(c.diags));
  REQUIRE_FALSE(c.diags.has_errors());
  REQUIRE(c.plan.enabled);
  REQUIRE(check_seccomp_program(c.plan.program).has_value());
  return c.plan;
}

int nr_of(const char* name) {
  return seccomp_syscall_resolve_name(name);
}

uint32_t eval(const SeccompPlan& plan, int nr, std::array<uint64_t, 6> args = {},
              uint32_t arch = AUDIT_ARCH_X86_64) {
  auto result = evaluate_seccomp_program(plan.program, make_seccomp_data(arch, nr, args));
  INFO((result ? "" : result.error()));
  REQUIRE(result.has_value());
  return *result;
}

uint32_t eval(const SeccompPlan& plan, const char* name, std::array<uint64_t, 6> args = {}) {
  return eval(plan, nr_of(name), args);
}

// The one diagnostic of a severity at a position, or fails.
const Diagnostic& diagnostic_at(const Diagnostics& diags, SourcePos pos,
                                Severity severity = Severity::error) {
  INFO(render_all(diags));
  const auto it = std::ranges::find_if(diags.all(), [&](const Diagnostic& d) {
    return d.severity == severity && d.pos.line == pos.line && d.pos.column == pos.column &&
           d.pos.file == pos.file;
  });
  REQUIRE(it != diags.all().end());
  return *it;
}

int max_native_nr() {
  int max = -1;
  for (int nr = 0; nr < 1024; ++nr) {
    if (!syscall_name(nr).empty()) max = nr;
  }
  return max;
}

constexpr uint32_t kErrnoEperm = SECCOMP_RET_ERRNO | EPERM;
constexpr uint32_t kErrnoEnosys = SECCOMP_RET_ERRNO | ENOSYS;

}  // namespace

// ---- the shape of the filter ----------------------------------------------------------------

TEST_CASE("seccomp compile: no section, no filter", "[seccomp]") {
  Compiled c = compile(SeccompSection{});
  CHECK_FALSE(c.plan.enabled);
  CHECK(c.plan.program.empty());
  CHECK(c.diags.all().empty());
}

TEST_CASE("seccomp compile: allowed calls are allowed, others get the default action",
          "[seccomp]") {
  const auto [action, expected] = GENERATE(table<std::string, uint32_t>({
      {"", SECCOMP_RET_KILL_PROCESS},
      {"kill-process", SECCOMP_RET_KILL_PROCESS},
      {"kill-thread", SECCOMP_RET_KILL_THREAD},
      {"errno:EPERM", kErrnoEperm},
      {"errno:EACCES", SECCOMP_RET_ERRNO | EACCES},
      {"trap", SECCOMP_RET_TRAP},
      {"log", SECCOMP_RET_LOG},
      {"allow", SECCOMP_RET_ALLOW},  // accepted; lint's business
  }));
  INFO("default_action = " << action);
  const SeccompPlan plan = compile_ok(section({"@basic-io", "socket"}, action));
  CHECK(eval(plan, "read") == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "writev") == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "socket") == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "openat") == expected);
  CHECK(eval(plan, "ptrace") == expected);
  CHECK(eval(plan, "mount") == expected);
  CHECK(plan.flags == 0);
}

TEST_CASE("seccomp compile: @default is always allowed, even when allow is empty", "[seccomp]") {
  const SeccompPlan plan = compile_ok(section({}, "errno:EPERM"));
  const auto always = expand_syscall_group(kDefaultSyscallGroup);
  REQUIRE(always.has_value());
  for (std::string_view name : *always) {
    INFO(name);
    CHECK(eval(plan, std::string(name).c_str()) == SECCOMP_RET_ALLOW);
  }
  CHECK(eval(plan, "read") == kErrnoEperm);
}

TEST_CASE("seccomp compile: other ABIs are killed: x32 numbers and foreign architectures",
          "[seccomp]") {
  const SeccompPlan plan = compile_ok(section({"@system-service"}, "errno:EPERM"));
  const auto x32 = [](int nr) { return static_cast<int>(static_cast<uint32_t>(nr) | 0x40000000u); };
  CHECK(eval(plan, "read") == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, x32(nr_of("read"))) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, x32(nr_of("execve"))) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, x32(520)) == SECCOMP_RET_KILL_PROCESS);  // x32's own execve
  CHECK(eval(plan, 3, {}, AUDIT_ARCH_I386) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, 11, {}, AUDIT_ARCH_I386) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, 0, {}, AUDIT_ARCH_AARCH64) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, 0, {}, 0) == SECCOMP_RET_KILL_PROCESS);
}

TEST_CASE("seccomp compile: numbers beyond the known table answer ENOSYS", "[seccomp]") {
  const SeccompPlan plan = compile_ok(section({"@system-service"}, "kill-process"));
  const int max = max_native_nr();
  REQUIRE(max > 400);
  CHECK(eval(plan, 1000) == kErrnoEnosys);
  CHECK(eval(plan, max + 1) == kErrnoEnosys);
  CHECK(eval(plan, 0x3fffffff) == kErrnoEnosys);
  CHECK(eval(plan, -1) == kErrnoEnosys);  // what the kernel answers for nr -1 anyway
  // A hole in the table below the highest known number gets the default action.
  int hole = 0;
  while (hole < max && !syscall_name(hole).empty())
    ++hole;
  REQUIRE(hole < max);
  CHECK(eval(plan, hole) == SECCOMP_RET_KILL_PROCESS);
}

TEST_CASE("seccomp compile: clone3 answers ENOSYS unless the policy allows it", "[seccomp]") {
  CHECK(eval(compile_ok(section({"@basic-io", "clone"})), "clone3") == kErrnoEnosys);
  CHECK(eval(compile_ok(section({"@basic-io", "clone"})), "clone") == SECCOMP_RET_ALLOW);
  CHECK(eval(compile_ok(section({"@process"})), "clone3") == SECCOMP_RET_ALLOW);
  CHECK(eval(compile_ok(section({"@basic-io"}, "errno:ENOSYS")), "clone3") == kErrnoEnosys);
  SeccompSection denied = section({"@system-service"}, "trap");
  denied.deny = texts({"clone3"});
  CHECK(eval(compile_ok(denied), "clone3") == kErrnoEnosys);
}

TEST_CASE("seccomp compile: deny takes calls out of what allow grants", "[seccomp]") {
  SeccompSection s = section({"@system-service"}, "errno:EPERM");
  s.deny = texts({"@network-io", "ioctl"});
  const SeccompPlan plan = compile_ok(s);
  CHECK(eval(plan, "socket") == kErrnoEperm);
  CHECK(eval(plan, "connect") == kErrnoEperm);
  CHECK(eval(plan, "ioctl") == kErrnoEperm);
  CHECK(eval(plan, "read") == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "openat") == SECCOMP_RET_ALLOW);
}

TEST_CASE("seccomp compile: @default members cannot be denied", "[seccomp]") {
  SeccompSection direct = section({"@basic-io"});
  direct.deny = {text("execve", at(4, 9))};
  Compiled c = compile(direct);
  CHECK(diagnostic_at(c.diags, at(4, 9)).message.find("@default") != std::string::npos);

  SeccompSection via_group = section({"@system-service"});
  via_group.deny = {text("@system-service", at(4, 9))};
  Compiled g = compile(via_group);
  CHECK_FALSE(g.diags.has_errors());
  CHECK(diagnostic_at(g.diags, at(4, 9), Severity::warning).message.find("execve") !=
        std::string::npos);
  CHECK(eval(g.plan, "execve") == SECCOMP_RET_ALLOW);
  CHECK(eval(g.plan, "read") == SECCOMP_RET_KILL_PROCESS);

  SeccompSection allow_all = section({}, "allow");
  allow_all.deny = {text("ptrace", at(5, 9))};
  CHECK(diagnostic_at(compile(allow_all).diags, at(5, 9)).message.find("no effect") !=
        std::string::npos);
}

TEST_CASE("seccomp compile: log_denials, origin of the default action", "[seccomp]") {
  SeccompSection s = section({"@basic-io"}, "errno:EPERM");
  s.log_denials = Located<bool>{true, {}};
  const SeccompPlan plan = compile_ok(s);
  CHECK(plan.flags == SECCOMP_FILTER_FLAG_LOG);
  CHECK(plan.default_action_origin.file == "test.toml");
  CHECK(plan.default_action_origin.line == 3);
  CHECK(plan.default_action_origin.column == 18);
  CHECK(compile_ok(section({"@basic-io"})).default_action_origin.line == 1);
}

TEST_CASE("seccomp compile: extra architectures get their own syscall table", "[seccomp]") {
  SeccompSection s = section({"read", "write"}, "errno:EPERM");
  s.architectures = texts({"native", "x86"});
  const SeccompPlan i386 = compile_ok(s);
  CHECK(eval(i386, 3, {}, AUDIT_ARCH_I386) == SECCOMP_RET_ALLOW);   // i386 read
  CHECK(eval(i386, 5, {}, AUDIT_ARCH_I386) == kErrnoEperm);         // i386 open
  CHECK(eval(i386, 11, {}, AUDIT_ARCH_I386) == SECCOMP_RET_ALLOW);  // i386 execve: @default
  CHECK(eval(i386, 1000, {}, AUDIT_ARCH_I386) == kErrnoEnosys);
  CHECK(eval(i386, 0x40000000, {}) == SECCOMP_RET_KILL_PROCESS);  // still no x32

  // A call only i386 has is accepted once that architecture is in the filter.
  s.allow.push_back(text("mmap2", at(2, 60)));
  const SeccompPlan with_mmap2 = compile_ok(s);
  CHECK(eval(with_mmap2, 192, {}, AUDIT_ARCH_I386) == SECCOMP_RET_ALLOW);  // i386 mmap2
  s.architectures.reset();
  CHECK(diagnostic_at(compile(s).diags, at(2, 60)).message ==
        "syscall 'mmap2' does not exist on x86_64");
  s.allow.pop_back();

  s.architectures = texts({"native", "x32"});
  const SeccompPlan x32 = compile_ok(s);
  CHECK(eval(x32, 0x40000000, {}) == SECCOMP_RET_ALLOW);  // x32 read
  CHECK(eval(x32, 0x40000002, {}) == kErrnoEperm);        // x32 open
  CHECK(eval(x32, 0x40000000 + 1000, {}) == kErrnoEnosys);
  CHECK(eval(x32, 3, {}, AUDIT_ARCH_I386) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(x32, nr_of("read")) == SECCOMP_RET_ALLOW);
}

// ---- argument rules -------------------------------------------------------------------------

TEST_CASE("seccomp compile: eq on a 32-bit argument ignores the upper half", "[seccomp]") {
  SeccompSection s = section({"@basic-io"}, "errno:EPERM");
  s.rules.push_back(rule("socket", {arg(0, "eq", symbol("AF_INET"))}));
  s.rules.push_back(rule("socket", {arg(0, "eq", number(AF_INET6))}));
  const SeccompPlan plan = compile_ok(s);
  CHECK(eval(plan, "socket", {AF_INET, SOCK_STREAM}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "socket", {AF_INET6}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "socket", {AF_PACKET}) == kErrnoEperm);
  CHECK(eval(plan, "socket", {AF_UNIX}) == kErrnoEperm);
  CHECK(eval(plan, "socket", {0xdeadbeef00000002ull}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "socket", {0xdeadbeef00000011ull}) == kErrnoEperm);

  SeccompSection wide = section({"@basic-io"}, "errno:EPERM");
  wide.rules.push_back(rule("socket", {arg(0, "eq", symbol("AF_INET"), 64)}));
  const SeccompPlan plan64 = compile_ok(wide);
  CHECK(eval(plan64, "socket", {AF_INET}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan64, "socket", {0xdeadbeef00000002ull}) == kErrnoEperm);
}

TEST_CASE("seccomp compile: masked-eq and flag expressions", "[seccomp]") {
  SeccompSection s = section({}, "errno:EPERM");
  // socket(AF_UNIX, SOCK_STREAM with any flags)
  s.rules.push_back(rule("socket", {arg(0, "eq", symbol("AF_UNIX")),
                                    arg(1, "masked-eq", symbol("SOCK_STREAM"), {}, number(0xf))}));
  s.rules.push_back(
      rule("openat", {arg(2, "masked-eq", number(O_RDONLY), {}, symbol("O_ACCMODE | O_CREAT"))}));
  const SeccompPlan plan = compile_ok(s);
  CHECK(eval(plan, "socket", {AF_UNIX, SOCK_STREAM}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "socket", {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK}) ==
        SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "socket", {AF_UNIX, SOCK_DGRAM}) == kErrnoEperm);
  CHECK(eval(plan, "socket", {AF_INET, SOCK_STREAM}) == kErrnoEperm);
  CHECK(eval(plan, "openat", {0, 0, O_RDONLY | O_CLOEXEC}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "openat", {0, 0, O_RDONLY | 0xffffffff00000000ull}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "openat", {0, 0, O_RDWR}) == kErrnoEperm);
  CHECK(eval(plan, "openat", {0, 0, O_RDONLY | O_CREAT}) == kErrnoEperm);
}

TEST_CASE("seccomp compile: orderings and ne match their meaning on 32 and 64 bits", "[seccomp]") {
  std::mt19937_64 random(20240601);
  const uint32_t bounds32[] = {0,           1,           2,
                               5,           0x7fffffff,  0x80000000u,
                               0xfffffffeu, 0xffffffffu, static_cast<uint32_t>(random())};
  const char* ops[] = {"lt", "le", "gt", "ge", "ne", "eq"};
  auto holds = [](std::string_view op, uint64_t x, uint64_t v) {
    if (op == "lt") return x < v;
    if (op == "le") return x <= v;
    if (op == "gt") return x > v;
    if (op == "ge") return x >= v;
    if (op == "ne") return x != v;
    return x == v;
  };
  for (const char* op : ops) {
    for (uint32_t bound : bounds32) {
      for (int64_t width : {32, 64}) {
        const uint64_t v = width == 32 ? bound : (uint64_t{bound} << 32) | bound;
        SeccompSection s = section({}, "errno:EPERM");
        s.rules.push_back(rule("prctl", {arg(1, op, number(v), width)}));
        Compiled c = compile(s);
        INFO(op << " " << v << " width " << width << "\n" << render_all(c.diags));
        REQUIRE_FALSE(c.diags.has_errors());
        std::vector<uint64_t> samples{
            0, 1, v, v - 1, v + 1, 0xffffffffull, 0xffffffff00000000ull, ~0ull};
        for (int i = 0; i < 40; ++i)
          samples.push_back(random());
        for (int i = 0; i < 10; ++i)
          samples.push_back(v ^ (1ull << (random() % 64)));
        for (uint64_t x : samples) {
          const uint64_t seen = width == 32 ? (x & 0xffffffffu) : x;
          const uint32_t expected = holds(op, seen, v) ? SECCOMP_RET_ALLOW : kErrnoEperm;
          INFO("x = " << x);
          CHECK(eval(c.plan, "prctl", {0, x}) == expected);
        }
      }
    }
  }
}

TEST_CASE("seccomp compile: conditions of one rule are AND-ed, also on one argument", "[seccomp]") {
  SeccompSection s = section({}, "errno:EPERM");
  s.rules.push_back(rule("kill", {arg(0, "ge", number(3)), arg(0, "lt", number(10)),
                                  arg(1, "eq", symbol("SIGTERM"))}));
  const SeccompPlan plan = compile_ok(s);
  for (uint64_t pid = 0; pid < 20; ++pid) {
    INFO("pid " << pid);
    const uint32_t expected = pid >= 3 && pid < 10 ? SECCOMP_RET_ALLOW : kErrnoEperm;
    CHECK(eval(plan, "kill", {pid, SIGTERM}) == expected);
    CHECK(eval(plan, "kill", {pid, SIGKILL}) == kErrnoEperm);
  }
}

TEST_CASE("seccomp compile: negative ints compare as the kernel sees them", "[seccomp]") {
  SeccompSection s = section({}, "errno:EPERM");
  s.rules.push_back(rule("openat", {arg(0, "eq", symbol("AT_FDCWD"))}));
  s.rules.push_back(rule("close", {arg(0, "eq", number(static_cast<uint64_t>(-1)))}));
  const SeccompPlan plan = compile_ok(s);
  CHECK(eval(plan, "openat", {0xffffff9cull}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "openat", {static_cast<uint64_t>(int64_t{AT_FDCWD})}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "openat", {3}) == kErrnoEperm);
  CHECK(eval(plan, "close", {0xffffffffull}) == SECCOMP_RET_ALLOW);
}

TEST_CASE("seccomp compile: a rule's action applies to matching calls only", "[seccomp]") {
  SeccompSection s = section({"@basic-io"}, "kill-process");
  s.deny = texts({"write"});
  s.rules.push_back(rule("write", {arg(0, "le", number(2))}));
  s.rules.push_back(rule("ioctl", {arg(1, "eq", symbol("TIOCSTI"))}, "errno:EPERM"));
  const SeccompPlan plan = compile_ok(s);
  CHECK(eval(plan, "write", {1}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "write", {3}) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, "ioctl", {0, TIOCSTI}) == kErrnoEperm);
  CHECK(eval(plan, "ioctl", {0, FIONREAD}) == SECCOMP_RET_KILL_PROCESS);
}

TEST_CASE("seccomp compile: overlapping rules: the more restrictive action applies", "[seccomp]") {
  for (bool allow_first : {true, false}) {
    SeccompSection s = section({}, "kill-process");
    SeccompRule allow = rule("socket", {arg(0, "eq", symbol("AF_INET"))}, "allow");
    SeccompRule refuse = rule("socket", {arg(1, "eq", symbol("SOCK_RAW"))}, "errno:EPERM");
    s.rules = allow_first ? std::vector{allow, refuse} : std::vector{refuse, allow};
    const SeccompPlan plan = compile_ok(s);
    INFO("allow rule first: " << allow_first);
    CHECK(eval(plan, "socket", {AF_INET, SOCK_RAW}) == kErrnoEperm);
    CHECK(eval(plan, "socket", {AF_INET, SOCK_STREAM}) == SECCOMP_RET_ALLOW);
    CHECK(eval(plan, "socket", {AF_UNIX, SOCK_RAW}) == kErrnoEperm);
    CHECK(eval(plan, "socket", {AF_UNIX, SOCK_STREAM}) == SECCOMP_RET_KILL_PROCESS);
  }
}

TEST_CASE("seccomp compile: an allow rule narrows what allow granted", "[seccomp]") {
  SeccompSection s = section({"@basic-io"});
  s.rules.push_back(rule("read", {arg(0, "eq", number(0))}, "allow", at(7, 1)));
  s.rules.push_back(rule("mmap", {arg(2, "eq", number(0))}, "allow", at(8, 1)));
  Compiled c = compile(s);
  INFO(render_all(c.diags));
  CHECK_FALSE(c.diags.has_errors());
  // read leaves the unconditional set: allowed only as the rule says.
  CHECK(eval(c.plan, "read", {0}) == SECCOMP_RET_ALLOW);
  CHECK(eval(c.plan, "read", {5}) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(c.plan, "write", {5}) == SECCOMP_RET_ALLOW);
  // @default stays unconditional: the rule is reported.
  CHECK(diagnostic_at(c.diags, at(8, 1), Severity::warning).hint.find("@default") !=
        std::string::npos);
  CHECK(eval(c.plan, "mmap", {0, 0, 7}) == SECCOMP_RET_ALLOW);
}

TEST_CASE("seccomp compile: a refusing rule on an allowed call applies, allow covers the rest",
          "[seccomp]") {
  SeccompSection s = section({"@network-io"});
  s.rules.push_back(rule("socket", {arg(0, "eq", symbol("AF_PACKET"))}, "errno:EPERM"));
  const SeccompPlan plan = compile_ok(s);
  CHECK(eval(plan, "socket", {AF_PACKET}) == kErrnoEperm);
  CHECK(eval(plan, "socket", {AF_PACKET | 0xabcd00000000ull}) == kErrnoEperm);
  CHECK(eval(plan, "socket", {AF_INET}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "socket", {AF_UNIX}) == SECCOMP_RET_ALLOW);
}

TEST_CASE("seccomp compile: a clone rule on @system-service works without a deny (11.11)",
          "[seccomp]") {
  SeccompSection s = section({"@system-service"});
  s.rules.push_back(
      rule("clone", {arg(0, "masked-eq", number(0), {},
                         symbol("CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET"))}));
  Compiled c = compile(s);
  INFO(render_all(c.diags));
  CHECK(c.diags.all().empty());
  CHECK(eval(c.plan, "clone", {CLONE_VM | CLONE_THREAD | CLONE_SIGHAND}) == SECCOMP_RET_ALLOW);
  CHECK(eval(c.plan, "clone", {SIGCHLD}) == SECCOMP_RET_ALLOW);
  CHECK(eval(c.plan, "clone", {CLONE_NEWUSER | SIGCHLD}) == SECCOMP_RET_KILL_PROCESS);
}

TEST_CASE("seccomp compile: a refusing rule whose action is the default is kept (12.2)",
          "[seccomp]") {
  // allow ioctl ne TIOCSTI plus errno:EPERM ioctl eq TIOCLINUX: TIOCLINUX used to reach the
  // kernel, with a "no effect" warning.
  SeccompSection s = section({"@basic-io"}, "errno:EPERM");
  s.rules.push_back(rule("ioctl", {arg(1, "ne", symbol("TIOCSTI"))}, "allow", at(7, 1)));
  s.rules.push_back(rule("ioctl", {arg(1, "eq", symbol("TIOCLINUX"))}, "errno:EPERM", at(8, 1)));
  Compiled c = compile(s);
  INFO(render_all(c.diags));
  CHECK(c.diags.all().empty());
  CHECK(eval(c.plan, "ioctl", {0, TIOCLINUX}) == kErrnoEperm);
  CHECK(eval(c.plan, "ioctl", {0, TIOCLINUX | 0xffffffff00000000ull}) == kErrnoEperm);
  CHECK(eval(c.plan, "ioctl", {0, TIOCSTI}) == kErrnoEperm);
  CHECK(eval(c.plan, "ioctl", {0, FIONREAD}) == SECCOMP_RET_ALLOW);

  // With the same action as the default and nothing that allows the call, it is pointless.
  SeccompSection alone = section({"@basic-io"}, "errno:EPERM");
  alone.rules.push_back(
      rule("ioctl", {arg(1, "eq", symbol("TIOCLINUX"))}, "errno:EPERM", at(8, 1)));
  Compiled a = compile(alone);
  CHECK(diagnostic_at(a.diags, at(8, 1), Severity::warning).message.find("no effect") !=
        std::string::npos);
  CHECK(eval(a.plan, "ioctl", {0, TIOCLINUX}) == kErrnoEperm);
}

TEST_CASE("seccomp compile: refusing rules of one call: the strictest that matches decides",
          "[seccomp]") {
  SeccompSection s = section({"@basic-io", "prctl"}, "errno:EPERM");
  s.rules.push_back(rule("prctl", {arg(0, "ge", number(10))}, "errno:EACCES"));
  s.rules.push_back(rule("prctl", {arg(0, "eq", number(15))}, "kill-process"));
  s.rules.push_back(rule("prctl", {arg(1, "eq", number(0x100000000ull), 64)}, "trap"));
  const SeccompPlan plan = compile_ok(s);
  CHECK(eval(plan, "prctl", {3}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "prctl", {12}) == (SECCOMP_RET_ERRNO | EACCES));
  CHECK(eval(plan, "prctl", {15}) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, "prctl", {3, 0x100000000ull}) == SECCOMP_RET_TRAP);
  CHECK(eval(plan, "prctl", {3, 0x1ull}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "prctl", {12, 0x100000000ull}) == SECCOMP_RET_TRAP);
}

TEST_CASE("seccomp compile: @service grants clone, unshare, personality, ioctl safely",
          "[seccomp]") {
  const SeccompPlan plan = compile_ok(section({"@service"}, "kill-process"));
  const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                          CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  CHECK(eval(plan, "clone", {thread}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "clone", {CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD}) ==
        SECCOMP_RET_ALLOW);
  for (uint64_t flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS,
                        CLONE_NEWIPC, CLONE_NEWCGROUP}) {
    INFO(flag);
    CHECK(eval(plan, "clone", {flag | SIGCHLD}) == SECCOMP_RET_KILL_PROCESS);
    CHECK(eval(plan, "unshare", {flag}) == SECCOMP_RET_KILL_PROCESS);
  }
  CHECK(eval(plan, "unshare", {CLONE_NEWTIME}) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, "unshare", {CLONE_FILES}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "clone3") == kErrnoEnosys);
  CHECK(eval(plan, "personality", {0xffffffff}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "personality", {0}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "personality", {0x0400000 /* READ_IMPLIES_EXEC */}) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, "personality", {0x0040000 /* ADDR_NO_RANDOMIZE */}) == SECCOMP_RET_KILL_PROCESS);
  CHECK(eval(plan, "ioctl", {0, FIONREAD}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "ioctl", {1, TCGETS}) == SECCOMP_RET_ALLOW);
  // The kernel truncates the request to 32 bits: high bits must not dodge the check.
  for (uint64_t high : {0ull, 0x100000000ull, 0xffffffff00000000ull}) {
    CHECK(eval(plan, "ioctl", {0, TIOCSTI | high}) == SECCOMP_RET_KILL_PROCESS);
    CHECK(eval(plan, "ioctl", {0, TIOCLINUX | high}) == SECCOMP_RET_KILL_PROCESS);
  }
  for (const char* name :
       {"keyctl", "add_key", "request_key", "io_uring_setup", "io_uring_enter", "process_vm_readv",
        "process_vm_writev", "userfaultfd", "setns", "ptrace", "mount"}) {
    INFO(name);
    CHECK(eval(plan, name) == SECCOMP_RET_KILL_PROCESS);
  }
  for (const char* name : {"read", "openat", "socket", "accept4", "epoll_wait", "wait4", "execve",
                           "futex", "prctl", "setsid"}) {
    INFO(name);
    CHECK(eval(plan, name) == SECCOMP_RET_ALLOW);
  }
}

TEST_CASE("seccomp compile: a refusal by a group's condition names the group's allow entry",
          "[seccomp]") {
  const SeccompPlan plan = compile_ok(section({"@basic-io", "@service"}, "kill-process"));
  const auto ioctl = static_cast<uint32_t>(nr_of("ioctl"));
  const auto it = std::ranges::find_if(plan.origins, [&](const SeccompOrigin& o) {
    return o.nr == ioctl && o.action == SECCOMP_RET_KILL_PROCESS;
  });
  REQUIRE(it != plan.origins.end());
  CHECK(it->what.find("the condition of '@service' on 'ioctl'") == 0);
  CHECK(it->what.find("terminal") != std::string::npos);
  CHECK(it->origin.line == 2);
  CHECK(it->origin.column == 20);  // the second allow entry
}

TEST_CASE("seccomp compile: refusing rules hold on every architecture of the filter", "[seccomp]") {
  for (const char* extra : {"x86", "x32"}) {
    INFO(extra);
    SeccompSection s = section({"@service"}, "errno:EPERM");
    s.architectures = texts({"native", extra});
    s.rules.push_back(rule("ioctl", {arg(1, "eq", symbol("FIONREAD"))}, "errno:EACCES"));
    const SeccompPlan plan = compile_ok(s);
    const bool i386 = std::string_view(extra) == "x86";
    const uint32_t arch = i386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
    // i386's ioctl is 54; x32's is 514 with the x32 bit.
    const int nr = i386 ? 54 : static_cast<int>(0x40000000u | 514u);
    CHECK(eval(plan, nr, {0, TIOCSTI}, arch) == kErrnoEperm);
    CHECK(eval(plan, nr, {0, FIONREAD}, arch) == (SECCOMP_RET_ERRNO | EACCES));
    CHECK(eval(plan, nr, {0, TCGETS}, arch) == SECCOMP_RET_ALLOW);
    CHECK(eval(plan, "ioctl", {0, TIOCSTI}) == kErrnoEperm);
  }
}

TEST_CASE("seccomp compile: rules on a @service call narrow it and keep its conditions",
          "[seccomp]") {
  SeccompSection s = section({"@service"}, "errno:EPERM");
  s.rules.push_back(rule("ioctl", {arg(0, "eq", number(1))}));  // stdout only
  s.rules.push_back(rule("clone", {arg(0, "masked-eq", number(0), {}, symbol("CLONE_VM"))}));
  s.rules.push_back(rule("personality", {}, "errno:EACCES"));
  Compiled c = compile(s);
  INFO(render_all(c.diags));
  REQUIRE_FALSE(c.diags.has_errors());
  CHECK(eval(c.plan, "ioctl", {1, FIONREAD}) == SECCOMP_RET_ALLOW);
  CHECK(eval(c.plan, "ioctl", {2, FIONREAD}) == kErrnoEperm);
  CHECK(eval(c.plan, "ioctl", {1, TIOCSTI}) == kErrnoEperm);
  CHECK(eval(c.plan, "clone", {SIGCHLD}) == SECCOMP_RET_ALLOW);
  CHECK(eval(c.plan, "clone", {CLONE_VM | SIGCHLD}) == kErrnoEperm);
  CHECK(eval(c.plan, "clone", {CLONE_NEWUSER | SIGCHLD}) == kErrnoEperm);
  CHECK(eval(c.plan, "personality", {0xffffffff}) == (SECCOMP_RET_ERRNO | EACCES));

  // Named outright, the call is granted whatever its arguments: the wider grant wins.
  const SeccompPlan wide = compile_ok(section({"@service", "ioctl"}));
  CHECK(eval(wide, "ioctl", {0, TIOCSTI}) == SECCOMP_RET_ALLOW);
  // Denied, the conditions go too.
  SeccompSection denied = section({"@service"});
  denied.deny = texts({"ioctl"});
  CHECK(eval(compile_ok(denied), "ioctl", {0, FIONREAD}) == SECCOMP_RET_KILL_PROCESS);
}

TEST_CASE("seccomp compile: reopen takes a call back out of deny", "[seccomp]") {
  SeccompSection s = section({"@system-service"});
  s.deny = texts({"@keyring", "ptrace"});
  s.reopen = {text("keyctl", at(6, 11)), text("mount", at(6, 21))};
  Compiled c = compile(s);
  INFO(render_all(c.diags));
  CHECK_FALSE(c.diags.has_errors());
  CHECK(eval(c.plan, "keyctl") == SECCOMP_RET_ALLOW);
  CHECK(eval(c.plan, "add_key") == SECCOMP_RET_KILL_PROCESS);
  CHECK(diagnostic_at(c.diags, at(6, 21), Severity::warning).message.find("nothing denies") !=
        std::string::npos);
}

TEST_CASE("seccomp compile: rules without effect are warned about and left out", "[seccomp]") {
  SeccompSection s = section({}, "errno:EPERM");
  s.rules.push_back(rule("socket", {arg(0, "eq", number(1))}, "errno:EPERM", at(7, 1)));
  s.rules.push_back(
      rule("kill", {arg(0, "lt", number(3)), arg(0, "gt", number(5))}, "allow", at(8, 1)));
  s.rules.push_back(rule("getcwd", {arg(1, "ge", number(0))}, "allow", at(9, 1)));
  s.rules.push_back(rule("getcwd", {arg(1, "eq", number(4))}, "allow", at(10, 1)));
  Compiled c = compile(s);
  CHECK(diagnostic_at(c.diags, at(10, 1), Severity::warning).message ==
        "rule has no effect: 'getcwd' is allowed unconditionally by the rule at line 9");
  CHECK_FALSE(c.diags.has_errors());
  CHECK(diagnostic_at(c.diags, at(7, 1), Severity::warning).message.find("default action") !=
        std::string::npos);
  CHECK(diagnostic_at(c.diags, at(8, 1), Severity::warning).message.find("never match") !=
        std::string::npos);
  CHECK(eval(c.plan, "kill", {4}) == kErrnoEperm);
  CHECK(eval(c.plan, "getcwd", {0, 123}) == SECCOMP_RET_ALLOW);  // "ge 0" always holds
}

TEST_CASE("seccomp compile: a large policy stays within the kernel's limits", "[seccomp]") {
  SeccompSection s = section({"@system-service", "@sandbox", "@pkey"}, "errno:EPERM");
  s.deny = texts({"socket", "ioctl", "personality"});
  s.rules.push_back(rule(
      "socket",
      {arg(0, "ne", symbol("AF_PACKET")), arg(1, "masked-eq", symbol("SOCK_RAW"), {}, number(0xf))},
      "allow"));
  s.rules.push_back(rule("ioctl", {arg(1, "ne", symbol("TIOCSTI"))}));
  s.rules.push_back(rule("personality", {arg(0, "eq", symbol("PER_LINUX"))}));
  const SeccompPlan plan = compile_ok(s);
  CHECK(plan.program.size() <= BPF_MAXINSNS);
  CHECK(eval(plan, "ioctl", {0, FIONREAD}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "ioctl", {0, TIOCSTI | 0x100000000ull}) == kErrnoEperm);
  CHECK(eval(plan, "socket", {AF_INET, SOCK_RAW}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "socket", {AF_PACKET, SOCK_RAW}) == kErrnoEperm);
  CHECK(eval(plan, "socket", {AF_INET, SOCK_STREAM}) == kErrnoEperm);
}

// ---- diagnostics ----------------------------------------------------------------------------

TEST_CASE("seccomp compile: unknown names are errors at their position with a suggestion",
          "[seccomp][diagnostics]") {
  SeccompSection s = section({});
  s.allow = {text("read", at(6, 10)), text("opne", at(6, 18)), text("@netwrk-io", at(6, 26)),
             text("network-io", at(6, 40))};
  s.deny = {text("@nope-nothing-like-it", at(7, 9))};
  s.default_action = text("kil-process", at(5, 18));
  Compiled c = compile(s);
  CHECK(c.diags.error_count() == 5);  // every mistake, not only the first
  const Diagnostic& syscall = diagnostic_at(c.diags, at(6, 18));
  CHECK(syscall.message == "unknown syscall 'opne'");
  CHECK(syscall.hint == "did you mean 'open'?");
  const Diagnostic& group = diagnostic_at(c.diags, at(6, 26));
  CHECK(group.message == "unknown syscall group '@netwrk-io'");
  CHECK(group.hint == "did you mean '@network-io'?");
  CHECK(diagnostic_at(c.diags, at(6, 40)).hint == "did you mean the group '@network-io'?");
  CHECK(diagnostic_at(c.diags, at(7, 9)).message.find("unknown syscall group") !=
        std::string::npos);
  const Diagnostic& action = diagnostic_at(c.diags, at(5, 18));
  CHECK(action.message == "unknown seccomp action 'kil-process'");
  CHECK(action.hint == "did you mean 'kill-process'?");
  CHECK(c.plan.program.empty());
}

TEST_CASE("seccomp compile: errno, architecture and rule mistakes", "[seccomp][diagnostics]") {
  SeccompSection s = section({"@basic-io"});
  s.default_action = text("errno:EPRM", at(3, 18));
  s.architectures = LocatedStrings{text("native", at(4, 18)), text("x86-64", at(4, 28)),
                                   text("aarch64", at(4, 40))};
  SeccompArg bad_index = arg(7, "eq", number(1));
  bad_index.index.pos = at(10, 19);
  SeccompArg bad_op = arg(0, "eqq", number(1));
  bad_op.op.pos = at(11, 30);
  SeccompArg bad_width = arg(1, "eq", number(1), 16);
  bad_width.width->pos = at(12, 44);
  SeccompArg no_mask = arg(2, "masked-eq", number(1));
  no_mask.pos = at(13, 10);
  SeccompArg stray_mask = arg(3, "eq", number(1), {}, symbol("O_CREAT", at(14, 50)));
  SeccompArg bad_constant = arg(4, "eq", symbol("AF_INTE", at(15, 40)));
  SeccompArg too_wide = arg(5, "eq", ArgValue{0x100000000ull, {}, at(16, 40)});
  s.rules.push_back(
      rule("socket", {bad_index, bad_op, bad_width, no_mask, stray_mask, bad_constant, too_wide}));
  s.rules.push_back(rule("@network-io", {}, "allow", at(17, 1)));
  Compiled c = compile(s);
  CHECK(c.diags.error_count() == 11);

  CHECK(diagnostic_at(c.diags, at(3, 18)).hint == "did you mean 'EPERM'?");
  CHECK(diagnostic_at(c.diags, at(4, 28)).hint == "did you mean 'x86_64'?");
  CHECK(diagnostic_at(c.diags, at(4, 40)).message.find("does not run") != std::string::npos);
  CHECK(diagnostic_at(c.diags, at(10, 19)).message.find("index 7") != std::string::npos);
  CHECK(diagnostic_at(c.diags, at(11, 30)).hint == "did you mean 'eq'?");
  CHECK(diagnostic_at(c.diags, at(12, 44)).message.find("32 or 64") != std::string::npos);
  CHECK(diagnostic_at(c.diags, at(13, 10)).message.find("needs a mask") != std::string::npos);
  CHECK(diagnostic_at(c.diags, at(14, 50)).message.find("only goes with masked-eq") !=
        std::string::npos);
  const Diagnostic& constant = diagnostic_at(c.diags, at(15, 40));
  CHECK(constant.message == "unknown constant 'AF_INTE'");
  CHECK(constant.hint == "did you mean 'AF_INET'?");
  CHECK(diagnostic_at(c.diags, at(16, 40)).message.find("does not fit in 32 bits") !=
        std::string::npos);
  CHECK(diagnostic_at(c.diags, at(17, 1)).message.find("not a group") != std::string::npos);
}

TEST_CASE("seccomp compile: the architecture list must keep the native one",
          "[seccomp][diagnostics]") {
  SeccompSection s = section({"@basic-io"});
  s.architectures = LocatedStrings{text("x86", at(4, 18))};
  CHECK(diagnostic_at(compile(s).diags, at(4, 18)).message.find("native") != std::string::npos);
  s.architectures = LocatedStrings{};
  CHECK(compile(s).diags.has_errors());
  s.architectures = LocatedStrings{text("x86_64", at(4, 18))};
  CHECK_FALSE(compile(s).diags.has_errors());
}

TEST_CASE("seccomp compile: values and masks out of range for their width",
          "[seccomp][diagnostics]") {
  SeccompSection s = section({}, "errno:EPERM");
  s.rules.push_back(
      rule("prctl", {arg(0, "masked-eq", ArgValue{0x10, {}, at(5, 1)}, {}, number(0x0f))}));
  s.rules.push_back(
      rule("prctl", {arg(1, "masked-eq", number(1), {}, ArgValue{0x1ffffffffull, {}, at(6, 1)})}));
  Compiled c = compile(s);
  CHECK(diagnostic_at(c.diags, at(5, 1)).message.find("outside the mask") != std::string::npos);
  CHECK(diagnostic_at(c.diags, at(6, 1)).message.find("mask 0x1ffffffff") != std::string::npos);
  // The same values are fine as 64-bit comparisons.
  SeccompSection wide = section({}, "errno:EPERM");
  wide.rules.push_back(
      rule("prctl", {arg(1, "masked-eq", number(1), 64, ArgValue{0x1ffffffffull, {}, {}})}));
  const SeccompPlan plan = compile_ok(wide);
  CHECK(eval(plan, "prctl", {0, 0x200000001ull}) == SECCOMP_RET_ALLOW);  // bit 33 is not masked
  CHECK(eval(plan, "prctl", {0, 0x100000001ull}) == kErrnoEperm);        // bit 32 is
}

// ---- constants ------------------------------------------------------------------------------

TEST_CASE("seccomp constants: names resolve to the C values, '|' combines them", "[seccomp]") {
  CHECK(argument_constant("AF_INET") == uint64_t{AF_INET});
  CHECK(argument_constant("SOCK_CLOEXEC") == uint64_t{SOCK_CLOEXEC});
  CHECK(argument_constant("TIOCSTI") == uint64_t{TIOCSTI});
  CHECK(argument_constant("AT_FDCWD") == static_cast<uint64_t>(int64_t{AT_FDCWD}));
  CHECK_FALSE(argument_constant("AF_INTE").has_value());
  CHECK(evaluate_constant_expression("O_RDONLY|O_CLOEXEC") == uint64_t{O_CLOEXEC});
  CHECK(evaluate_constant_expression(" SOCK_STREAM | SOCK_NONBLOCK ") ==
        uint64_t{SOCK_STREAM | SOCK_NONBLOCK});
  CHECK(evaluate_constant_expression("0x10|1|010") == uint64_t{0x19});
  CHECK(evaluate_constant_expression("CLONE_NEWNS|CLONE_NEWUSER") ==
        uint64_t{CLONE_NEWNS | CLONE_NEWUSER});
  CHECK(evaluate_constant_expression("O_RDONLY|O_CLOEXC").error() == "O_CLOEXC");
  CHECK(evaluate_constant_expression("").error().empty());
  CHECK(evaluate_constant_expression("A||B").error() == "A");
  CHECK(evaluate_constant_expression("0x").error() == "0x");

  const auto table = argument_constants();
  REQUIRE(table.size() > 200);
  for (size_t i = 1; i < table.size(); ++i) {
    INFO(table[i].name);
    CHECK(table[i - 1].name < table[i].name);
  }
}

TEST_CASE("seccomp constants: every errno the C library names is known", "[seccomp]") {
  CHECK(errno_from_name("EPERM") == EPERM);
  CHECK(errno_from_name("ENOSYS") == ENOSYS);
  CHECK(errno_from_name("EWOULDBLOCK") == EWOULDBLOCK);
  CHECK(errno_from_name("ENOTSUP") == ENOTSUP);
  CHECK_FALSE(errno_from_name("EPRM").has_value());
  CHECK(errno_name(EAGAIN) == "EAGAIN");
  int named = 0;
  for (int value = 1; value < 4096; ++value) {
    const char* name = strerrorname_np(value);
    if (name == nullptr) continue;
    ++named;
    INFO(name);
    CHECK(errno_from_name(name) == value);
    CHECK(errno_from_name(errno_name(value)) == value);
  }
  CHECK(named > 120);
  CHECK(errno_names().size() >= static_cast<size_t>(named));
}

TEST_CASE("seccomp compile: restrict_suid_sgid refuses set-user-ID and set-group-ID modes only",
          "[seccomp]") {
  const auto [default_action, other] = GENERATE(table<std::string, uint32_t>({
      {"kill-process", SECCOMP_RET_KILL_PROCESS},
      {"allow", SECCOMP_RET_ALLOW},  // everything allowed: the modes are still refused
  }));
  INFO("default_action = " << default_action);
  SeccompSection s = section({"chmod", "fchmodat", "openat", "mkdir", "creat"}, default_action);
  s.restrict_suid_sgid = Located<bool>{true, at(4, 22)};
  const SeccompPlan plan = compile_ok(s);
  const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM;
  const uint64_t AT_FDCWD_U = static_cast<uint32_t>(AT_FDCWD);
  // The bits refused, whatever else the mode says; plain modes allowed.
  CHECK(eval(plan, "chmod", {0, 04755}) == eperm);
  CHECK(eval(plan, "chmod", {0, 02755}) == eperm);
  CHECK(eval(plan, "chmod", {0, 06000}) == eperm);
  CHECK(eval(plan, "chmod", {0, 0755}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "chmod", {0, 01777}) == SECCOMP_RET_ALLOW);  // sticky is fine
  CHECK(eval(plan, "fchmodat", {AT_FDCWD_U, 0, 04700}) == eperm);
  CHECK(eval(plan, "fchmodat", {AT_FDCWD_U, 0, 0700}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "mkdir", {0, 02775}) == eperm);  // a setgid directory too, as systemd
  CHECK(eval(plan, "creat", {0, 04755}) == eperm);
  // open's mode counts only when it creates.
  CHECK(eval(plan, "openat", {AT_FDCWD_U, 0, O_WRONLY | O_CREAT, 04755}) == eperm);
  CHECK(eval(plan, "openat", {AT_FDCWD_U, 0, O_RDWR | O_TMPFILE, 02700}) == eperm);
  CHECK(eval(plan, "openat", {AT_FDCWD_U, 0, O_WRONLY | O_CREAT, 0644}) == SECCOMP_RET_ALLOW);
  CHECK(eval(plan, "openat", {AT_FDCWD_U, 0, O_RDONLY, 04755}) == SECCOMP_RET_ALLOW);
  // A call nothing allows keeps the default action; openat2 (its mode in memory) ENOSYS when
  // allowed at all.
  CHECK(eval(plan, "fchmod", {3, 04755}) == (other == SECCOMP_RET_ALLOW ? eperm : other));
  CHECK(eval(plan, "openat2") ==
        (other == SECCOMP_RET_ALLOW ? (SECCOMP_RET_ERRNO | ENOSYS) : other));
  // fchmodat2 (Linux 6.6, x86_64 452) by number: refused with the bit even where an older
  // libseccomp has no name for it (then every number it does not know answers ENOSYS).
  const uint32_t fchmodat2 = eval(plan, 452, {AT_FDCWD_U, 0, 04755, 0});
  CHECK(fchmodat2 != SECCOMP_RET_ALLOW);
  CHECK(fchmodat2 != SECCOMP_RET_LOG);
}
