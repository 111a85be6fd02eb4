#include "policy/policy_reader.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "policy/policy_files.hpp"
#include "policy/sections.hpp"
#include "policy/toml_section.hpp"

namespace harden {

namespace {

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

struct Unparsable {
  size_t offset = 0;
  std::string what;
  std::string hint = "see harden.toml(5) for the policy syntax";
};

// toml++ 3.3 (Debian 12) classifies these code points as whitespace or not by reaching
// __builtin_unreachable: undefined behaviour wherever its parser asks, which is not only
// between tokens (found by the fuzzers). Until a fixed toml++, a policy may not hold them.
bool toml_mishandles(char32_t c) {
  return (c >= 0xA1 && c <= 0x499) || (c >= 0x2D6E && c <= 0x3167 && c != 0x3000) ||
         (c >= 0xFB46 && c <= 0xFEFE);
}

// The first byte toml++ must not see: a NUL (never valid TOML; a toml++ debug assertion) or a
// character toml_mishandles(); nullopt when there is none.
std::optional<Unparsable> first_unparsable(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\0') {
      return Unparsable{i, "a NUL byte: this is not a policy (policies are TOML text)"};
    }
    char32_t c = 0;
    if (byte(i) >= 0xC0 && byte(i) < 0xE0 && i + 1 < text.size()) {
      c = static_cast<char32_t>(((byte(i) & 0x1F) << 6) | (byte(i + 1) & 0x3F));
    } else if (byte(i) >= 0xE0 && byte(i) < 0xF0 && i + 2 < text.size()) {
      c = static_cast<char32_t>(((byte(i) & 0x0F) << 12) | ((byte(i + 1) & 0x3F) << 6) |
                                (byte(i + 2) & 0x3F));
    }
    if (c != 0 && toml_mishandles(c)) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
      return Unparsable{
          i,
          std::string("the character ") + code +
              ", which the TOML library harden is built with cannot read safely",
          std::string("in a \"basic string\" write it as \\u") + (code + 2) +
              "; elsewhere (U+00A1-U+0499, U+2D6E-U+3167, U+FB46-U+FEFE) leave it out"};
    }
  }
  return std::nullopt;
}

class Loader {
 public:
  Loader(Diagnostics& diags, PolicyFileSystem& files, std::vector<std::string> search_path)
      : diags_(diags), resolver_(files, std::move(search_path)) {}

  std::optional<toml::table> load_main(const std::string& path) {
    auto source = resolver_.open_main(path);
    if (!source) {
      diags_.error(SourcePos{path, 0, 0},
                   "cannot read policy file '" + path + "': " + source.error(),
                   "name a regular policy file of at most 1 MiB");
      return std::nullopt;
    }
    return load(std::move(*source));
  }

  std::optional<toml::table> load_text(std::string text, const std::string& name) {
    return load(resolver_.adopt_text(std::move(text), name));
  }

  const std::vector<std::string>& chain() const { return chain_; }

 private:
  std::optional<toml::table> load(PolicySource source) {
    // What toml++ 3.3 mishandles is refused first, with its position and unquoted (see
    // first_unparsable). Found by the policy_reader and extends_resolver fuzzers.
    if (const auto bad = first_unparsable(source.text)) {
      const std::string_view before = std::string_view(source.text).substr(0, bad->offset);
      const size_t line_start = before.rfind('\n');
      const auto line = static_cast<uint32_t>(std::count(before.begin(), before.end(), '\n') + 1);
      const auto column = static_cast<uint32_t>(
          bad->offset - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1);
      diags_.error(SourcePos{source.name, line, column}, bad->what, bad->hint);
      return std::nullopt;
    }
    toml::table table;
    try {
      table = toml::parse(source.text, source.name);
    } catch (const toml::parse_error& err) {
      // No excerpt: a file that is not a policy is never quoted (it may be a secret).
      diags_.error(pos_of(err.source()), std::string(err.description()),
                   "see harden.toml(5) for the policy syntax");
      return std::nullopt;
    }
    diags_.add_source(source.name, source.text);
    source.text.clear();
    chain_.push_back(source.name);
    stack_.push_back(source.key);
    std::optional<toml::table> merged = resolve_extends(std::move(table), source);
    stack_.pop_back();
    return merged;
  }

  std::optional<toml::table> load_base(const std::string& entry, const PolicySource& from,
                                       SourcePos included_from) {
    if (stack_.size() >= kMaxExtendsDepth) {
      diags_.error(included_from, "'extends' chain is deeper than 16 files");
      return std::nullopt;
    }
    auto source = resolver_.open_base(entry, from);
    if (!source) {
      diags_.error(included_from, "cannot read base policy '" + entry + "': " + source.error(),
                   "a base must be a regular file (at most 1 MiB) in this policy's directory "
                   "tree or in the search path (HARDEN_POLICY_PATH, default " +
                       std::string(kDefaultPolicySearchPath) + "); see harden.toml(5)");
      return std::nullopt;
    }
    if (std::find(stack_.begin(), stack_.end(), source->key) != stack_.end()) {
      std::string cycle;
      for (const auto& f : stack_)
        cycle += f + " -> ";
      diags_.error(included_from, "'extends' cycle: " + cycle + source->key,
                   "remove one of the 'extends' entries so the chain ends");
      return std::nullopt;
    }
    return load(std::move(*source));
  }

  std::optional<toml::table> resolve_extends(toml::table table, const PolicySource& from) {
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
    for (const toml::node& element : *list) {
      const auto* file = element.as_string();
      if (!file) {
        diags_.error(pos_of(element), "'policy.extends' entries must be strings");
        ok = false;
        continue;
      }
      std::optional<toml::table> base = load_base(file->get(), from, pos_of(element));
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
  PolicyResolver resolver_;
  std::vector<std::string> stack_;  // keys of the files being loaded, for cycle detection
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
  RealPolicyFileSystem files;
  return read_policy(path, diags, files, policy_search_path_from_environment());
}

std::optional<Policy> read_policy(const std::string& path, Diagnostics& diags,
                                  PolicyFileSystem& files, std::vector<std::string> search_path) {
  Loader loader(diags, files, std::move(search_path));
  std::optional<toml::table> merged = loader.load_main(path);
  if (!merged) return std::nullopt;
  return parse_sections(*merged, path, loader.chain(), diags);
}

std::optional<Policy> read_policy_text(const std::string& text, const std::string& name,
                                       Diagnostics& diags) {
  RealPolicyFileSystem files;
  return read_policy_text(text, name, diags, files, policy_search_path_from_environment());
}

std::optional<Policy> read_policy_text(const std::string& text, const std::string& name,
                                       Diagnostics& diags, PolicyFileSystem& files,
                                       std::vector<std::string> search_path) {
  Loader loader(diags, files, std::move(search_path));
  std::optional<toml::table> merged = loader.load_text(text, name);
  if (!merged) return std::nullopt;
  return parse_sections(*merged, name, loader.chain(), diags);
}

}  // namespace harden
