// Each subcommand lives in its own file and registers itself in main.cpp's table.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "policy/diagnostics.hpp"

namespace harden::cli {

inline constexpr int kUsageError = 2;
// An invalid policy stops every subcommand with the launch's code (125, harden(1) EXIT STATUS):
// a script can tell "the policy is wrong" from "the tool found something" (lint's 1) and from
// "the target exited with N" the same way whatever subcommand it ran.
inline constexpr int kInvalidPolicy = 125;

struct Invocation {
  std::vector<std::string> command;  // everything after the first "--", never parsed
};

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int(const Invocation&)> run;
};

using Registrar = Subcommand (*)(CLI::App& parent);

Subcommand add_run_command(CLI::App& parent);
Subcommand add_validate_command(CLI::App& parent);
Subcommand add_steps_command(CLI::App& parent);
Subcommand add_compile_command(CLI::App& parent);
Subcommand add_export_command(CLI::App& parent);
Subcommand add_import_command(CLI::App& parent);
Subcommand add_down_command(CLI::App& parent);
Subcommand add_status_command(CLI::App& parent);
Subcommand add_lint_command(CLI::App& parent);
Subcommand add_check_command(CLI::App& parent);
Subcommand add_explain_command(CLI::App& parent);
Subcommand add_denials_command(CLI::App& parent);
Subcommand add_learn_command(CLI::App& parent);

// What to launch under: a policy (compiled now) or a sealed plan (harden compile --plan-only).
struct LaunchRequest {
  std::string policy;
  std::string plan;
  bool supervise = false;
};

// Adds --policy, --plan and --supervise to a launching command (run, and the short form).
void add_launch_options(CLI::App& app, LaunchRequest& request);

// The launch itself, shared by `harden run` and the short form `harden --policy P -- CMD`.
int launch(const LaunchRequest& request, const std::vector<std::string>& command);

// Diagnostics to stderr, coloured only on a terminal.
void print_diagnostics(const Diagnostics& diags);

}  // namespace harden::cli
