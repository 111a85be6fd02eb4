// The draft writer of harden learn, without a kernel: what observations become (groups only
// where every member was seen, argument rules, dangerous calls with a reason), that the draft
// compiles, that --merge reads back what it wrote, and which directories may stand for the
// files read in them.
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include <catch2/catch.hpp>

#include "compiler/compile.hpp"
#include "compiler/syscall_groups.hpp"
#include "learn/draft.hpp"
#include "learn/paths.hpp"
#include "plan/bpf_eval.hpp"
#include "plan/plan_io.hpp"
#include "policy/policy_reader.hpp"
#include "policy/policy_writer.hpp"
#include "tests/support/harness.hpp"

using namespace harden;

namespace {

constexpr const char* kBase = R"([policy]
name = "base"

[identity]
user = "nobody"
group = "nogroup"
supplementary_groups = []

[namespaces]
net = "private"

[limits]
nofile = 64
nproc = 64
core = 0

[environment]
clear = true
keep = []
set = { PATH = "/usr/bin:/bin", ODD_NAME = "caf\u00e9 \"quoted\"" }
)";

Policy base_policy() {
  Diagnostics diags;
  auto policy = read_policy_text(kBase, "base.toml", diags);
  REQUIRE(policy);
  return *policy;
}

LearnObservations observed() {
  LearnObservations obs;
  obs.target_started = true;
  obs.command = {"/usr/bin/server", "--port", "80"};
  for (const char* name : {"read", "write", "openat", "close", "ptrace", "socket", "clone", "ioctl",
                           "prctl", "clone3", "exit_group"}) {
    obs.syscalls[name].count = 3;
    obs.syscalls[name].programs.insert("server");
  }
  if (auto members = expand_syscall_group("@signal")) {
    for (const std::string_view member : *members)
      obs.syscalls[std::string(member)].count = 1;
  }
  obs.sockets.insert({2, 1});                       // AF_INET, SOCK_STREAM
  obs.clone_flags.insert(CLONE_THREAD | CLONE_VM);  // threads
  obs.ioctl_requests.insert(0x5401);                // TCGETS
  obs.prctl_options.insert(15);                     // PR_SET_NAME
  obs.binds.insert({"tcp", "", 8080});
  obs.connects.insert({"tcp", "::ffff:192.0.2.7", 443});
  obs.connects.insert({"udp", "127.0.0.53", 53});
  return obs;
}

std::string draft_of(const LearnObservations& obs, const Policy& base) {
  DraftInput input;
  input.base = &base;
  input.base_description = "the base policy base.toml";
  input.name = "drafted";
  input.observations = obs;
  input.target_uid = 65534;
  return write_learned_draft(input);
}

std::optional<Plan> compile_text(const std::string& text, Diagnostics& diags) {
  auto policy = read_policy_text(text, "draft.toml", diags);
  return policy ? compile_policy(*policy, diags) : std::nullopt;
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("learn draft: compiles, and says what was seen", "[unit][learn]") {
  const Policy base = base_policy();
  const std::string text = draft_of(observed(), base);
  INFO(text);
  Diagnostics diags;
  const auto plan = compile_text(text, diags);
  INFO(render_all(diags, false));
  REQUIRE(plan);
  CHECK(diags.error_count() == 0);
  // A group only where every member was seen: @signal was seen whole.
  CHECK(contains(text, "\"@signal\",  # every member seen"));
  CHECK_FALSE(contains(text, "\"@basic-io\""));  // read and write only
  CHECK(contains(text, "\"read\",  # 3 calls: server"));
  // @default is implicit; clone3 is left to ENOSYS, with a note.
  CHECK_FALSE(contains(text, "\"exit_group\""));
  CHECK_FALSE(contains(text, "\"clone3\""));
  CHECK(contains(text, "clone3 was answered ENOSYS"));
  // Argument rules for the values seen.
  CHECK(contains(text, "value = \"AF_INET\""));
  CHECK(contains(text, "value = \"TCGETS\""));
  CHECK(contains(text, "value = \"PR_SET_NAME\""));
  // A dangerous call gets a rule with lint's reason, to review; it is not in allow.
  CHECK(contains(text, "syscall = \"ptrace\""));
  CHECK(contains(text, "reason = \"REVIEW: learned by harden learn; lint: controls other"));
  // Ports and peers, a v4-mapped peer as IPv4; the base's own network namespace: netns scope.
  CHECK(contains(text, "bind_tcp = [8080]"));
  CHECK(contains(text, "connect_tcp = [443]"));
  CHECK(contains(text, "scope = \"netns\""));
  CHECK(contains(text, "addresses = [\"192.0.2.7\"]"));
  CHECK(contains(text, "addresses = [\"127.0.0.53\"]"));
  // The base's sections, escapes and all, survive the round trip.
  CHECK(contains(text, "\"ODD_NAME\" = \"caf\\u00E9 \\\"quoted\\\"\""));
  CHECK(plan->data().credentials.uid == 65534);
}

TEST_CASE("learn draft: a group with one member unseen is listed member by member",
          "[unit][learn]") {
  LearnObservations obs = observed();
  obs.syscalls.erase("rt_sigaction");
  const Policy base = base_policy();
  const std::string text = draft_of(obs, base);
  CHECK_FALSE(contains(text, "\"@signal\""));
  CHECK(contains(text, "\"rt_sigprocmask\""));
  CHECK_FALSE(contains(text, "\"rt_sigaction\""));
}

TEST_CASE("learn draft: --merge reads back what the draft grants, and adds a run",
          "[unit][learn]") {
  const Policy base = base_policy();
  const LearnObservations first = observed();
  const std::string text = draft_of(first, base);
  Diagnostics diags;
  auto draft = read_policy_text(text, "draft.toml", diags);
  REQUIRE(draft);
  std::vector<std::string> warnings;
  LearnObservations back = observations_of_draft(*draft, warnings);
  CHECK(warnings.empty());
  for (const char* name :
       {"read", "write", "ptrace", "socket", "clone", "ioctl", "prctl", "rt_sigaction"}) {
    INFO(name);
    CHECK(back.syscalls.contains(name));
  }
  CHECK((back.sockets == first.sockets));
  CHECK(back.ioctl_requests == first.ioctl_requests);
  CHECK(back.prctl_options == first.prctl_options);
  CHECK(back.clone_flags == first.clone_flags);
  CHECK(back.binds.contains({"tcp", "", 8080}));
  CHECK(back.connects.contains({"udp", "127.0.0.53", 53}));
  CHECK(back.command == first.command);

  LearnObservations second;
  second.target_started = true;
  second.syscalls["sysinfo"].count = 1;
  second.ioctl_requests.insert(0x5413);  // TIOCGWINSZ
  merge_observations(back, second);
  CHECK(back.runs == 2);
  const std::string merged = draft_of(back, base);
  CHECK(contains(merged, "from 2 runs"));
  CHECK(contains(merged, "\"sysinfo\""));
  CHECK(contains(merged, "value = \"TCGETS\""));
  CHECK(contains(merged, "value = \"TIOCGWINSZ\""));
  Diagnostics merged_diags;
  CHECK(compile_text(merged, merged_diags));
}

TEST_CASE("learn draft: a hand-written rule is not read back, and not widened", "[unit][learn]") {
  Diagnostics diags;
  auto draft = read_policy_text(R"([policy]
name = "hand"

[seccomp]
allow = ["read"]

[[seccomp.rule]]
syscall = "socket"
args = [{ index = 0, op = "ne", value = "AF_NETLINK" }]
)",
                                "hand.toml", diags);
  REQUIRE(draft);
  std::vector<std::string> warnings;
  const LearnObservations back = observations_of_draft(*draft, warnings);
  REQUIRE(warnings.size() == 1);
  CHECK(contains(warnings[0], "hand.toml:7:1"));
  CHECK_FALSE(back.syscalls.contains("socket"));
  CHECK(back.syscalls.contains("read"));
}

TEST_CASE("learn draft: a directory stands for its files only when it grants no secret",
          "[unit][learn]") {
  harden::test::TempDir dir("harden-learn-paths");
  dir.chmod(0755);
  const std::string data = dir.mkdir("data", 0755);
  std::map<std::string, uint32_t> paths;
  for (const char* name : {"a", "b", "c"}) {
    harden::test::write_file(data + "/" + name, "x", 0644);
    paths[data + "/" + name] = learn_access::kRead;
  }
  PathGrantRequest request;
  request.target_uid = 4242;
  request.target_groups = {4242};

  SECTION("public files only: the directory") {
    const PathGrants grants = grant_paths(paths, request);
    CHECK(grants.read == std::set<std::string>{data});
  }
  SECTION("a file the target's group may read, not everyone: the files one by one") {
    const std::string secret = data + "/key";
    harden::test::write_file(secret, "s", 0640);
    REQUIRE((::chown(secret.c_str(), 0, 4242) == 0 || ::geteuid() != 0));
    if (::geteuid() != 0) request.target_groups = {::getegid()};
    const PathGrants grants = grant_paths(paths, request);
    CHECK(grants.read.size() == 3);
    CHECK_FALSE(grants.read.contains(data));
    CHECK_FALSE(grants.read.contains(secret));
  }
  SECTION("never a top-level directory, never /etc") {
    std::map<std::string, uint32_t> etc;
    for (const char* name : {"/etc/hostname", "/etc/hosts", "/etc/passwd"})
      etc[name] = learn_access::kRead;
    const PathGrants grants = grant_paths(etc, request);
    CHECK_FALSE(grants.read.contains("/etc"));
    CHECK(grants.read.contains("/etc/passwd"));
  }
  SECTION("in a constructed root, what the view does not show is not granted") {
    // The host has /etc/localtime and /proc, the view only the data directory: a rule on a
    // path missing from the view would stop the launch (Landlock cannot open it).
    request.constructed_root = true;
    request.view = {data, "/usr"};
    std::map<std::string, uint32_t> seen = paths;
    seen["/etc/localtime"] = learn_access::kRead;
    seen["/proc/self/status"] = learn_access::kRead;
    seen["/usr/lib/os-release"] = learn_access::kRead;
    const PathGrants grants = grant_paths(seen, request);
    CHECK(grants.read.contains(data));
    CHECK(grants.read.contains("/usr"));
    CHECK_FALSE(grants.read.contains("/etc/localtime"));
    CHECK_FALSE(grants.read.contains("/proc"));
    const bool named = std::ranges::any_of(grants.notes, [](const std::string& note) {
      return note.find("view does not show them") != std::string::npos &&
             note.find("/etc/localtime") != std::string::npos;
    });
    CHECK(named);
  }
  SECTION("a file the modes refuse is not granted") {
    const std::string closed = data + "/closed";
    harden::test::write_file(closed, "c", 0600);
    paths[closed] = learn_access::kRead;
    const PathGrants grants = grant_paths({{closed, learn_access::kRead}}, request);
    CHECK(grants.read.empty());
    REQUIRE(grants.notes.size() == 1);
    CHECK(contains(grants.notes[0], "its modes refuse the target"));
  }
  SECTION("created in: write on the directory; /usr read as a whole") {
    std::map<std::string, uint32_t> used{{data, learn_access::kCreateIn},
                                         {"/usr/bin/env", learn_access::kRead}};
    const std::string mine = dir.mkdir("mine", 0755);
    REQUIRE((::chown(mine.c_str(), 4242, 4242) == 0 || ::geteuid() != 0));
    used = {{mine, learn_access::kCreateIn}, {"/usr/bin/env", learn_access::kRead}};
    const PathGrants grants = grant_paths(used, request);
    if (::geteuid() == 0) CHECK(grants.write == std::set<std::string>{mine});
    CHECK(grants.read.contains("/usr"));
  }
  SECTION("a rename from one directory to another: refer on both, and written to the draft") {
    // redis's AOF rewrite: a file made in the data directory is renamed into appendonlydir.
    const std::string mine = dir.mkdir("redis", 0755);
    const std::string aof = dir.mkdir("redis/appendonlydir", 0755);
    for (const std::string& d : {mine, aof})
      REQUIRE((::chown(d.c_str(), 4242, 4242) == 0 || ::geteuid() != 0));
    using namespace learn_access;
    const std::map<std::string, uint32_t> used{{mine, kCreateIn | kRemoveIn | kReferIn},
                                               {aof, kCreateIn | kRemoveIn | kReferIn}};
    const PathGrants grants = grant_paths(used, request);
    if (::geteuid() == 0) {
      CHECK(grants.write == std::set<std::string>{mine});  // appendonlydir is beneath it
      CHECK(grants.refer == std::set<std::string>{mine});
    }
  }
}

TEST_CASE("toml_quote escapes what TOML and toml++ need escaped", "[unit][learn]") {
  CHECK(toml_quote("plain") == "\"plain\"");
  CHECK(toml_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(toml_quote("tab\there") == "\"tab\\u0009here\"");
  CHECK(toml_quote("caf\xc3\xa9") == "\"caf\\u00E9\"");
  CHECK(toml_quote("\xf0\x9f\x98\x80") == "\"\\U0001F600\"");
  // What is not UTF-8 (TOML refuses it as an escape too) becomes U+FFFD, a byte at a time: a
  // stray continuation byte, a truncated sequence, a surrogate, an overlong form, beyond
  // U+10FFFF.
  CHECK(toml_quote("a\x80"
                   "b") == "\"a\\uFFFDb\"");
  CHECK(toml_quote("\xe2\x82") == "\"\\uFFFD\\uFFFD\"");
  CHECK(toml_quote("\xed\xa0\x80") == "\"\\uFFFD\\uFFFD\\uFFFD\"");
  CHECK(toml_quote("\xc0\xaf") == "\"\\uFFFD\\uFFFD\"");
  CHECK(toml_quote("\xf4\x90\x80\x80") == "\"\\uFFFD\\uFFFD\\uFFFD\\uFFFD\"");
  for (const char* bad : {"a\x80"
                          "b",
                          "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"}) {
    INFO(bad);
    Diagnostics diags;
    CHECK(read_policy_text("[policy]\nname = \"p\"\ndescription = " + toml_quote(bad) + "\n",
                           "q.toml", diags));
  }
}

TEST_CASE(
    "learn draft: namespace flags are masked as @service masks them, and new ones are "
    "to review",
    "[unit][learn]") {
  LearnObservations obs = observed();
  obs.clone_flags.insert(0x10000000);  // CLONE_NEWUSER, in a fork
  obs.syscalls["unshare"].count = 1;
  obs.unshare_namespaces.insert(0x00020000 | 0x80);  // CLONE_NEWNS|CLONE_NEWTIME
  const Policy base = base_policy();
  const std::string text = draft_of(obs, base);
  INFO(text);
  // The masks are the compiler's: the ones @service's conditions on clone and unshare test.
  auto conditions = syscall_group_conditions("@service");
  REQUIRE(conditions);
  int masks = 0;
  for (const SyscallCondition& condition : *conditions) {
    if (condition.syscall != "clone" && condition.syscall != "unshare") continue;
    ++masks;
    // clone's also tells threads, forks and vfork-style children apart.
    const std::string kinds = condition.syscall == "clone" ? "|CLONE_THREAD|CLONE_VM" : "";
    CHECK(contains(text, "mask = \"" + std::string(condition.check.mask) + kinds + "\""));
  }
  CHECK(masks == 2);
  CHECK(contains(text, "value = \"CLONE_NEWUSER\""));
  CHECK(contains(text, "value = \"CLONE_NEWNS|CLONE_NEWTIME\""));
  CHECK(contains(text, "new namespaces: CLONE_NEWUSER"));
  CHECK(contains(text, "\"REVIEW: learned by harden learn; lint:"));
  Diagnostics diags;
  CHECK(compile_text(text, diags));
  INFO(render_all(diags, false));
  CHECK(diags.error_count() == 0);
}

TEST_CASE(
    "learn draft: names interface ioctls, needs no capability for netlink, says how long "
    "it watched",
    "[unit][learn]") {
  const Policy base = base_policy();
  LearnObservations obs = observed();
  obs.ioctl_requests.insert(0x8912);  // SIOCGIFCONF: listing the interfaces
  obs.ioctl_requests.insert(0x8933);  // SIOCGIFINDEX
  obs.sockets.insert({16, 3});        // AF_NETLINK, SOCK_RAW: the routing table, no capability
  obs.seconds = 41.6;
  std::string draft = draft_of(obs, base);
  INFO(draft);
  CHECK(contains(draft, "value = \"SIOCGIFCONF\""));
  CHECK(contains(draft, "value = \"SIOCGIFINDEX\""));
  CHECK_FALSE(contains(draft, "0x8912"));
  CHECK_FALSE(contains(draft, "CAP_NET_RAW"));
  CHECK(contains(draft, "from 1 run (42 s) of: /usr/bin/server"));
  CHECK(contains(draft, "what the target does only after 42 s (this run's length)"));
  Diagnostics diags;
  CHECK(compile_text(draft, diags));

  // A raw IP socket does need CAP_NET_RAW, and the note says so.
  obs.sockets.insert({2, 3});  // AF_INET, SOCK_RAW
  draft = draft_of(obs, base);
  CHECK(contains(draft, "needs CAP_NET_RAW"));

  // Merged runs keep the longest run's length.
  LearnObservations later;
  later.target_started = true;
  later.seconds = 7;
  merge_observations(obs, later);
  CHECK(obs.seconds == Approx(41.6));
  CHECK(contains(draft_of(obs, base), "from 2 runs (the longest 42 s) of:"));
}

TEST_CASE(
    "learn draft: a daemon seen making only threads may not fork, one seen forking may "
    "not make threads",
    "[unit][learn]") {
  const Policy base = base_policy();
  const auto clone_answer = [](const Plan& plan, uint64_t flags) {
    const auto answer = evaluate_seccomp_program(
        plan.data().seccomp.program,
        make_seccomp_data(native_audit_arch(), SYS_clone, {flags, 0, 0, 0, 0, 0}));
    REQUIRE(answer);
    return describe_seccomp_action(*answer);
  };
  // What glibc passes: pthread_create, fork, posix_spawn.
  const uint64_t thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                          CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
  const uint64_t fork = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD;
  const uint64_t spawn = CLONE_VM | CLONE_VFORK | SIGCHLD;

  LearnObservations threaded = observed();  // threads only
  Diagnostics diags;
  const std::string threaded_text = draft_of(threaded, base);
  INFO(threaded_text);
  const auto threaded_plan = compile_text(threaded_text, diags);
  REQUIRE(threaded_plan);
  CHECK(contains(threaded_text, "value = \"CLONE_THREAD|CLONE_VM\""));
  CHECK(clone_answer(*threaded_plan, thread) == "allow");
  CHECK(clone_answer(*threaded_plan, fork) == "kill-process");
  CHECK(clone_answer(*threaded_plan, spawn) == "kill-process");

  LearnObservations forking = observed();
  forking.clone_flags = {0};  // fork only
  const std::string forking_text = draft_of(forking, base);
  const auto forking_plan = compile_text(forking_text, diags);
  REQUIRE(forking_plan);
  CHECK(contains(forking_text, "child processes (fork)"));
  CHECK(clone_answer(*forking_plan, fork) == "allow");
  CHECK(clone_answer(*forking_plan, thread) == "kill-process");

  // A draft of an earlier harden learn (namespace bits only) is read back as every kind.
  Diagnostics read_diags;
  const auto old = read_policy_text(R"([policy]
name = "old"

[seccomp]
allow = ["read"]

[[seccomp.rule]]
syscall = "clone"
args = [{ index = 0, op = "masked-eq", value = 0, mask = "CLONE_NEWNS|CLONE_NEWUSER" }]
)",
                                    "old.toml", read_diags);
  REQUIRE(old);
  std::vector<std::string> warnings;
  const LearnObservations back = observations_of_draft(*old, warnings);
  CHECK(warnings.empty());
  CHECK(back.clone_flags == std::set<uint64_t>{0, CLONE_VM, CLONE_THREAD | CLONE_VM});
}

TEST_CASE("learn draft: refer is written where renames crossed directories, and read back",
          "[unit][learn]") {
  harden::test::TempDir dir{"harden-learn-refer"};
  dir.chmod(0755);
  const std::string data = dir.mkdir("data", 0777);
  const std::string moved = dir.mkdir("data/moved", 0777);
  LearnObservations obs = observed();
  obs.paths[data] = learn_access::kCreateIn | learn_access::kReferIn;
  obs.paths[moved] = learn_access::kCreateIn | learn_access::kReferIn;
  const Policy base = base_policy();
  const std::string text = draft_of(obs, base);
  INFO(text);
  const size_t refer = text.find("\nrefer = [");
  REQUIRE(refer != std::string::npos);
  CHECK(text.substr(refer, text.find(']', refer) - refer) ==
        "\nrefer = [\n  \"" + data + "\",\n");  // the directory above: moved is beneath it
  Diagnostics diags;
  const auto draft = read_policy_text(text, "draft.toml", diags);
  REQUIRE(draft);
  std::vector<std::string> warnings;
  const LearnObservations back = observations_of_draft(*draft, warnings);
  REQUIRE(back.paths.contains(data));
  CHECK((back.paths.at(data) & learn_access::kReferIn) != 0);
}

TEST_CASE("learn draft: the header shows the command as a shell would need it typed",
          "[unit][learn]") {
  const Policy base = base_policy();
  LearnObservations obs = observed();
  obs.command = {"/usr/sbin/nginx", "-g", "daemon off;", "", "it's", "caf\xc3\xa9\x01"};
  const std::string text = draft_of(obs, base);
  const std::string first = text.substr(0, text.find('\n'));
  INFO(first);
  CHECK(first.ends_with(
      R"(of: /usr/sbin/nginx -g 'daemon off;' '' 'it'\''s' 'caf'$'\xc3'''$'\xa9'''$'\x01''')"));
  Diagnostics diags;
  CHECK(compile_text(text, diags));  // and the draft still reads as TOML
  CHECK(contains(text, R"(command = ["/usr/sbin/nginx", "-g", "daemon off;")"));
}

TEST_CASE("learn draft: keeps the base's restrict_suid_sgid", "[unit][learn]") {
  Diagnostics diags;
  const auto base = read_policy_text(
      std::string(kBase) + "\n[seccomp]\nrestrict_suid_sgid = true\n", "base.toml", diags);
  REQUIRE(base);
  const std::string with = draft_of(observed(), *base);
  CHECK(contains(with, "\nrestrict_suid_sgid = true"));
  CHECK_FALSE(contains(draft_of(observed(), base_policy()), "restrict_suid_sgid"));
  Diagnostics compiled;
  CHECK(compile_text(with, compiled));
}
