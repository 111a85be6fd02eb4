// Resolves [cgroup]: sizes and counts as they go into the cgroup files, cpu as a CFS quota.
#include <cctype>

#include "compiler/compile_layers.hpp"

namespace harden {

CgroupPlan compile_cgroup(const CgroupSection& cgroup, Diagnostics& diags) {
  CgroupPlan plan;
  if (!cgroup.present) return plan;
  if (cgroup.memory) {
    // Below a few pages the kernel refuses the value or OOM-kills the target at once.
    if (cgroup.memory->value < (1ULL << 20)) {
      diags.error(cgroup.memory->pos, "'cgroup.memory' below 1M cannot run a program",
                  "give at least \"1M\"");
    }
    plan.memory_max = cgroup.memory->value;
  }
  if (cgroup.pids) {
    if (cgroup.pids->value < 1 || cgroup.pids->value > (1LL << 22)) {
      diags.error(cgroup.pids->pos, "'cgroup.pids' must be from 1 to 4194304",
                  "it counts the target's processes and threads together");
    } else {
      plan.pids_max = static_cast<uint64_t>(cgroup.pids->value);
    }
  }
  if (cgroup.cpu) {
    // "N%" of one CPU: "50%" is half a CPU, "200%" two CPUs (as systemd's CPUQuota=).
    const std::string& text = cgroup.cpu->value;
    bool valid = text.size() >= 2 && text.size() <= 6 && text.back() == '%';
    for (size_t i = 0; valid && i + 1 < text.size(); ++i) {
      valid = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
    }
    const uint64_t percent = valid ? std::stoull(text.substr(0, text.size() - 1)) : 0;
    if (!valid || percent == 0) {
      diags.error(cgroup.cpu->pos, "invalid cpu share '" + text + "'",
                  "write a percentage of one CPU, e.g. \"50%\" or \"200%\"");
    } else {
      // The kernel's smallest CFS quota is 1ms; 1% of a 100ms period is exactly that.
      plan.cpu_quota_us = percent * plan.cpu_period_us / 100;
    }
  }
  if (cgroup.systemd) {
    const std::string& mode = cgroup.systemd->value;
    plan.under_systemd = mode == "leave"  ? CgroupPlan::UnderSystemd::kLeave
                         : mode == "nest" ? CgroupPlan::UnderSystemd::kNest
                                          : CgroupPlan::UnderSystemd::kFail;
  }
  if (!plan.wanted() && !diags.has_errors()) {
    diags.warning(SourcePos{cgroup.pos}, "[cgroup] sets no limit",
                  "give memory, pids or cpu, or remove the section");
  }
  return plan;
}

}  // namespace harden
