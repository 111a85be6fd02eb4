// Internal: the check functions of the lint catalog (lint/lint_catalog.cpp), one file per
// layer they look at. Each appends findings; none reports the rule id of another.
#pragma once

#include <vector>

#include "lint/lint.hpp"

namespace harden::lint {

// lint_rules_seccomp.cpp
void check_seccomp_missing(const LintInput& in, std::vector<LintFinding>& out);
void check_seccomp_default_permissive(const LintInput& in, std::vector<LintFinding>& out);
void check_dangerous_syscalls(const LintInput& in, std::vector<LintFinding>& out);
void check_seccomp_reopen(const LintInput& in, std::vector<LintFinding>& out);
void check_foreign_architectures(const LintInput& in, std::vector<LintFinding>& out);

// lint_rules_process.cpp
void check_dangerous_capabilities(const LintInput& in, std::vector<LintFinding>& out);
void check_runs_as_root(const LintInput& in, std::vector<LintFinding>& out);
void check_no_new_privileges(const LintInput& in, std::vector<LintFinding>& out);
void check_limits(const LintInput& in, std::vector<LintFinding>& out);
void check_filesystem(const LintInput& in, std::vector<LintFinding>& out);
void check_environment(const LintInput& in, std::vector<LintFinding>& out);
void check_umask(const LintInput& in, std::vector<LintFinding>& out);
void check_new_session(const LintInput& in, std::vector<LintFinding>& out);

// lint_rules_isolation.cpp
void check_ipc_host(const LintInput& in, std::vector<LintFinding>& out);
void check_network(const LintInput& in, std::vector<LintFinding>& out);
void check_writable_executable(const LintInput& in, std::vector<LintFinding>& out);
void check_landlock(const LintInput& in, std::vector<LintFinding>& out);
void check_exec_lock(const LintInput& in, std::vector<LintFinding>& out);
void check_exec_lock_interpreter(const LintInput& in, std::vector<LintFinding>& out);

// lint_rules_sensitive.cpp
void check_sensitive_paths(const LintInput& in, std::vector<LintFinding>& out);

}  // namespace harden::lint
