// Shared by the kernel tests that install audit rules.
#pragma once

#include <string>
#include <utility>

#include "enforcer/host.hpp"

namespace harden::test {

// Removes a policy's audit rules (key harden:NAME) whatever happens in the test.
class AuditRulesGuard {
 public:
  explicit AuditRulesGuard(std::string name) : name_(std::move(name)) {}
  ~AuditRulesGuard() { (void)harden::host::audit_remove_owned("harden:" + name_); }
  AuditRulesGuard(const AuditRulesGuard&) = delete;
  AuditRulesGuard& operator=(const AuditRulesGuard&) = delete;

 private:
  std::string name_;
};

}  // namespace harden::test
