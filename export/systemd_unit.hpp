// What the two systemd translations share (internal to export/): the drop-in being written,
// systemd's quoting rules, and small facts of the plan. systemd_wrapper.cpp writes the unit
// that runs harden; systemd_native.cpp (with systemd_syscalls.cpp for the filter) writes the
// policy in systemd.exec(5) directives.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "export/export.hpp"
#include "plan/plan.hpp"
#include "plan/seccomp_model.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden::systemd_unit {

// Collects the lines of the drop-in and what could not be translated (or only as a superset).
class DropIn {
 public:
  void line(std::string text) { lines_.push_back(std::move(text)); }
  void comment(std::string text) { lines_.push_back("# " + text); }
  // A part of the policy the unit does not enforce: a comment in the header and a warning.
  void missing(Diagnostics& diags, const SourcePos& pos, const std::string& what);
  // A condition the unit enforces only as a wider rule that still runs the service.
  void superset(Diagnostics& diags, const SourcePos& pos, const std::string& what);
  // Something systemd puts into the service's view that the plan's view does not have.
  void extra(Diagnostics& diags, const SourcePos& pos, const std::string& what);
  std::string text(const std::string& header) const;

 private:
  std::vector<std::string> lines_;
  std::vector<std::string> missing_;
  std::vector<std::string> superset_;
  std::vector<std::string> extra_;
};

// systemd.syntax(7) for command lines (ExecStart=): '%' and '$' doubled, quoted when needed.
std::string exec_quote(const std::string& word);
std::string command_line(const std::vector<std::string>& argv);
// Environment= assignments: quoted as Environment= reads them; '%' doubled (specifiers), '$'
// left alone (Environment= expands no variables).
std::string environment_quote(const std::string& assignment);

bool keeps(const PlanData& plan, int cap);
std::optional<uid_t> uid_of(const PlanData& plan);  // nullopt: the caller's (root under systemd)
void cgroup_directives(const PlanData& plan, DropIn& unit);
SourcePos source_pos(const PlanOrigin& origin);

// The constructed root's view (systemd_view.cpp): what it shows, for the directives that
// depend on it.
struct ViewFacts {
  bool constructed = false;  // a constructed root (not the host's, not a chroot)
  bool proc = false;         // a fresh /proc
  bool sys = false;          // /sys
  bool dev = false;          // the minimal /dev
  bool run = false;          // something at or under /run
  bool home = false;         // something under /home, /root or /run/user
  bool usr = false;          // /usr, read-only, and nothing writable under /usr, /boot, /efi
};
ViewFacts view_facts(const PlanData& plan);
// Whether the constructed root gets ProtectProc=/ProcSubset= with systemd's /proc and /sys
// covered by an empty inaccessible directory (a view with a minimal /dev, no /proc, no /sys).
bool covers_api_vfs(const PlanData& plan);
// TemporaryFileSystem=/:ro and the view's entries; false (with an error) when an entry has no
// directive.
bool view_mount_directives(const Policy& policy, const PlanData& plan, DropIn& unit,
                           Diagnostics& diags);

// [network] as IPAddressDeny=/IPAddressAllow= where they can say it (systemd_network.cpp);
// the rest named as not translated.
void network_directives(const Policy& policy, const PlanData& plan, DropIn& unit,
                        Diagnostics& diags);

// The syscall filter in systemd's words (systemd_syscalls.cpp): SystemCallFilter=,
// SystemCallErrorNumber=, SystemCallArchitectures=, and what the model's conditions imply.
struct SyscallFacts {
  bool filtered = false;                     // a filter exists and refuses something
  bool restrict_namespaces = false;          // no call can make or join a namespace
  bool lock_personality = false;             // personality() cannot change the persona
  bool no_sockets = false;                   // no socket() at all (nor socketcall, io_uring)
  std::vector<std::string> families;         // RestrictAddressFamilies= allow list (empty: none)
  std::vector<std::string> families_denied;  // RestrictAddressFamilies=~ (empty: none)
};
SyscallFacts syscall_directives(const Policy& policy, const SeccompModel& model, DropIn& unit,
                                Diagnostics& diags);
// Whether some call RestrictSUIDSGID= filters can give a file a set-user-ID or set-group-ID
// mode under the filter (when not, the unit gets RestrictSUIDSGID=yes).
bool allows_suid_sgid_mode(const SeccompModel& view);

std::string wrapper_unit(const Policy& policy, const PlanData& plan, const ExportOptions& options,
                         const SeccompModel* model, const std::vector<std::string>& command,
                         Diagnostics& diags);
std::optional<std::string> native_unit(const Policy& policy, const PlanData& plan,
                                       const SeccompModel& model, const ExportOptions& options,
                                       const std::vector<std::string>& command, Diagnostics& diags);

}  // namespace harden::systemd_unit
