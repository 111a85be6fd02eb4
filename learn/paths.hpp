// Which Landlock path rules a learned draft gets for the paths the target used: exact files
// where a directory would grant more than was seen and that more may be a secret, directories
// where they grant nothing secret. Reads the file system (lstat, realpath, a bounded walk) at
// the time the draft is written; changes nothing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace harden {

struct PathGrantRequest {
  std::string target_root = "/";  // host directory that is the target's "/"
  bool constructed_root = false;  // the base's view: paths are inside it, not the host's
  // With a constructed root: what the view holds (its mount targets). A path outside them is
  // not in the target's file system at all (its open failed), whatever the host has there.
  std::vector<std::string> view;
  uid_t target_uid = 0;
  std::vector<gid_t> target_groups;
};

struct PathGrants {
  std::set<std::string> read, write, execute;  // as the target sees them
  std::set<std::string> refer;     // directories renames and links cross (each also in write)
  std::vector<std::string> notes;  // what was not granted, and why
};

// `paths`: learn_access bits by path, as the target saw them.
[[nodiscard]] PathGrants grant_paths(const std::map<std::string, uint32_t>& paths,
                                     const PathGrantRequest& request);

// Whether every file beneath `host_dir` may be granted to the target: no sensitive path of
// lint's table at, above or beneath it, no file the target could read by its modes that is
// not readable by everyone (files of the target's own uid are its own, unless it is root),
// and at most a few thousand entries to look at. `why` says what stopped it.
[[nodiscard]] bool directory_grants_no_secret(const std::string& host_dir,
                                              const PathGrantRequest& request, std::string& why);

}  // namespace harden
