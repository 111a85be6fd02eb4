// harden export --format FORMAT POLICY [--wrapper|--native] [-o FILE] [-- CMD...]
// One validated policy in another tool's language. The formats are a table: name, what it
// is, and the pure function (export/<format>.cpp) that writes it.
#include <unistd.h>

#include <array>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/commands.hpp"
#include "compiler/compile.hpp"
#include "export/export.hpp"
#include "policy/policy_reader.hpp"

namespace harden::cli {

namespace {

using ExportFunction = std::optional<std::string> (*)(const Policy&, const Plan&,
                                                      const ExportOptions&, Diagnostics&);

std::optional<std::string> write_apparmor(const Policy& policy, const Plan& plan,
                                          const ExportOptions&, Diagnostics&) {
  return export_apparmor_profile(policy, plan);
}

constexpr const char* kInstalledHarden = "/usr/bin/harden";  // the package's path

struct ExportFormat {
  std::string_view name;
  std::string_view help;
  ExportFunction write;
};

constexpr std::array<ExportFormat, 8> kFormats{{
    {"apparmor", "an AppArmor profile for apparmor_parser(8); name it in [lsm] apparmor_profile",
     write_apparmor},
    {"auditctl", "the [audit] rules as an audit.rules(7) file, for auditctl -R or augenrules",
     export_auditctl},
    {"k8s", "a Pod (--kind deployment: a Deployment) with the policy's securityContext",
     export_k8s},
    {"k8s-networkpolicy", "[network] as a Kubernetes NetworkPolicy for that Pod",
     export_k8s_network_policy},
    {"k8s-seccompprofile", "[seccomp] as a Security Profiles Operator SeccompProfile (v1beta1)",
     export_k8s_seccomp_profile},
    {"nft", "the [network] table as an nft -f script, exactly as harden loads it", export_nft},
    {"oci-seccomp", "the linux.seccomp JSON of runc, crun, Docker, Podman and Kubernetes",
     export_oci_seccomp},
    {"systemd", "a unit drop-in: --wrapper (ExecStart through harden, the default) or --native",
     export_systemd},
}};

std::string own_path() {
  char buffer[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return kInstalledHarden;
  return std::string(buffer, static_cast<size_t>(n));
}

// A path the package manager (or an administrator) installed: a unit may name it on every
// host. A build tree or a checkout is not, whatever machine the export runs on.
bool installed_path(const std::string& path) {
  for (const char* prefix : {"/usr/", "/opt/", "/etc/"}) {
    if (path.starts_with(prefix)) return true;
  }
  return false;
}

// The policy's path on the hosts: where it is, when that is an installed path; the same
// policy in the search path's directories (the package's library, /etc/harden/policies); else
// /etc/harden/policies/NAME, where the administrator is told to install it.
std::string host_policy_path(const std::string& policy, std::vector<std::string>& notes) {
  if (installed_path(policy)) return policy;
  const std::string name = std::filesystem::path(policy).filename();
  std::ifstream in(policy, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* dir : {"/etc/harden/policies/", "/usr/share/harden/policies/"}) {
    std::ifstream installed(dir + name, std::ios::binary);
    if (!installed) continue;
    const std::string other((std::istreambuf_iterator<char>(installed)),
                            std::istreambuf_iterator<char>());
    if (other == text) return dir + name;
  }
  notes.push_back("the policy as /etc/harden/policies/" + name + " (from " + policy +
                  "; --policy-path names another place)");
  return "/etc/harden/policies/" + name;
}

struct Options {
  std::string format;
  std::string policy;
  std::string output;
  bool wrapper = false;
  bool native = false;
  unsigned systemd_version = 252;
  std::string harden_path;
  std::string policy_path;
  std::string plan_path;
  std::string compiled_wrapper;
  std::string seccomp_profile;
  std::string name;
  std::string kind;
  std::string image;
  bool json = false;
};

int run_export(const Options& options, const Invocation& inv) {
  const auto format = std::ranges::find(kFormats, options.format, &ExportFormat::name);
  if (format == kFormats.end()) {
    std::vector<std::string_view> names;
    for (const ExportFormat& f : kFormats)
      names.push_back(f.name);
    std::fprintf(stderr, "harden export: unknown format '%s' (%s)\n", options.format.c_str(),
                 did_you_mean(options.format, names, "see harden export --help").c_str());
    return kUsageError;
  }
  if ((options.wrapper || options.native) && format->name != "systemd") {
    std::fprintf(stderr, "harden export: --wrapper and --native are for --format systemd\n");
    return kUsageError;
  }
  const bool kubernetes = format->name.starts_with("k8s");
  if (!kubernetes && (!options.name.empty() || options.json)) {
    std::fprintf(stderr, "harden export: --name and --json are for the k8s formats\n");
    return kUsageError;
  }
  if (format->name != "k8s" && (!options.kind.empty() || !options.image.empty())) {
    std::fprintf(stderr, "harden export: --kind and --image are for --format k8s\n");
    return kUsageError;
  }
  Diagnostics diags;
  std::optional<Policy> policy = read_policy(options.policy, diags);
  std::optional<Plan> plan;
  if (policy) plan = compile_policy(*policy, diags);
  if (!plan) {
    print_diagnostics(diags);
    std::fprintf(stderr, "harden export: %s is invalid; nothing exported\n",
                 options.policy.c_str());
    return kInvalidPolicy;
  }
  ExportOptions export_options;
  // --wrapper names paths on the hosts the unit is installed on: the installed harden and
  // policy, never a build tree's binary or a checkout's file.
  const std::string policy_here = std::filesystem::absolute(options.policy).lexically_normal();
  std::vector<std::string>& notes = export_options.install_notes;
  const bool by_policy = options.plan_path.empty() && options.compiled_wrapper.empty();
  export_options.policy_path = options.policy_path;
  if (by_policy && options.policy_path.empty()) {
    export_options.policy_path = host_policy_path(policy_here, notes);
  }
  export_options.harden_path = options.harden_path;
  if (export_options.harden_path.empty() && options.compiled_wrapper.empty()) {
    const std::string self = own_path();
    export_options.harden_path = installed_path(self) ? self : kInstalledHarden;
    if (!installed_path(self)) {
      notes.push_back(std::string("harden as ") + kInstalledHarden + " (this one, " + self +
                      ", is not installed; --harden-path names another place)");
    }
  }
  export_options.plan_path = options.plan_path;
  export_options.compiled_wrapper = options.compiled_wrapper;
  for (const std::string* path : {&options.policy_path, &options.harden_path, &options.plan_path,
                                  &options.compiled_wrapper}) {
    if (!path->empty() && !path->starts_with('/')) {
      std::fprintf(stderr, "harden export: '%s' is not an absolute path (a unit needs one)\n",
                   path->c_str());
      return kUsageError;
    }
  }
  if (!options.native && format->name == "systemd") {
    for (const std::string& note : notes)
      std::fprintf(stderr, "harden export: install %s\n", note.c_str());
  }
  export_options.command = inv.command;
  export_options.systemd_native = options.native;
  export_options.systemd_version = options.systemd_version;
  export_options.seccomp_profile = options.seccomp_profile;
  export_options.k8s_name = options.name;
  if (!options.kind.empty()) export_options.k8s_kind = options.kind;
  export_options.image = options.image;
  export_options.json = options.json;
  std::optional<std::string> text = format->write(*policy, *plan, export_options, diags);
  print_diagnostics(diags);
  if (!text) return 1;
  if (options.output.empty() || options.output == "-") {
    std::fputs(text->c_str(), stdout);
    return 0;
  }
  std::ofstream out(options.output, std::ios::trunc);
  out << *text;
  if (!out.flush()) {
    std::fprintf(stderr, "harden export: cannot write %s\n", options.output.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

Subcommand add_export_command(CLI::App& parent) {
  auto options = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "export",
      "Write a policy in another tool's format (systemd unit, OCI seccomp, Kubernetes, "
      "AppArmor, nftables, audit rules); exit 0, 1 when the policy is invalid or has nothing "
      "for the format, 2 on a usage error");
  std::string formats;
  for (const ExportFormat& f : kFormats) {
    formats += "\n  " + std::string(f.name) + ": " + std::string(f.help);
  }
  app->add_option("-f,--format", options->format, "Output format:" + formats)->required();
  app->add_option("policy", options->policy, "Policy file")->required()->check(CLI::ExistingFile);
  app->add_option("-o,--output", options->output, "Write here instead of standard output");
  auto* wrapper = app->add_flag("--wrapper", options->wrapper,
                                "systemd: ExecStart runs the target through harden (default)");
  app->add_flag("--native", options->native,
                "systemd: the policy as systemd's own directives, without harden")
      ->excludes(wrapper);
  app->add_option("--systemd-version", options->systemd_version,
                  "systemd --native: the oldest systemd version the unit runs on (default 252; "
                  "257 adds PrivatePIDs=)")
      ->check(CLI::Range(230u, 1000u));
  app->add_option("--harden-path", options->harden_path,
                  "systemd --wrapper: harden's path on the hosts (default: this binary when "
                  "installed under /usr, /opt or /etc, else /usr/bin/harden)");
  auto* policy_path = app->add_option(
      "--policy-path", options->policy_path,
      "systemd --wrapper: the policy's path on the hosts (default: where it is when installed, "
      "the same file in /etc/harden/policies or /usr/share/harden/policies, else "
      "/etc/harden/policies/NAME)");
  auto* plan_path = app->add_option("--plan-path", options->plan_path,
                                    "systemd --wrapper: run `harden --plan FILE` (a sealed plan "
                                    "from harden compile --plan-only) instead of the policy")
                        ->excludes(policy_path);
  app->add_option("--compiled", options->compiled_wrapper,
                  "systemd --wrapper: ExecStart runs this compiled wrapper (harden compile -o) "
                  "instead of harden")
      ->excludes(policy_path)
      ->excludes(plan_path);
  app->add_option("--seccomp-profile", options->seccomp_profile,
                  "k8s: localhostProfile path (default harden/NAME.json; "
                  "operator/NAME.json for a k8s-seccompprofile export)");
  app->add_option("--image", options->image, "k8s: the container image (required)");
  app->add_option("--kind", options->kind, "k8s: pod (default) or deployment")
      ->check(CLI::IsMember({"pod", "deployment"}));
  app->add_option("--name", options->name,
                  "k8s formats: object and container name (default: the policy name, '_' "
                  "as '-'; an RFC 1123 label)");
  app->add_flag("--json", options->json, "k8s formats: JSON instead of YAML");
  app->footer(
      "A command after -- replaces the policy's [exec] command in ExecStart.\n"
      "What a format cannot express is listed in the output and warned about.\n\n"
      "Examples:\n"
      "  harden export -f systemd --native web.toml > /etc/systemd/system/web.service.d/h.conf\n"
      "  harden export -f nft web.toml -o web.nft && nft -c -f web.nft && nft -f web.nft\n"
      "  harden export -f auditctl web.toml -o /etc/audit/rules.d/harden-web.rules\n"
      "  augenrules --load\n"
      "  harden export -f k8s-seccompprofile web.toml | kubectl apply -f -\n"
      "  harden export -f k8s --image registry.example/web:1 \\\n"
      "      --seccomp-profile operator/web.json web.toml | kubectl apply -f -\n"
      "  harden export -f k8s-networkpolicy web.toml | kubectl apply -f -");
  return {app, [options](const Invocation& inv) { return run_export(*options, inv); }};
}

}  // namespace harden::cli
