// JSON documents as text for standard output.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace harden::cli {

// `doc` as text (`indent` -1: one line). Strings harden did not write (file names found in a
// directory, a process's comm or exe from the kernel's records) need not be UTF-8, and
// nlohmann throws on a byte that is not, which ended harden with abort(): such a byte becomes
// U+FFFD, and the document stays valid JSON.
template <typename Json>
std::string json_text(const Json& doc, int indent = -1) {
  return doc.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace harden::cli
