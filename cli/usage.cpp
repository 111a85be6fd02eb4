// Reads harden's own arguments the way CLI11 does (options, their values, subcommand names)
// only to explain a command line CLI11 refused; it never decides what harden runs.
#include "cli/usage.hpp"

#include <cstdio>
#include <optional>
#include <string_view>

#include "policy/diagnostics.hpp"

namespace harden::cli {

namespace {

// The subcommands that launch a target (their command follows "--"): a failure to read their
// command line exits 125, like a failed launch.
bool launches(std::string_view subcommand) {
  return subcommand == "run" || subcommand == "learn";
}

// The option `token` names ("--policy", "--policy=x", "-p", "-pFILE") in `app`, if any.
const CLI::Option* find_option(const CLI::App& app, std::string_view token) {
  for (const CLI::Option* option : app.get_options()) {
    if (token.starts_with("--")) {
      const std::string_view name = token.substr(2, token.find('=') - 2);
      for (const std::string& long_name : option->get_lnames())
        if (long_name == name) return option;
    } else if (token.size() >= 2) {
      for (const std::string& short_name : option->get_snames())
        if (short_name == token.substr(1, 1)) return option;
    }
  }
  return nullptr;
}

bool takes_value(const CLI::Option& option) {
  return option.get_type_size_max() > 0;
}

// The value is in the same token: --policy=FILE, -pFILE.
bool value_attached(std::string_view token) {
  return token.starts_with("--") ? token.find('=') != std::string_view::npos : token.size() > 2;
}

bool is_option_token(std::string_view token) {
  return token.size() >= 2 && token.front() == '-';
}

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& name : option->get_lnames())
      names.push_back("--" + name);
    for (const std::string& name : option->get_snames())
      names.push_back("-" + name);
  }
  return names;
}

std::vector<std::string> subcommand_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

CLI::App* find_subcommand(CLI::App& app, std::string_view name) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->get_name() == name) return sub;
  return nullptr;
}

bool has_positionals(const CLI::App& app) {
  return !app.get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
}

std::string shell_quoted(std::string_view word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`*?;&|<>()[]{}!#~") == std::string_view::npos)
    return std::string(word);
  std::string out = "'";
  for (const char c : word)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string joined(const std::vector<std::string>& words, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i)
    out += (out.empty() ? "" : " ") + shell_quoted(words[i]);
  return out;
}

std::string command_name(const CLI::App* sub) {
  return sub ? "harden " + sub->get_name() : "harden";
}

// One pass over the arguments. The hints stop at the first word that must be the target's
// command: what follows it is the target's, not harden's.
struct Reading {
  CLI::App* subcommand = nullptr;
  std::vector<std::string> hints;
};

Reading read_arguments(CLI::App& app, const CommandLine& line) {
  Reading reading;
  const std::vector<std::string>& args = line.own_args;
  bool launch_option_seen = false;  // --policy or --plan in the short form
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& token = args[i];
    CLI::App& context = reading.subcommand ? *reading.subcommand : app;
    if (is_option_token(token)) {
      if (const CLI::Option* option = find_option(context, token)) {
        if (!reading.subcommand && (option->check_lname("policy") || option->check_lname("plan")))
          launch_option_seen = true;
        if (takes_value(*option) && !value_attached(token)) ++i;
        continue;
      }
      const std::string name = token.substr(0, token.find('='));
      const std::vector<std::string> candidates = option_names(context);
      const std::string_view nearest = nearest_name(name, candidates);
      if (!nearest.empty()) {
        reading.hints.push_back("unknown option '" + name + "' of " +
                                command_name(reading.subcommand) + ": did you mean '" +
                                std::string(nearest) + "'?");
        const CLI::Option* meant = find_option(context, nearest);
        if (meant && takes_value(*meant) && !value_attached(token)) ++i;
      } else {
        reading.hints.push_back("unknown option '" + name + "' of " +
                                command_name(reading.subcommand) + "; its options are in '" +
                                command_name(reading.subcommand) + " --help'");
      }
      continue;
    }
    // A word that is neither an option nor an option's value.
    if (!reading.subcommand) {
      if (CLI::App* sub = find_subcommand(app, token); sub && !launch_option_seen) {
        reading.subcommand = sub;
        continue;
      }
      if (!launch_option_seen) {
        const std::vector<std::string> names = subcommand_names(app);
        const std::string_view nearest = nearest_name(token, names);
        if (!nearest.empty()) {
          reading.hints.push_back("unknown command '" + token + "': did you mean 'harden " +
                                  std::string(nearest) + "'?");
        } else {
          std::string list;
          for (const std::string& name : names)
            list += (list.empty() ? "" : ", ") + name;
          reading.hints.push_back("unknown command '" + token + "' (the commands are " + list +
                                  "); to run it under a policy: harden --policy FILE -- " +
                                  joined(args, i, args.size()));
        }
        return reading;
      }
    } else if (has_positionals(*reading.subcommand)) {
      continue;  // a file or name the subcommand takes
    } else if (!launches(reading.subcommand->get_name())) {
      reading.hints.push_back("'" + command_name(reading.subcommand) +
                              "' takes no argument such as '" + token + "'");
      return reading;
    }
    // The target's command, without the "--" that must come before it.
    if (line.has_separator) {
      reading.hints.push_back("'" + token + "' is not an argument of " +
                              command_name(reading.subcommand) +
                              "; the target's whole command goes after '--'");
    } else {
      const std::string before = joined(args, 0, i);
      reading.hints.push_back("the target's command must follow '--': harden " + before +
                              (before.empty() ? "" : " ") + "-- " + joined(args, i, args.size()));
    }
    return reading;
  }
  return reading;
}

}  // namespace

std::string named_subcommand(CLI::App& app, const CommandLine& line) {
  const Reading reading = read_arguments(app, line);
  return reading.subcommand ? reading.subcommand->get_name() : std::string();
}

bool may_be_launch(CLI::App& app, const CommandLine& line) {
  const std::string name = named_subcommand(app, line);
  return name.empty() || launches(name);
}

std::vector<std::string> usage_hints(CLI::App& app, const CommandLine& line) {
  return read_arguments(app, line).hints;
}

void print_usage_error(CLI::App& app, const CommandLine& line, const CLI::ParseError& error) {
  const Reading reading = read_arguments(app, line);
  // CLI11's list of unexpected words (in reverse order, as harden gave them) says less than the
  // hints; any other message of CLI11's (a missing file, a value out of range) comes first.
  const bool extras = dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr;
  if (!extras || reading.hints.empty()) std::fprintf(stderr, "harden: %s\n", error.what());
  for (const std::string& hint : reading.hints)
    std::fprintf(stderr, "harden: %s\n", hint.c_str());
  std::fprintf(stderr, "Run '%s --help' for more information.\n",
               command_name(reading.subcommand).c_str());
}

}  // namespace harden::cli
