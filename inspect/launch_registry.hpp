// Which processes harden started, for `harden check --all`. A launch by root through the
// harden command (`harden run`, `harden --policy P -- CMD`, `harden run --plan F`) leaves a
// record in $HARDEN_STATE_DIR/launches (default /run/harden/launches, root's alone):
//
//   <pid>       "harden-launch 1", the launcher's pid and start time (so a reused pid is
//               never mistaken for it), the identity of the harden executable, the policy, the
//               seccomp filters harden itself was under
//   <pid>.plan  the plan it enforced, sealed (plan_io.hpp), so a check compares with what was
//               enforced even if the policy file changed since
//
// The launcher pid is the target itself (harden execs it) or harden staying as its supervisor;
// then the target is the first process below it that no longer runs harden (below PID 1 of a
// PID namespace, too). A record whose launcher is gone is stale and removed by the next launch
// or `harden check --all`. Recording costs two small files before the first step; a launch that
// cannot record (no root, read-only /run) goes ahead without one, with a warning for root.
// Compiled wrappers (`harden compile`) do not record: check their targets with --wrapper.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "inspect/process_state.hpp"
#include "plan/plan.hpp"

namespace harden::inspect {

struct LaunchRecord {
  pid_t launcher = 0;
  uint64_t start_time = 0;
  FileId harden_exe;
  std::string policy;  // as given on the command line ("" for --plan)
  int seccomp_filters_before = 0;
  std::string plan_path;  // the sealed plan beside the record
};

// $HARDEN_STATE_DIR when set (tests), else /run/harden.
[[nodiscard]] std::string state_dir();

// Records the launch of the calling process; "" on success, else why not.
[[nodiscard]] std::string record_launch(const Plan& plan, const std::string& policy);

// Every record whose launcher still runs; stale records are removed. `problems` receives
// one line per record that could not be read.
[[nodiscard]] std::vector<LaunchRecord> live_launches(std::vector<std::string>& problems);

// The record of a launch whose launcher is `pid` or above `pid`, when there is one.
[[nodiscard]] std::optional<LaunchRecord> launch_of(pid_t pid,
                                                    const std::vector<LaunchRecord>& launches);

// The target processes of a launch (see above); empty when the launcher has no target yet.
[[nodiscard]] std::vector<pid_t> launch_targets(const LaunchRecord& record);

// Field 22 of /proc/PID/stat, 0 when the process is gone.
[[nodiscard]] uint64_t start_time_of(pid_t pid);

}  // namespace harden::inspect
