#include "export/systemd_unit.hpp"

namespace harden::systemd_unit {

void DropIn::missing(Diagnostics& diags, const SourcePos& pos, const std::string& what) {
  missing_.push_back(what);
  diags.warning(pos, "no systemd equivalent: " + what,
                "the --wrapper flavour enforces the whole policy");
}

void DropIn::superset(Diagnostics& diags, const SourcePos& pos, const std::string& what) {
  superset_.push_back(what);
  diags.warning(pos, "the unit enforces a wider rule: " + what,
                "the --wrapper flavour enforces the exact condition");
}

void DropIn::extra(Diagnostics& diags, const SourcePos& pos, const std::string& what) {
  extra_.push_back(what);
  diags.warning(pos, "systemd adds to the view: " + what,
                "the --wrapper flavour shows exactly the policy's view");
}

std::string DropIn::text(const std::string& header) const {
  std::string out = header;
  if (!superset_.empty()) {
    out +=
        "#\n# WIDER THAN THE POLICY (systemd cannot filter these arguments; the unit allows\n"
        "# what the policy allows and more, so the service still runs; use --wrapper for the\n"
        "# exact rule):\n";
    for (const std::string& s : superset_)
      out += "#   - " + s + "\n";
  }
  if (!extra_.empty()) {
    out +=
        "#\n# ADDED TO THE VIEW BY SYSTEMD (not in the policy's view; use --wrapper for the\n# "
        "exact view):\n";
    for (const std::string& e : extra_)
      out += "#   - " + e + "\n";
  }
  if (!missing_.empty()) {
    out += "#\n# NOT TRANSLATED (no systemd equivalent; use --wrapper to enforce them):\n";
    for (const std::string& m : missing_)
      out += "#   - " + m + "\n";
  }
  out += "\n[Service]\n";
  for (const std::string& l : lines_)
    out += l + "\n";
  return out;
}

namespace {

// systemd's quoting of one word. An ExecStart= word also escapes '$' (variable expansion) and
// quotes ';' (a command separator); an Environment= assignment expands neither.
std::string systemd_quote(const std::string& word, bool exec_word) {
  std::string out;
  bool quote = word.empty();
  for (const char c : word) {
    switch (c) {
      case '%':
        out += "%%";
        break;
      case '$':
        out += exec_word ? "$$" : "$";
        break;
      case '\\':
        out += "\\\\", quote = true;
        break;
      case '"':
        out += "\\\"", quote = true;
        break;
      case '\'':
        out += "\\'", quote = true;
        break;
      case '\n':
        out += "\\n", quote = true;
        break;
      case ';':
        out += c, quote = quote || exec_word;
        break;
      case ' ':
      case '\t':
        out += c, quote = true;
        break;
      default:
        out += c;
    }
  }
  return quote ? "\"" + out + "\"" : out;
}

}  // namespace

std::string exec_quote(const std::string& word) {
  return systemd_quote(word, true);
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& arg : argv)
    line += (line.empty() ? "" : " ") + exec_quote(arg);
  return line;
}

std::string environment_quote(const std::string& assignment) {
  return systemd_quote(assignment, false);
}

bool keeps(const PlanData& plan, int cap) {
  return (plan.capabilities.keep >> cap) & 1U;
}

std::optional<uid_t> uid_of(const PlanData& plan) {
  if (plan.credentials.change_ids) return plan.credentials.uid;
  return std::nullopt;
}

SourcePos source_pos(const PlanOrigin& origin) {
  return {origin.file, origin.line, origin.column};
}

void cgroup_directives(const PlanData& plan, DropIn& unit) {
  const CgroupPlan& cgroup = plan.cgroup;
  if (cgroup.memory_max) unit.line("MemoryMax=" + std::to_string(*cgroup.memory_max));
  if (cgroup.pids_max) unit.line("TasksMax=" + std::to_string(*cgroup.pids_max));
  if (cgroup.cpu_quota_us) {
    // CPUQuota= is a percentage of one CPU; CPUQuotaPeriodSec= keeps the policy's period.
    const uint64_t percent =
        (*cgroup.cpu_quota_us * 100 + cgroup.cpu_period_us - 1) / cgroup.cpu_period_us;
    unit.line("CPUQuota=" + std::to_string(percent) + "%");
    unit.line("CPUQuotaPeriodSec=" + std::to_string(cgroup.cpu_period_us) + "us");
  }
}

}  // namespace harden::systemd_unit
