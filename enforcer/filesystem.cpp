// Filesystem layer: the classic chroot. (A constructed root with pivot_root belongs here too.)
#include <cerrno>

#include "enforcer/layers.hpp"

namespace harden::enforce::filesystem {

bool wanted(const PlanData& plan) {
  return !plan.filesystem.chroot.empty();
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext&) {
  const std::string& root = plan.filesystem.chroot;
  // chdir into the jail first and chroot("."), then chdir("/"): the cwd can never be left
  // pointing outside the new root.
  if (sys.chdir(root.c_str()) != 0) return step_failed(errno, "chdir(" + root + ")");
  if (sys.chroot(".") != 0) return step_failed(errno, "chroot(" + root + ")");
  if (sys.chdir("/") != 0) return step_failed(errno, "chdir(\"/\") inside the chroot");
  return {};
}

}  // namespace harden::enforce::filesystem
