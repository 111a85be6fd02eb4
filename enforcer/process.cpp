// Process attributes that are one call each: umask, no_new_privs, working directory.
#include <sys/prctl.h>

#include <cerrno>

#include "enforcer/layers.hpp"

namespace harden::enforce {

namespace umask {
bool wanted(const PlanData& plan) {
  return plan.exec.umask.has_value();
}
StepResult apply(const PlanData& plan, Sys& sys, ExecContext&) {
  sys.umask(*plan.exec.umask);  // cannot fail
  return {};
}
}  // namespace umask

namespace no_new_privs {
bool wanted(const PlanData& plan) {
  return plan.no_new_privs;
}
StepResult apply(const PlanData&, Sys& sys, ExecContext&) {
  if (sys.prctl(PR_SET_NO_NEW_PRIVS, 1) != 0)
    return step_failed(errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  return {};
}
}  // namespace no_new_privs

namespace working_directory {
bool wanted(const PlanData& plan) {
  return !plan.exec.working_directory.empty();
}
StepResult apply(const PlanData& plan, Sys& sys, ExecContext&) {
  const std::string& dir = plan.exec.working_directory;
  if (sys.chdir(dir.c_str()) != 0) return step_failed(errno, "chdir(" + dir + ")");
  return {};
}
}  // namespace working_directory

}  // namespace harden::enforce
