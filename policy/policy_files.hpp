// Where policy text comes from. The main policy file is the one the user named; every base an
// `extends` entry names must lie beneath a root: the main file's own directory, or a directory
// of the search path (HARDEN_POLICY_PATH, default /etc/harden/policies then
// /usr/share/harden/policies). Only regular files of at most kMaxPolicyFileSize bytes are read,
// without ever blocking (a FIFO) and without a symbolic link leading out of the root.
//
// The resolver (which root, which relative path, what key detects a cycle) is pure logic over a
// PolicyFileSystem, so tests and the fuzzer run it on a fake file set.
#pragma once

#include <cstddef>
#include <expected>
#include <map>
#include <string>
#include <vector>

namespace harden {

// A policy is a few kilobytes; a file larger than this is refused before it is read whole.
inline constexpr size_t kMaxPolicyFileSize = size_t{1} << 20;

// The directories searched for a base that is not in the policy's own tree, in order.
inline constexpr const char* kDefaultPolicySearchPath =
    "/etc/harden/policies:/usr/share/harden/policies";

// HARDEN_POLICY_PATH split at ':' (empty elements dropped), or the default above.
[[nodiscard]] std::vector<std::string> policy_search_path_from_environment();

struct ReadError {
  int error = 0;    // errno; ENOENT lets the resolver try the next root
  std::string why;  // "not a regular file", "a symbolic link leads outside ..."
};

// The file access the resolver needs: nothing else touches the file system.
class PolicyFileSystem {
 public:
  virtual ~PolicyFileSystem() = default;
  // The main policy file, as the user named it (a symbolic link there is the user's choice).
  [[nodiscard]] virtual std::expected<std::string, ReadError> read_main(
      const std::string& path) = 0;
  // `relative` (normalized, never absolute, never starting with "..") beneath `root`; no
  // symbolic link may lead out of `root`.
  [[nodiscard]] virtual std::expected<std::string, ReadError> read_beneath(
      const std::string& root, const std::string& relative) = 0;
};

// The real thing: open(2) / openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, O_NONBLOCK,
// fstat S_ISREG, at most kMaxPolicyFileSize bytes.
class RealPolicyFileSystem final : public PolicyFileSystem {
 public:
  std::expected<std::string, ReadError> read_main(const std::string& path) override;
  std::expected<std::string, ReadError> read_beneath(const std::string& root,
                                                     const std::string& relative) override;
};

// A policy found by searching a directory (harden lint DIR, harden validate DIR): the main file
// too is read beneath that directory, like a base. A checked-out tree is someone else's input
// (a pull request CI lints), and a symbolic link in it must not make harden read a file outside
// it, let alone quote one. Bases are read through `files`.
class BeneathPolicyFileSystem final : public PolicyFileSystem {
 public:
  BeneathPolicyFileSystem(PolicyFileSystem& files, std::string root)
      : files_(files), root_(std::move(root)) {}
  // `path` as the search found it: `root` joined with a relative path.
  std::expected<std::string, ReadError> read_main(const std::string& path) override;
  std::expected<std::string, ReadError> read_beneath(const std::string& root,
                                                     const std::string& relative) override {
    return files_.read_beneath(root, relative);
  }

 private:
  PolicyFileSystem& files_;
  std::string root_;
};

// A file set in memory for tests and fuzzing: "root/relative" -> text. read_main looks the
// path up as written; read_beneath refuses a relative path that leaves the root.
class FakePolicyFileSystem final : public PolicyFileSystem {
 public:
  std::map<std::string, std::string> files;
  std::expected<std::string, ReadError> read_main(const std::string& path) override;
  std::expected<std::string, ReadError> read_beneath(const std::string& root,
                                                     const std::string& relative) override;
};

// One file found by the resolver.
struct PolicySource {
  std::string name;          // the path shown in messages
  std::string key;           // identity for cycle detection
  std::string text;          // its contents
  size_t root = 0;           // index into PolicyResolver::roots()
  std::string relative_dir;  // its directory relative to that root ("" at the root)
};

class PolicyResolver {
 public:
  // `search_path`: the directories after the policy's own tree (see above).
  PolicyResolver(PolicyFileSystem& files, std::vector<std::string> search_path);

  // The main file: its directory becomes the first root.
  [[nodiscard]] std::expected<PolicySource, std::string> open_main(const std::string& path);
  // Text already in memory, named `name`: the directory of `name` becomes the first root.
  [[nodiscard]] PolicySource adopt_text(std::string text, const std::string& name);
  // The base `entry` (as written in `extends`) of the file `from`.
  [[nodiscard]] std::expected<PolicySource, std::string> open_base(const std::string& entry,
                                                                   const PolicySource& from);

  const std::vector<std::string>& roots() const { return roots_; }

 private:
  std::expected<PolicySource, ReadError> try_root(size_t root, const std::string& relative);
  void set_tree_root(const std::string& file);

  PolicyFileSystem& files_;
  std::vector<std::string> roots_;  // [0] the policy's own directory, then the search path
  std::string tree_display_;        // roots_[0] as the user spelt it, for names in messages
};

}  // namespace harden
