// harden learn [--policy BASE] [-o DRAFT] [--merge DRAFT] [--name NAME] -- CMD...
// Runs CMD as the base policy would, records every syscall, file, port and peer it uses
// (enforcer/learn.hpp), and writes a draft policy (learn/draft.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "compiler/compile.hpp"
#include "enforcer/learn.hpp"
#include "enforcer/steps.hpp"
#include "learn/draft.hpp"
#include "plan/unique_fd.hpp"
#include "policy/policy_reader.hpp"
#include "policy/policy_writer.hpp"

extern char** environ;

namespace harden::cli {

namespace {

// The base when none is given: a service's usual settings (those of policies/base/service.toml)
// and, for root, the nobody account, so the draft does not run a service as root.
std::string builtin_base(bool as_root) {
  std::string text =
      "[policy]\nname = \"learned\"\n\n[exec]\numask = \"0027\"\n\n[identity]\n"
      "no_new_privileges = true\n";
  if (as_root) text += "user = \"nobody\"\ngroup = \"nogroup\"\nsupplementary_groups = []\n";
  text +=
      "\n[capabilities]\nkeep = []\n\n[limits]\nnofile = 1024\nnproc = 256\ncore = "
      "0\n\n[environment]\n"
      "clear = true\nkeep = [\"LANG\", \"TZ\"]\nset = { PATH = \"/usr/bin:/bin\" }\n";
  return text;
}

// A [policy] name from the command: "python3" -> "python3", "/usr/sbin/nginx" -> "nginx".
std::string name_from_command(const std::string& program) {
  const size_t slash = program.rfind('/');
  std::string name;
  for (const char c : program.substr(slash == std::string::npos ? 0 : slash + 1)) {
    const auto lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '-' ||
        lower == '_') {
      name += lower;
    } else if (lower == '.') {
      name += '-';
    }
    if (name.size() == 32) break;
  }
  return name.empty() ? "learned" : name;
}

std::string directory_of(const std::string& file) {
  const size_t slash = file.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : file.substr(0, slash);
}

// Whether a file can be created next to `file` (what writing the draft will do), tried for
// real: access(2) says yes to root on a read-only or virtual file system.
bool can_write_beside(const std::string& file, std::string& why) {
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    why = "it exists and is not a regular file";
    return false;
  }
  std::string probe = directory_of(file) + "/.harden-learn-XXXXXX";
  const int fd = ::mkstemp(probe.data());
  if (fd < 0) {
    why = std::strerror(errno);
    return false;
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

// Written beside, then renamed over: a reader never sees half a draft, and a failed write
// leaves the earlier one.
bool write_atomically(const std::string& file, const std::string& text, std::string& why) {
  std::string temporary = directory_of(file) + "/.harden-learn-XXXXXX";
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) {
    why = std::strerror(errno);
    return false;
  }
  size_t at = 0;
  while (at < text.size()) {
    const ssize_t n = ::write(fd, text.data() + at, text.size() - at);
    if (n <= 0) {
      why = std::strerror(errno);
      ::close(fd);
      ::unlink(temporary.c_str());
      return false;
    }
    at += static_cast<size_t>(n);
  }
  const bool ok = ::fchmod(fd, 0644) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), file.c_str()) != 0) {
    why = std::strerror(errno);
    ::unlink(temporary.c_str());
    return false;
  }
  return true;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return std::string("was killed by SIG") + (name ? name : std::to_string(WTERMSIG(status)));
  }
  return "stopped";
}

// The runs an earlier draft counts and its longest run's length, from its first line
// ("# Drafted by `harden learn` from 2 runs (the longest 14 s) of: ...").
void runs_of_draft(const std::string& file, LearnObservations& earlier) {
  std::ifstream in(file);
  std::string first;
  std::getline(in, first);
  earlier.runs = 1;
  const std::string marker = "` from ";
  const size_t at = first.find(marker);
  if (!first.starts_with("# Drafted by `harden learn") || at == std::string::npos) return;
  const unsigned long long runs = std::strtoull(first.c_str() + at + marker.size(), nullptr, 10);
  earlier.runs = runs >= 1 ? runs : 1;
  const size_t open = first.find('(', at);
  if (open == std::string::npos) return;
  const size_t digits = first.find_first_of("0123456789", open);
  if (digits != std::string::npos && digits < first.find(')', open))
    earlier.seconds = std::strtod(first.c_str() + digits, nullptr);
}

struct LearnOptions {
  std::string policy;
  std::string output;
  std::string merge;
  std::string name;
  std::string user;
};

// A policy that extends `base` and sets what the command line gives: the name (a base such as
// policies/base/daemon.toml has none) and the user (nor that). Read from the base's directory,
// where `extends` finds it, with the usual checks on the base file.
std::optional<Policy> read_base_with(const std::string& base, const std::string& name,
                                     const std::string& user, Diagnostics& diags) {
  const std::filesystem::path path = std::filesystem::absolute(base);
  std::string text = "[policy]\nname = " + toml_quote(name) + "\nextends = [" +
                     toml_quote(path.filename().string()) + "]\n";
  if (!user.empty()) text += "\n[identity]\nuser = " + toml_quote(user) + "\n";
  return read_policy_text(text, (path.parent_path() / "(harden learn --name and --user)").string(),
                          diags);
}

// Writes the draft when the target is gone; runs in harden's original process.
class DraftSink final : public LearnSink {
 public:
  DraftInput input;
  LearnObservations earlier;
  bool merging = false;
  std::string output;
  std::vector<std::string> command;
  std::chrono::steady_clock::time_point started;  // when the target was about to start

  int finish(const LearnObservations& observations, int status) override {
    std::fprintf(stderr, "harden learn: the target %s\n", describe_status(status).c_str());
    if (!observations.target_started) {
      std::fprintf(stderr,
                   "harden learn: the target never started (see the message above); no draft "
                   "written\n");
      return -1;
    }
    LearnObservations all = merging ? earlier : LearnObservations{};
    LearnObservations run = observations;
    run.command = command;
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (merging) {
      merge_observations(all, run);
    } else {
      all = std::move(run);
    }
    input.observations = std::move(all);
    const std::string text = write_learned_draft(input);
    std::string why;
    if (!write_atomically(output, text, why)) {
      std::fprintf(stderr, "harden learn: cannot write the draft %s: %s\n", output.c_str(),
                   why.c_str());
      return 1;
    }
    std::fprintf(stderr,
                 "harden learn: %zu syscalls, %zu paths, %llu notifications recorded; draft "
                 "written to %s\n"
                 "  check it:  harden validate %s && harden lint %s\n"
                 "  run under it:  harden --policy %s -- ...\n",
                 input.observations.syscalls.size(), input.observations.paths.size(),
                 static_cast<unsigned long long>(observations.notifications), output.c_str(),
                 output.c_str(), output.c_str(), output.c_str());
    return -1;
  }
};

int run_learn(const LearnOptions& options, const std::vector<std::string>& extras,
              const Invocation& inv) {
  constexpr const char* kFix = "; the target was not started\n";
  if (!extras.empty()) {
    std::fprintf(stderr,
                 "harden learn: unexpected argument '%s': put the command to learn after --, "
                 "e.g. harden learn -o draft.toml -- %s%s",
                 extras.front().c_str(), extras.front().c_str(), kFix);
    return exit_code::kPolicyError;
  }
  // The base: --policy, else the draft being merged into, else the built-in one.
  Diagnostics diags;
  std::optional<Policy> base;
  std::string base_description;
  if (!options.policy.empty()) {
    base = read_policy(options.policy, diags);
    if (!base || !options.user.empty()) {
      // Without a name or a user of its own, a base is read through a policy that extends it
      // with those of the command line; its own errors are reported as they are.
      const std::string name = !options.name.empty()  ? options.name
                               : base                 ? base->meta.name.value
                               : !inv.command.empty() ? name_from_command(inv.command[0])
                                                      : "learned";
      diags = Diagnostics{};
      base = read_base_with(options.policy, name, options.user, diags);
    }
    base_description = "the base policy " + options.policy;
  } else if (!options.merge.empty()) {
    base = read_policy(options.merge, diags);
    base_description = "the earlier draft " + options.merge;
  } else {
    base =
        read_policy_text(builtin_base(::geteuid() == 0), "<harden learn's built-in base>", diags);
    base_description = std::string("harden learn's built-in base (") +
                       (::geteuid() == 0 ? "as nobody, " : "") +
                       "no capabilities, clean environment)";
  }
  std::optional<Plan> plan = base ? compile_policy(*base, diags) : std::nullopt;
  print_diagnostics(diags);
  if (!plan) {
    if (base && !base->identity.user && !options.policy.empty()) {
      std::fprintf(stderr,
                   "harden learn: the base names no user (as policies/base/*.toml do): give the "
                   "service's with --user USER\n");
    }
    std::fprintf(stderr, "harden learn: %zu error(s) in the base policy%s", diags.error_count(),
                 kFix);
    return exit_code::kPolicyError;
  }
  auto sink = std::make_unique<DraftSink>();
  if (!options.merge.empty()) {
    Diagnostics merge_diags;
    std::optional<Policy> draft = read_policy(options.merge, merge_diags);
    std::optional<Plan> checked = draft ? compile_policy(*draft, merge_diags) : std::nullopt;
    print_diagnostics(merge_diags);
    if (!checked) {
      std::fprintf(stderr, "harden learn: --merge %s is not a valid policy%s",
                   options.merge.c_str(), kFix);
      return exit_code::kPolicyError;
    }
    std::vector<std::string> warnings;
    sink->earlier = observations_of_draft(*draft, warnings);
    for (const std::string& warning : warnings)
      std::fprintf(stderr, "harden learn: warning: %s\n", warning.c_str());
    runs_of_draft(options.merge, sink->earlier);
    sink->merging = true;
    sink->input.merged_with = options.merge;
  }
  sink->command = inv.command;
  if (sink->command.empty() && sink->merging) sink->command = sink->earlier.command;
  if (sink->command.empty()) {
    std::fprintf(stderr,
                 "harden learn: no command to learn: give it after --, e.g. harden learn -o "
                 "draft.toml -- python3 -m http.server%s",
                 kFix);
    return exit_code::kPolicyError;
  }
  const PlanData& data = plan->data();
  sink->input.name = !options.name.empty() ? options.name
                     : (!options.policy.empty() || sink->merging)
                         ? data.policy_name
                         : name_from_command(sink->command[0]);
  sink->output = !options.output.empty() ? options.output
                 : sink->merging         ? options.merge
                                         : sink->input.name + ".toml";
  std::string why;
  if (!can_write_beside(sink->output, why)) {
    std::fprintf(stderr, "harden learn: cannot write the draft %s: %s (choose another -o)%s",
                 sink->output.c_str(), why.c_str(), kFix);
    return exit_code::kPolicyError;
  }
  sink->input.base = &*base;
  sink->input.base_description = base_description;
  sink->input.target_root = data.filesystem.chroot.empty() ? "/" : data.filesystem.chroot;
  for (const ViewMount& mount : data.filesystem.view)
    sink->input.view.push_back(mount.target);
  sink->input.target_uid = data.credentials.change_ids ? data.credentials.uid : ::geteuid();
  sink->input.target_groups =
      data.credentials.change_ids ? data.credentials.supplementary_groups : std::vector<gid_t>{};
  sink->input.target_groups.push_back(data.credentials.change_ids ? data.credentials.gid
                                                                  : ::getegid());

  // Handles on the host's view for the supervisor (see LearnSink), close-on-exec.
  const UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  const UniqueFd cwd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  const UniqueFd proc(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  sink->host_root_fd = root.get();
  sink->host_cwd_fd = cwd.get();
  sink->host_proc_fd = proc.get();
  const std::expected<Plan, std::string> learning = enforce::learn::learning_plan(*plan);
  if (!learning) {
    std::fprintf(stderr, "harden learn: %s%s", learning.error().c_str(), kFix);
    return exit_code::kPolicyError;
  }
  auto ctx = prepare_exec(learning->data(), sink->command, environ, {.learn = sink.get()});
  if (!ctx) {
    std::fprintf(stderr, "harden learn: %s%s", ctx.error().c_str(), kFix);
    return exit_code::kPolicyError;
  }
  std::fflush(nullptr);
  sink->started = std::chrono::steady_clock::now();
  RealSys sys;
  // The supervisor (this process after the fork) calls the sink and exits; the sink lives
  // until then.
  enforce_exec_or_exit(*learning, *ctx, sys);
}

}  // namespace

Subcommand add_learn_command(CLI::App& parent) {
  auto options = std::make_shared<LearnOptions>();
  auto extras = std::make_shared<std::vector<std::string>>();
  CLI::App* app = parent.add_subcommand(
      "learn",
      "Run a command, record what it does, write a draft policy: "
      "harden learn [--policy BASE] [-o DRAFT] [--merge DRAFT] -- CMD [ARGS...]");
  app->add_option("-p,--policy", options->policy,
                  "Base policy: the identity, view, namespaces, limits and environment to run "
                  "under (default: the earlier draft with --merge, else a built-in service base, "
                  "as nobody when run as root)")
      ->check(CLI::ExistingFile);
  app->add_option("-o,--output", options->output,
                  "Where to write the draft (default: the --merge file, else NAME.toml)");
  app->add_option("--merge", options->merge,
                  "An earlier draft: what this run sees is added to it (reload, backup, crash "
                  "recovery...), and it is the base unless --policy is given")
      ->check(CLI::ExistingFile);
  app->add_option("--name", options->name,
                  "The draft's [policy] name (default: the base's, else the program's)");
  app->add_option("--user", options->user,
                  "The user the target runs as while learning and in the draft, for a base "
                  "that names none (policies/base/*.toml); needs --policy")
      ->needs("--policy");
  app->allow_extras();
  app->footer(
      "How it works: the target runs as the base policy says, but instead of its filter every\n"
      "syscall of every thread, child and exec'd program goes to harden (seccomp user\n"
      "notification), which records it and lets it proceed; there is no Landlock while\n"
      "learning. Ctrl-C or SIGTERM to harden is passed to the target; when the target and\n"
      "everything it started have exited, the draft is written: the syscalls seen (with\n"
      "argument rules for socket, clone, unshare, ioctl, prctl, personality), Landlock rules for\n"
      "the files read, written and executed and the TCP ports bound and connected to, a\n"
      "firewall for the peers, and notes on what learning cannot see (capabilities, code paths\n"
      "not taken). Exercise the service while learning; learn its other operations with\n"
      "--merge. Then: harden validate DRAFT && harden lint DRAFT, review, and run it.\n\n"
      "Examples:\n"
      "  harden learn -o web.toml -- python3 -m http.server 8080 --bind 127.0.0.1\n"
      "  harden learn --merge web.toml -- python3 -m http.server 8080 --bind 127.0.0.1\n"
      "  harden learn --policy base.toml -o redis.toml -- redis-server /etc/redis/redis.conf\n\n"
      "Exit status: 125 for a usage or base-policy error (nothing was run), 1 when the draft\n"
      "could not be written, otherwise the target's own status (see harden(1)).");
  return {app, [options, extras, app](const Invocation& inv) {
            *extras = app->remaining();
            return run_learn(*options, *extras, inv);
          }};
}

}  // namespace harden::cli
