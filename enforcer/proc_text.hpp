// Reading the kernel's small text files (/proc/self/mounts, /proc/self/cgroup, sysfs flags)
// without iostreams: <fstream> alone pulls the locale machinery into the static wrapper stub,
// and its relocations were a quarter of the stub's start-up page faults.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace harden {

// The file's contents (at most `limit` bytes), or "" when it cannot be opened or read.
std::string read_proc_text(const char* path, size_t limit = 1 << 20);

// The first line, without its newline.
std::string first_line(std::string_view text);

// Lines without their newlines; the views point into `text`.
std::vector<std::string_view> lines_of(std::string_view text);

// Whitespace-separated words; the views point into `text`.
std::vector<std::string_view> words_of(std::string_view text);

}  // namespace harden
