// File-descriptor layer: everything but stdio and the declared fds is closed, so nothing
// harden's caller leaked (sockets, files, a terminal) reaches the target.
#include <cerrno>

#include "enforcer/layers.hpp"

namespace harden::enforce::fds {

bool wanted(const PlanData&) {
  return true;
}

StepResult apply(const PlanData&, Sys& sys, ExecContext& ctx) {
  unsigned next = 3;
  for (const int fd : ctx.keep_fds) {  // sorted, all >= 3
    const auto keep = static_cast<unsigned>(fd);
    if (keep > next && sys.close_range(next, keep - 1) != 0) {
      return step_failed(
          errno, "close_range(" + std::to_string(next) + ", " + std::to_string(keep - 1) + ")");
    }
    next = keep + 1;
  }
  if (sys.close_range(next, ~0U) != 0) {
    return step_failed(errno, "close_range(" + std::to_string(next) + ", ~0)");
  }
  return {};
}

}  // namespace harden::enforce::fds
