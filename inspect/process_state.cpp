#include "inspect/process_state.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include "enforcer/proc_text.hpp"

namespace harden::inspect {

namespace {

std::string proc_path(pid_t pid, std::string_view rest) {
  return "/proc/" + std::to_string(pid) + "/" + std::string(rest);
}

std::string read_link(const std::string& path) {
  char buffer[4096];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

template <typename T>
bool parse_number(std::string_view text, T& out, int base = 10) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return error == std::errc() && end == text.data() + text.size();
}

// The value of "Key:\t..." in /proc/PID/status, or nullopt.
std::optional<std::string_view> status_field(std::string_view status, std::string_view key) {
  for (std::string_view line : lines_of(status)) {
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      std::string_view value = line.substr(key.size() + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      return value;
    }
  }
  return std::nullopt;
}

void read_ids(std::string_view status, std::string_view key, std::array<uint32_t, 4>& out) {
  const auto value = status_field(status, key);
  if (!value) return;
  const std::vector<std::string_view> words = words_of(*value);
  for (size_t i = 0; i < out.size() && i < words.size(); ++i)
    parse_number(words[i], out[i]);
}

uint64_t read_caps(std::string_view status, std::string_view key) {
  uint64_t caps = 0;
  if (const auto value = status_field(status, key)) parse_number(*value, caps, 16);
  return caps;
}

int read_int(std::string_view status, std::string_view key) {
  int number = -1;
  if (const auto value = status_field(status, key)) parse_number(*value, number);
  return number;
}

uint64_t limit_value(std::string_view word) {
  if (word == "unlimited") return RLIM_INFINITY;
  uint64_t value = 0;
  return parse_number(word, value) ? value : RLIM_INFINITY;
}

// /proc/PID/limits: a header, then one line per resource in RLIMIT_* order. The name column
// is 25 characters wide and may hold blanks; the values follow it.
std::vector<ProcessLimit> parse_limits(std::string_view text) {
  std::vector<ProcessLimit> limits;
  const std::vector<std::string_view> lines = lines_of(text);
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].size() <= 26) continue;
    const std::vector<std::string_view> words = words_of(lines[i].substr(26));
    if (words.size() < 2) continue;
    limits.push_back({static_cast<int>(i - 1), limit_value(words[0]), limit_value(words[1])});
  }
  return limits;
}

std::string cgroup2_mount() {
  const std::string mounts = read_proc_text("/proc/self/mounts");
  for (std::string_view line : lines_of(mounts)) {
    const std::vector<std::string_view> fields = words_of(line);
    if (fields.size() >= 3 && fields[2] == "cgroup2") return std::string(fields[1]);
  }
  return {};
}

}  // namespace

std::optional<FileId> file_id(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

std::expected<ProcessState, std::string> read_process_state(pid_t pid) {
  ProcessState state;
  state.pid = pid;
  const std::string status = read_proc_text(proc_path(pid, "status").c_str());
  if (status.empty()) {
    return std::unexpected("no process " + std::to_string(pid) + " (or /proc/" +
                           std::to_string(pid) + "/status cannot be read)");
  }
  if (const auto name = status_field(status, "Name")) state.comm = std::string(*name);
  read_ids(status, "Uid", state.uids);
  read_ids(status, "Gid", state.gids);
  if (const auto groups = status_field(status, "Groups")) {
    for (std::string_view word : words_of(*groups)) {
      gid_t gid = 0;
      if (parse_number(word, gid)) state.groups.push_back(gid);
    }
    std::sort(state.groups.begin(), state.groups.end());
  }
  state.cap_inheritable = read_caps(status, "CapInh");
  state.cap_permitted = read_caps(status, "CapPrm");
  state.cap_effective = read_caps(status, "CapEff");
  state.cap_bounding = read_caps(status, "CapBnd");
  state.cap_ambient = read_caps(status, "CapAmb");
  state.no_new_privs = read_int(status, "NoNewPrivs");
  state.seccomp_mode = read_int(status, "Seccomp");
  state.seccomp_filters = read_int(status, "Seccomp_filters");
  if (const auto umask = status_field(status, "Umask")) {
    unsigned value = 0;
    if (parse_number(*umask, value, 8)) state.umask = value;
  }

  const std::string stat = read_proc_text(proc_path(pid, "stat").c_str());
  if (const size_t paren = stat.rfind(')'); paren != std::string::npos) {
    const std::vector<std::string_view> fields = words_of(std::string_view(stat).substr(paren + 1));
    // fields[0] is field 3 (state) of proc_pid_stat(5).
    if (fields.size() > 19) {
      parse_number(fields[1], state.ppid);
      parse_number(fields[3], state.session);
      parse_number(fields[4], state.tty_nr);
      parse_number(fields[19], state.start_time);
    }
  }
  state.exe = read_link(proc_path(pid, "exe"));
  for (const char* name : kNamespaceNames) {
    struct stat st {};
    if (::stat(proc_path(pid, std::string("ns/") + name).c_str(), &st) == 0)
      state.namespaces[name] = st.st_ino;
  }
  state.root = file_id(proc_path(pid, "root"));
  state.root_link = read_link(proc_path(pid, "root"));

  const std::string cgroup = read_proc_text(proc_path(pid, "cgroup").c_str());
  for (std::string_view line : lines_of(cgroup)) {
    if (line.starts_with("0::")) state.cgroup_v2 = std::string(line.substr(3));
  }
  if (!state.cgroup_v2.empty()) {
    if (const std::string mount = cgroup2_mount(); !mount.empty()) {
      const std::string dir = mount + (state.cgroup_v2 == "/" ? "" : state.cgroup_v2);
      for (const char* file : {"memory.max", "memory.swap.max", "pids.max", "cpu.max"}) {
        const std::string text = read_proc_text((dir + "/" + file).c_str(), 256);
        if (!text.empty()) state.cgroup_files[file] = first_line(text);
      }
    }
  }
  state.limits = parse_limits(read_proc_text(proc_path(pid, "limits").c_str()));

  const std::string fd_dir = proc_path(pid, "fd");
  if (const std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(fd_dir.c_str()), ::closedir); dir) {
    while (const dirent* entry = ::readdir(dir.get())) {
      int fd = 0;
      if (!parse_number(std::string_view(entry->d_name), fd)) continue;
      state.fds.push_back({fd, read_link(fd_dir + "/" + entry->d_name)});
    }
  }
  std::sort(state.fds.begin(), state.fds.end(),
            [](const OpenFd& a, const OpenFd& b) { return a.fd < b.fd; });

  const std::string environ = read_proc_text(proc_path(pid, "environ").c_str());
  size_t start = 0;
  while (start < environ.size()) {
    size_t end = environ.find('\0', start);
    if (end == std::string::npos) end = environ.size();
    if (end > start) state.environment.emplace_back(environ, start, end - start);
    start = end + 1;
  }
  std::string label = first_line(read_proc_text(proc_path(pid, "attr/current").c_str(), 4096));
  while (!label.empty() && (label.back() == '\0' || label.back() == ' '))
    label.pop_back();
  state.lsm_label = label;
  return state;
}

HostState read_host_state() {
  HostState host;
  for (const char* name : kNamespaceNames) {
    struct stat st {};
    if (::stat((std::string("/proc/self/ns/") + name).c_str(), &st) == 0)
      host.namespaces[name] = st.st_ino;
  }
  host.root = file_id("/proc/self/root");
  return host;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> children;
  const std::string task_dir = proc_path(pid, "task");
  const std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(task_dir.c_str()), ::closedir);
  if (!dir) return children;
  while (const dirent* entry = ::readdir(dir.get())) {
    if (entry->d_name[0] == '.') continue;
    const std::string text =
        read_proc_text((task_dir + "/" + entry->d_name + "/children").c_str(), 65536);
    for (std::string_view word : words_of(text)) {
      pid_t child = 0;
      if (parse_number(word, child)) children.push_back(child);
    }
  }
  std::sort(children.begin(), children.end());
  children.erase(std::unique(children.begin(), children.end()), children.end());
  return children;
}

}  // namespace harden::inspect
