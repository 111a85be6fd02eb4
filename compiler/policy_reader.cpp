#include "compiler/policy_reader.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "compiler/sections.hpp"
#include "compiler/toml_section.hpp"

namespace harden {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxExtendsDepth = 16;

// Merge rules for `extends` (documented in harden.toml(5)): tables merge key by key,
// arrays of tables (e.g. [[seccomp.rule]]) are appended, the lists in kMergedLists are
// appended too, and every other value (strings, numbers, plain arrays such as seccomp.allow)
// from the extending file replaces the base's.
bool is_array_of_tables(const toml::node& node) {
  const auto* array = node.as_array();
  return array && !array->empty() && array->is_array_of_tables();
}

// Plain lists that add up across `extends` instead of replacing: a child that writes its own
// deny list must not silently take back what its base refused. Taking a base's entry back is
// an explicit key of its own (seccomp.reopen), which lint reports.
constexpr std::string_view kMergedLists[] = {"seccomp.deny"};

bool merges_as_list(std::string_view path, const toml::node& base, const toml::node& overlay) {
  return base.is_array() && overlay.is_array() &&
         std::ranges::find(kMergedLists, path) != std::end(kMergedLists);
}

void merge_into(toml::table& base, toml::table&& overlay, const std::string& prefix = {}) {
  for (auto&& [key, value] : overlay) {
    const std::string path =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    toml::node* existing = base.get(key);
    if (existing && existing->is_table() && value.is_table()) {
      merge_into(*existing->as_table(), std::move(*value.as_table()), path);
    } else if (existing && ((is_array_of_tables(*existing) && is_array_of_tables(value)) ||
                            merges_as_list(path, *existing, value))) {
      auto& into = *existing->as_array();
      for (auto&& element : *value.as_array())
        element.visit([&into](auto&& node) { into.push_back(std::move(node)); });
    } else {
      // Moving (not copying) keeps toml++'s source positions, so messages point into the
      // file that actually wrote the value.
      base.insert_or_assign(key, std::move(value));
    }
  }
}

class Loader {
 public:
  explicit Loader(Diagnostics& diags) : diags_(diags) {}

  std::optional<toml::table> load_file(const std::string& path, SourcePos included_from) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(path, ec);
    const std::string key = ec ? path : canonical.string();
    if (std::find(stack_.begin(), stack_.end(), key) != stack_.end()) {
      std::string cycle;
      for (const auto& f : stack_)
        cycle += f + " -> ";
      diags_.error(included_from, "'extends' cycle: " + cycle + key,
                   "remove one of the 'extends' entries so the chain ends");
      return std::nullopt;
    }
    if (stack_.size() >= kMaxExtendsDepth) {
      diags_.error(included_from, "'extends' chain is deeper than 16 files");
      return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      diags_.error(included_from.file.empty() ? SourcePos{path, 0, 0} : included_from,
                   "cannot read policy file '" + path + "': " + std::strerror(errno),
                   "check the path and its permissions");
      return std::nullopt;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    return load_text(buffer.str(), path, key);
  }

  std::optional<toml::table> load_text(const std::string& text, const std::string& name,
                                       const std::string& key) {
    toml::table table;
    try {
      table = toml::parse(text, name);
    } catch (const toml::parse_error& err) {
      diags_.error(pos_of(err.source()), std::string(err.description()),
                   "see harden.toml(5) for the policy syntax");
      return std::nullopt;
    }
    chain_.push_back(name);
    stack_.push_back(key);
    std::optional<toml::table> merged = resolve_extends(std::move(table), name);
    stack_.pop_back();
    return merged;
  }

  const std::vector<std::string>& chain() const { return chain_; }

 private:
  std::optional<toml::table> resolve_extends(toml::table table, const std::string& name) {
    toml::node* policy = table.get("policy");
    toml::node* extends =
        policy && policy->is_table() ? policy->as_table()->get("extends") : nullptr;
    if (!extends) return table;
    const auto* list = extends->as_array();
    if (!list) {
      diags_.error(pos_of(*extends),
                   "'policy.extends' must be an array of file names, not " +
                       std::string(toml_type_name(*extends)),
                   "write extends = [\"base.toml\"]");
      return std::nullopt;
    }
    toml::table merged;
    bool ok = true;
    const fs::path dir = fs::path(name).parent_path();
    for (const toml::node& element : *list) {
      const auto* file = element.as_string();
      if (!file) {
        diags_.error(pos_of(element), "'policy.extends' entries must be strings");
        ok = false;
        continue;
      }
      const fs::path base_path =
          fs::path(file->get()).is_absolute() ? fs::path(file->get()) : dir / file->get();
      std::optional<toml::table> base = load_file(base_path.string(), pos_of(element));
      if (!base) {
        ok = false;
        continue;
      }
      merge_into(merged, std::move(*base));
    }
    if (!ok) return std::nullopt;
    policy->as_table()->erase("extends");
    merge_into(merged, std::move(table));
    return merged;
  }

  Diagnostics& diags_;
  std::vector<std::string> stack_;  // canonical paths being loaded, for cycle detection
  std::vector<std::string> chain_;  // every file read, in order
};

std::optional<Policy> parse_sections(toml::table& merged, const std::string& file,
                                     std::vector<std::string> chain, Diagnostics& diags) {
  const size_t errors_before = diags.error_count();
  Policy policy;
  policy.file = file;
  std::reverse(chain.begin(), chain.end());  // base first
  policy.meta.extends_chain = std::move(chain);
  std::vector<std::string_view> names;
  for (const auto& section : policy_sections())
    names.push_back(section.name);

  for (auto&& [key, value] : merged) {
    const auto sections = policy_sections();
    const auto it = std::find_if(sections.begin(), sections.end(),
                                 [&](const SectionEntry& s) { return s.name == key.str(); });
    if (it == sections.end()) {
      diags.error(pos_of(key.source()), "unknown section [" + std::string(key.str()) + "]",
                  did_you_mean(key.str(), names, "see harden.toml(5) for the sections"));
      continue;
    }
    if (!value.is_table()) {
      diags.error(pos_of(value), "'" + std::string(key.str()) + "' must be a table ([" +
                                     std::string(key.str()) + "]), not " +
                                     std::string(toml_type_name(value)));
      continue;
    }
    policy.meta.sections.emplace(std::string(key.str()), pos_of(value));
    it->parse(*value.as_table(), policy, diags);
  }
  if (policy.meta.name.value.empty() && diags.error_count() == errors_before) {
    diags.error(SourcePos{file, 1, 1}, "the policy has no name",
                "add [policy] name = \"...\"; it names the nftables table and audit keys");
  }
  if (diags.error_count() > errors_before) return std::nullopt;
  return policy;
}

}  // namespace

std::optional<Policy> read_policy(const std::string& path, Diagnostics& diags) {
  Loader loader(diags);
  std::optional<toml::table> merged = loader.load_file(path, SourcePos{});
  if (!merged) return std::nullopt;
  return parse_sections(*merged, path, loader.chain(), diags);
}

std::optional<Policy> read_policy_text(const std::string& text, const std::string& name,
                                       Diagnostics& diags) {
  Loader loader(diags);
  std::optional<toml::table> merged = loader.load_text(text, name, name);
  if (!merged) return std::nullopt;
  return parse_sections(*merged, name, loader.chain(), diags);
}

}  // namespace harden
