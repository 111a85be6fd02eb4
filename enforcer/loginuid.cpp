// Loginuid layer: the audit login uid (/proc/self/loginuid) is settled before the target runs,
// so the target cannot choose whom its audit records name. Services start with it unset, and
// the kernel lets a task whose loginuid is unset set it once without any privilege: a nobody
// target could otherwise write 1000 and have its records attributed to that user.
//
//   unset: harden writes the target's uid (the plan's, or its own when the policy keeps the
//          caller's ids). From then on only CAP_AUDIT_CONTROL in the initial user namespace
//          may change it, which the target does not hold unless the policy keeps it.
//   set:   harden writes the same value again when it may (CAP_AUDIT_CONTROL, loginuid not
//          immutable), so the login user stays the one who started it. A kernel that refuses
//          (EPERM: no CAP_AUDIT_CONTROL, e.g. rootless, or audit's loginuid_immutable) refuses
//          the target too, so it is left as it is.
//
// Every successful write also gives the process a fresh audit session id
// (/proc/self/sessionid), inherited by the supervisor and the target across the session
// step's fork: the kernel's audit records of this launch (SECCOMP records included) carry it,
// which is how they are told apart from other launches'. A loginuid that is set and may not
// be rewritten keeps the caller's session id.
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "enforcer/layers.hpp"

namespace harden::enforce::loginuid {

namespace {

constexpr const char* kLoginuid = "/proc/self/loginuid";
constexpr uint32_t kUnset = static_cast<uint32_t>(-1);  // AUDIT_UID_UNSET

std::optional<uint32_t> parse(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.remove_suffix(1);
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::expected<uint32_t, StepError> read_loginuid(Sys& sys) {
  std::string text;
  if (sys.read_file(kLoginuid, text) != 0) {
    return std::unexpected(StepError{errno, std::string("reading ") + kLoginuid});
  }
  const std::optional<uint32_t> value = parse(text);
  if (!value) {
    return std::unexpected(
        StepError{0, std::string(kLoginuid) + " holds '" + text + "', not a number"});
  }
  return *value;
}

}  // namespace

// Every launch: the target must never be able to pick its loginuid, whatever the policy.
bool wanted(const PlanData&) {
  return true;
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext&) {
  const std::expected<uint32_t, StepError> current = read_loginuid(sys);
  if (!current) {
    // No such file while /proc is there: a kernel without audit syscall support, where no
    // task (the target included) has a loginuid to set. Without /proc harden cannot know.
    std::string status;
    if (current.error().error == ENOENT && sys.read_file("/proc/self/status", status) == 0) {
      return {};
    }
    return std::unexpected(current.error());
  }
  const uint32_t value = *current != kUnset            ? *current
                         : plan.credentials.change_ids ? plan.credentials.uid
                                                       : static_cast<uint32_t>(sys.geteuid());
  if (value == kUnset) {
    return step_failed(EINVAL, "the target's uid is (uid_t)-1, which cannot be a loginuid");
  }
  const std::string text = std::to_string(value);
  if (sys.write_file(kLoginuid, text) != 0) {
    const int error = errno;
    if (*current != kUnset && error == EPERM) return {};  // set, and unchangeable for all
    return step_failed(error, std::string("writing ") + text + " to " + kLoginuid +
                                  (*current == kUnset ? " (it was unset)" : ""));
  }
  const std::expected<uint32_t, StepError> now = read_loginuid(sys);
  if (!now) return std::unexpected(now.error());
  if (*now != value) {
    return step_failed(0, "read back: " + std::string(kLoginuid) + " is " + std::to_string(*now) +
                              " after writing " + text);
  }
  return {};
}

}  // namespace harden::enforce::loginuid
