#include "policy/diagnostics.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

namespace harden {

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::note:
      return "note";
  }
  return "error";
}

void Diagnostics::error(SourcePos pos, std::string message, std::string hint) {
  items_.push_back({Severity::error, std::move(pos), std::move(message), std::move(hint)});
  ++error_count_;
}

void Diagnostics::warning(SourcePos pos, std::string message, std::string hint) {
  items_.push_back({Severity::warning, std::move(pos), std::move(message), std::move(hint)});
}

void Diagnostics::note(SourcePos pos, std::string message) {
  items_.push_back({Severity::note, std::move(pos), std::move(message), {}});
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

template <typename Range>
std::string_view nearest_in(std::string_view word, const Range& candidates) {
  // A truncated name (CAP_NET_BIND, clock_get) is many edits from the one it starts, but
  // names it exactly when no other candidate starts the same way.
  if (word.size() >= 3) {
    std::string_view only;
    size_t starting = 0;
    for (const auto& candidate : candidates) {
      const std::string_view name(candidate);
      if (name.size() > word.size() && name.starts_with(word) && ++starting == 1) only = name;
    }
    if (starting == 1) return only;
  }
  std::string_view best;
  size_t best_distance = SIZE_MAX;
  for (const auto& candidate : candidates) {
    const size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  // A typo is a few keystrokes away; anything further is a different word.
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  return best_distance <= limit ? best : std::string_view{};
}

}  // namespace

void Diagnostics::add_source(const std::string& file, std::string text) {
  sources_.insert_or_assign(file, std::make_shared<const std::string>(std::move(text)));
}

std::string_view Diagnostics::source_line(const std::string& file, uint32_t line) const {
  const auto it = sources_.find(file);
  if (it == sources_.end() || line == 0) return {};
  std::string_view text = *it->second;
  for (uint32_t n = 1; n < line; ++n) {
    const size_t newline = text.find('\n');
    if (newline == std::string_view::npos) return {};
    text.remove_prefix(newline + 1);
  }
  text = text.substr(0, text.find('\n'));
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

namespace {

// The length of the TOML token that starts at `column` (1-based) of `line`, so the whole of it
// is underlined: a quoted string to its closing quote, an array or inline table to its closing
// bracket on the same line, a bare key, number or word to the next separator. At least 1.
size_t token_length(std::string_view line, uint32_t column) {
  if (column == 0 || column > line.size()) return 1;
  const size_t start = column - 1;
  const char first = line[start];
  if (first == '"' || first == '\'') {
    for (size_t i = start + 1; i < line.size(); ++i) {
      if (first == '"' && line[i] == '\\') {
        ++i;  // an escape: the next character cannot close the string
      } else if (line[i] == first) {
        return i - start + 1;
      }
    }
    return line.size() - start;
  }
  if (first == '[' || first == '{') {
    const char close = first == '[' ? ']' : '}';
    int depth = 0;
    char quote = 0;
    for (size_t i = start; i < line.size(); ++i) {
      const char c = line[i];
      if (quote) {
        if (quote == '"' && c == '\\')
          ++i;
        else if (c == quote)
          quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == first) {
        ++depth;
      } else if (c == close && --depth == 0) {
        return i - start + 1;
      }
    }
    return 1;  // closes on a later line: the caret alone
  }
  size_t end = start;
  while (end < line.size() &&
         std::string_view(" \t,=]}#").find(line[end]) == std::string_view::npos)
    ++end;
  return std::max<size_t>(end - start, 1);
}

std::string render(const Diagnostic& d, const Diagnostics* sources, bool colour) {
  std::string out;
  if (!d.pos.file.empty()) {
    out += printable(d.pos.file);
    if (d.pos.line > 0)
      out += ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column);
    out += ": ";
  }
  const char* on = "";
  if (colour)
    on = d.severity == Severity::error     ? "\033[1;31m"
         : d.severity == Severity::warning ? "\033[1;35m"
                                           : "\033[1;36m";
  out += on;
  out += severity_name(d.severity);
  out += colour ? "\033[0m: " : ": ";
  out += printable(d.message);
  out += '\n';
  if (sources && d.pos.line > 0 && !d.pos.file.empty()) {
    const std::string_view line = sources->source_line(d.pos.file, d.pos.line);
    if (!line.empty()) {
      out += "  ";
      out += printable(line);  // a policy line holds no control character but tab (TOML)
      out += "\n  ";
      for (uint32_t i = 1; i < d.pos.column && i <= line.size(); ++i)
        out += line[i - 1] == '\t' ? '\t' : ' ';
      out += '^';
      const size_t length = token_length(line, d.pos.column);
      if (length > 1) out.append(length - 1, '~');
      out += '\n';
    }
  }
  if (!d.hint.empty()) out += "  hint: " + printable(d.hint) + "\n";
  return out;
}

}  // namespace

std::string printable(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  const auto escape = [&](unsigned char byte) {
    out += "\\x";
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  };
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
  for (size_t i = 0; i < text.size();) {
    const unsigned char b = byte(i);
    if (b < 0x80) {
      if ((b < 0x20 && b != '\t') || b == 0x7F)
        escape(b);
      else
        out += static_cast<char>(b);
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence (no overlong form, no surrogate, at most U+10FFFF) is kept,
    // but for the C1 controls U+0080-U+009F (0xC2 0x80-0x9F), which some terminals obey.
    size_t length = 0;
    if (b >= 0xC2 && b <= 0xDF) {
      length = continuation(i + 1) && !(b == 0xC2 && byte(i + 1) < 0xA0) ? 2 : 0;
    } else if (b >= 0xE0 && b <= 0xEF) {
      const bool ok = continuation(i + 1) && continuation(i + 2) &&
                      !(b == 0xE0 && byte(i + 1) < 0xA0) && !(b == 0xED && byte(i + 1) >= 0xA0);
      length = ok ? 3 : 0;
    } else if (b >= 0xF0 && b <= 0xF4) {
      const bool ok = continuation(i + 1) && continuation(i + 2) && continuation(i + 3) &&
                      !(b == 0xF0 && byte(i + 1) < 0x90) && !(b == 0xF4 && byte(i + 1) >= 0x90);
      length = ok ? 4 : 0;
    }
    if (length == 0) {
      escape(b);
      ++i;
      continue;
    }
    out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string printable_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    out += printable(text.substr(start, end - start));
    if (end < text.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

std::string render_diagnostic(const Diagnostic& d, const Diagnostics& sources, bool colour) {
  return render(d, &sources, colour);
}

std::string render_diagnostic(const Diagnostic& d, bool colour) {
  return render(d, nullptr, colour);
}

std::vector<Diagnostic> Diagnostics::by_position() const {
  // Files in the order they first appear (the main policy or the base that failed first),
  // then line and column; a problem without a place in its file comes first. Stable, so two
  // problems at one place keep the order they were found in.
  std::vector<std::string_view> files;
  for (const Diagnostic& d : items_) {
    if (std::ranges::find(files, d.pos.file) == files.end()) files.push_back(d.pos.file);
  }
  const auto rank = [&](const Diagnostic& d) {
    const auto file = static_cast<size_t>(std::ranges::find(files, d.pos.file) - files.begin());
    return std::tuple(file, d.pos.line, d.pos.column);
  };
  std::vector<Diagnostic> sorted = items_;
  std::ranges::stable_sort(sorted, {}, rank);
  return sorted;
}

std::string render_all(const Diagnostics& diags, bool colour) {
  std::string out;
  for (const auto& d : diags.by_position())
    out += render_diagnostic(d, diags, colour);
  return out;
}

std::string_view nearest_name(std::string_view word, std::span<const std::string_view> candidates) {
  return nearest_in(word, candidates);
}

std::string_view nearest_name(std::string_view word, std::span<const std::string> candidates) {
  return nearest_in(word, candidates);
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates,
                         std::string fallback) {
  const std::string_view best = nearest_name(word, candidates);
  if (best.empty()) return fallback;
  return "did you mean '" + std::string(best) + "'?";
}

}  // namespace harden
