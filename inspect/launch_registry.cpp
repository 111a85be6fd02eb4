#include "inspect/launch_registry.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "enforcer/proc_text.hpp"
#include "plan/plan_io.hpp"
#include "plan/unique_fd.hpp"

namespace harden::inspect {

namespace {

constexpr std::string_view kMagic = "harden-launch 1";

std::string launches_dir() {
  return state_dir() + "/launches";
}

// A directory made (or found) owned by root, not a symbolic link, writable by root alone.
std::string ensure_private_dir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return "mkdir(" + path + "): " + std::strerror(errno);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "lstat(" + path + "): " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return path + " is not a directory that root alone owns and may write";
  return {};
}

std::string write_whole(const std::string& path, std::string_view data) {
  const std::string temporary = path + ".tmp";
  ::unlink(temporary.c_str());
  const UniqueFd fd(
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd) return "open(" + temporary + "): " + std::strerror(errno);
  while (!data.empty()) {
    const ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "write(" + temporary + "): " + std::strerror(errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0)
    return "rename(" + path + "): " + std::strerror(errno);
  return {};
}

template <typename T>
bool parse(std::string_view text, T& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

std::optional<LaunchRecord> parse_record(std::string_view text) {
  const std::vector<std::string_view> lines = lines_of(text);
  if (lines.empty() || lines[0] != kMagic) return std::nullopt;
  LaunchRecord record;
  int fields = 0;
  for (std::string_view line : lines) {
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, space);
    const std::string_view value = line.substr(space + 1);
    const std::vector<std::string_view> words = words_of(value);
    if (key == "launcher" && words.size() == 2 && parse(words[0], record.launcher) &&
        parse(words[1], record.start_time)) {
      ++fields;
    } else if (key == "exe" && words.size() == 2 && parse(words[0], record.harden_exe.dev) &&
               parse(words[1], record.harden_exe.ino)) {
      ++fields;
    } else if (key == "filters" && parse(value, record.seccomp_filters_before)) {
      ++fields;
    } else if (key == "policy") {
      record.policy = std::string(value);
    }
  }
  if (fields != 3 || record.launcher <= 0) return std::nullopt;
  return record;
}

int own_seccomp_filters() {
  const std::string status = read_proc_text("/proc/self/status");
  for (std::string_view line : lines_of(status)) {
    if (!line.starts_with("Seccomp_filters:")) continue;
    const std::vector<std::string_view> words = words_of(line.substr(16));
    int count = 0;
    if (!words.empty() && parse(words[0], count)) return count;
  }
  return 0;
}

}  // namespace

std::string state_dir() {
  const char* dir = std::getenv("HARDEN_STATE_DIR");
  return dir && dir[0] == '/' ? std::string(dir) : std::string("/run/harden");
}

uint64_t start_time_of(pid_t pid) {
  const std::string stat = read_proc_text(("/proc/" + std::to_string(pid) + "/stat").c_str());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  const std::vector<std::string_view> fields = words_of(std::string_view(stat).substr(paren + 1));
  uint64_t start = 0;
  if (fields.size() > 19) parse(fields[19], start);
  return start;
}

std::string record_launch(const Plan& plan, const std::string& policy) {
  if (::geteuid() != 0) return "only root's launches are recorded";
  if (std::string why = ensure_private_dir(state_dir(), 0755); !why.empty()) return why;
  if (std::string why = ensure_private_dir(launches_dir(), 0700); !why.empty()) return why;
  // Records of launches that have ended go first, so the directory holds about as many
  // records as there are running launches.
  std::vector<std::string> ignored;
  (void)live_launches(ignored);
  const pid_t pid = ::getpid();
  const std::optional<FileId> exe = file_id("/proc/self/exe");
  if (!exe) return "/proc/self/exe cannot be read";
  const std::string base = launches_dir() + "/" + std::to_string(pid);
  if (std::string why = write_whole(base + ".plan", plan_to_bytes(plan)); !why.empty()) return why;
  std::string text = std::string(kMagic) + "\n";
  text += "launcher " + std::to_string(pid) + " " + std::to_string(start_time_of(pid)) + "\n";
  text += "exe " + std::to_string(exe->dev) + " " + std::to_string(exe->ino) + "\n";
  text += "filters " + std::to_string(own_seccomp_filters()) + "\n";
  // A policy path with a newline would end the record early; keep it out.
  if (policy.find('\n') == std::string::npos) text += "policy " + policy + "\n";
  return write_whole(base, text);
}

std::vector<LaunchRecord> live_launches(std::vector<std::string>& problems) {
  std::vector<LaunchRecord> launches;
  const std::string dir_path = launches_dir();
  const std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_path.c_str()), ::closedir);
  if (!dir) return launches;
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    pid_t pid = 0;
    if (parse(name, pid)) names.emplace_back(name);
  }
  for (const std::string& name : names) {
    const std::string path = dir_path + "/" + name;
    const std::string text = read_proc_text(path.c_str(), 65536);
    const std::optional<LaunchRecord> record = parse_record(text);
    if (!record) {
      problems.push_back(path + ": not a launch record");
      continue;
    }
    if (start_time_of(record->launcher) != record->start_time) {
      ::unlink(path.c_str());  // the launcher is gone (or its pid reused): stale
      ::unlink((path + ".plan").c_str());
      continue;
    }
    LaunchRecord live = *record;
    live.plan_path = path + ".plan";
    launches.push_back(std::move(live));
  }
  return launches;
}

std::optional<LaunchRecord> launch_of(pid_t pid, const std::vector<LaunchRecord>& launches) {
  // Up the parent chain: the launcher is the process itself or one of its ancestors.
  for (int depth = 0; pid > 1 && depth < 8; ++depth) {
    const uint64_t start = start_time_of(pid);
    for (const LaunchRecord& record : launches) {
      if (record.launcher == pid && record.start_time == start) return record;
    }
    const std::string status = read_proc_text(("/proc/" + std::to_string(pid) + "/status").c_str());
    pid_t parent = 0;
    for (std::string_view line : lines_of(status)) {
      if (!line.starts_with("PPid:")) continue;
      const std::vector<std::string_view> words = words_of(line.substr(5));
      if (!words.empty()) parse(words[0], parent);
    }
    pid = parent;
  }
  return std::nullopt;
}

std::vector<pid_t> launch_targets(const LaunchRecord& record) {
  auto runs_harden = [&](pid_t pid) {
    const std::optional<FileId> exe = file_id("/proc/" + std::to_string(pid) + "/exe");
    return exe && *exe == record.harden_exe;
  };
  std::vector<pid_t> targets;
  std::vector<pid_t> level{record.launcher};
  // harden, then at most two harden processes (supervisor, PID 1 of a namespace) above it.
  for (int depth = 0; depth < 3 && !level.empty(); ++depth) {
    std::vector<pid_t> next;
    for (const pid_t pid : level) {
      if (!runs_harden(pid)) {
        targets.push_back(pid);
        continue;
      }
      for (const pid_t child : children_of(pid))
        next.push_back(child);
    }
    level = std::move(next);
  }
  return targets;
}

}  // namespace harden::inspect
