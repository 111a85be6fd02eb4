// Compiler-style diagnostics: "file:line:col: error: message", the source line, a caret and
// a hint. Every stage collects into one Diagnostics so the user sees all problems at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace harden {

struct SourcePos {
  std::string file;
  uint32_t line = 0;    // 1-based; 0 when the problem has no place in a file
  uint32_t column = 0;  // 1-based
};

enum class Severity { error, warning, note };

struct Diagnostic {
  Severity severity = Severity::error;
  SourcePos pos;
  std::string message;
  std::string hint;  // "did you mean 'open'?" or how to fix it; may be empty
};

// "error", "warning" or "note": the word in messages, JSON and SARIF levels.
std::string_view severity_name(Severity severity);

class Diagnostics {
 public:
  void error(SourcePos pos, std::string message, std::string hint = {});
  void warning(SourcePos pos, std::string message, std::string hint = {});
  void note(SourcePos pos, std::string message);

  bool has_errors() const { return error_count_ > 0; }
  size_t error_count() const { return error_count_; }
  const std::vector<Diagnostic>& all() const { return items_; }  // in the order found
  std::vector<Diagnostic> by_position() const;                   // in the order to show

  // The text of a file that parsed as a policy: only such a file's lines are ever quoted in
  // a message (a base that is really /etc/shadow must not end up in a CI log).
  void add_source(const std::string& file, std::string text);
  // Line `line` (1-based) of a file given to add_source(), or empty.
  std::string_view source_line(const std::string& file, uint32_t line) const;

 private:
  std::vector<Diagnostic> items_;
  size_t error_count_ = 0;
  std::map<std::string, std::shared_ptr<const std::string>, std::less<>> sources_;
};

// Renders one diagnostic with its source line (from `sources`, never read from disk again) and
// the token at the column underlined (^~~~). Without `sources` there is no excerpt.
std::string render_diagnostic(const Diagnostic& d, const Diagnostics& sources, bool colour = false);
std::string render_diagnostic(const Diagnostic& d, bool colour = false);
std::string render_all(const Diagnostics& diags, bool colour = false);

// `text` as it may be shown on a terminal: a control character (C0 but tab, DEL, C1) or a byte
// that is not part of UTF-8 becomes \xNN. What harden prints may come from a hostile policy (a
// user name written with \u001b escapes) or a hostile process (its comm, from the kernel's
// records): raw, it could erase the error just printed, fake an "ok" or retitle the window.
std::string printable(std::string_view text);
// The same for text of several lines: its line breaks are kept.
std::string printable_lines(std::string_view text);

// The closest candidate by edit distance, or empty when nothing is close enough to be a typo.
std::string_view nearest_name(std::string_view word, std::span<const std::string_view> candidates);
std::string_view nearest_name(std::string_view word, std::span<const std::string> candidates);

// "did you mean 'x'?" for the nearest candidate, or the fallback hint.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates,
                         std::string fallback = {});

}  // namespace harden
