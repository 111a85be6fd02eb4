// What harden says when the target cannot start: a dynamically linked program in a constructed
// root without its ELF interpreter fails execve with ENOENT, and harden names the interpreter
// (read from the program's own PT_INTERP here) instead of "No such file or directory". The
// diagnosis must never cost the exit status: under a filter that does not allow openat it is
// skipped, and harden still exits 127 instead of dying of SIGSYS.
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;

namespace {

constexpr int kExitNotFound = 127;

// PT_INTERP of a 64-bit ELF file, or "".
std::string elf_interpreter(const std::string& path) {
  const std::string bytes = read_file(path);
  if (bytes.size() < sizeof(Elf64_Ehdr)) return {};
  Elf64_Ehdr header;
  std::memcpy(&header, bytes.data(), sizeof header);
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr ph;
    const size_t at = header.e_phoff + i * sizeof ph;
    if (at + sizeof ph > bytes.size()) break;
    std::memcpy(&ph, bytes.data() + at, sizeof ph);
    if (ph.p_type != PT_INTERP || ph.p_offset + ph.p_filesz > bytes.size()) continue;
    return std::string(bytes.data() + ph.p_offset,
                       strnlen(bytes.data() + ph.p_offset, ph.p_filesz));
  }
  return {};
}

struct DynamicTarget {
  TempDir dir{"harden-interp"};
  std::string bin;
  std::string program;
  std::string interpreter;
  DynamicTarget() {
    dir.chmod(0755);
    bin = dir.mkdir("bin", 0755);
    const std::string system_true = find_program("true");
    if (system_true.empty()) skip("no 'true' program to copy");
    interpreter = elf_interpreter(system_true);
    if (interpreter.empty()) skip(system_true + " is not dynamically linked");
    program = bin + "/true";
    copy_file(system_true, program, 0755);
  }
  [[nodiscard]] std::string policy(const std::string& name, const std::string& extra_paths,
                                   const std::string& seccomp = "") const {
    return write_policy(dir, name,
                        "[policy]\nname = \"" + name + "\"\n[filesystem]\nread_only = [\"" + bin +
                            "\"" + extra_paths + "]\n" + seccomp);
  }
};

}  // namespace

TEST_CASE("exec: an ELF interpreter outside the view is named", "[exec][root]") {
  require_root();
  DynamicTarget t;
  RunResult r = run_harden({"--policy", t.policy("no-ldso", ""), "--", t.program});
  INFO(r.describe());
  CHECK(r.exited(kExitNotFound));
  CHECK(r.err.find("its interpreter " + t.interpreter +
                   " is not in the policy's filesystem view") != std::string::npos);
  CHECK(r.err.find("or use a static binary") != std::string::npos);
  CHECK(r.err.find("No such file or directory") == std::string::npos);

  // Found through PATH, the same (named by the path it was found at).
  RunResult bare = run_harden(
      {"--policy",
       t.policy("no-ldso-path", "", "[environment]\nset = { PATH = \"" + t.bin + "\" }\n"), "--",
       "true"});
  INFO(bare.describe());
  CHECK(bare.exited(kExitNotFound));
  CHECK(bare.err.find(t.program) != std::string::npos);
  CHECK(bare.err.find("its interpreter " + t.interpreter +
                      " is not in the policy's filesystem view") != std::string::npos);

  // Control: with the loader and the libraries in the view the same program runs.
  RunResult ok = run_harden(
      {"--policy", t.policy("with-ldso", ", \"/lib64\", \"/lib\", \"/usr/lib\""), "--", t.program});
  INFO(ok.describe());
  CHECK(ok.exited(0));
}

TEST_CASE("exec: a missing program is still 'not found', not an interpreter", "[exec][root]") {
  require_root();
  DynamicTarget t;
  RunResult r = run_harden({"--policy", t.policy("missing", ""), "--", t.bin + "/absent"});
  INFO(r.describe());
  CHECK(r.exited(kExitNotFound));
  CHECK(r.err.find("execve: No such file or directory") != std::string::npos);
  CHECK(r.err.find("interpreter") == std::string::npos);
}

TEST_CASE("exec: the diagnosis never makes a call the filter forbids", "[exec][root]") {
  require_root();
  DynamicTarget t;
  // write (for the message) but no openat: harden must not try to read the program.
  const std::string policy =
      t.policy("no-openat", "",
               "[seccomp]\ndefault_action = \"kill-process\"\nallow = [\"@default\", \"write\"]\n");
  RunResult r = run_harden({"--policy", policy, "--", t.program});
  INFO(r.describe());
  CHECK_FALSE(r.killed_by(SIGSYS));
  CHECK(r.exited(kExitNotFound));
  CHECK(r.err.find("execve: No such file or directory") != std::string::npos);
}
