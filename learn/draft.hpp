// The draft policy `harden learn` writes from what it recorded (learn_observations.hpp): the
// base policy's identity, view, namespaces, limits and environment as they are, and learned
// [seccomp], [landlock] and [network] sections, commented, with what learn could not observe.
// The draft is meant to be read and tightened by hand, and must validate, lint without errors
// and run the target it was learned from.
//
// Choices, each to keep the draft no wider than what was seen:
// - syscalls are listed; a group (@basic-io, @signal, ...) is written only when every one of
//   its members was seen and none is dangerous; @default is implicit;
// - socket, clone, unshare, ioctl, prctl and personality get argument rules for the values
//   seen; a dangerous call gets a rule whose reason is lint's, marked for review;
// - Landlock paths: a directory replaces the files read in it only when it holds no secret
//   (no sensitive path of lint's table, no file readable by the target that is not public);
//   /usr and the library trees, /proc and /sys are read as wholes; never /etc;
// - ports bound and connected to become [landlock] port rules and a [network] firewall.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "plan/learn_observations.hpp"
#include "policy/diagnostics.hpp"
#include "policy/policy.hpp"

namespace harden {

struct DraftInput {
  const Policy* base = nullptr;  // sections copied as they are (never null)
  std::string base_description;  // "the base policy web.toml", for the header
  std::string name;              // [policy] name of the draft
  std::string merged_with;       // the earlier draft merged in, or empty
  LearnObservations observations;
  // The host directory that is the target's "/" (its chroot), for looking at the files a path
  // names when the draft is written; "/" without one.
  std::string target_root = "/";
  // Who the target ran as: a file it may read by its modes but not everyone may is a secret
  // that collapsing a directory must not grant.
  uid_t target_uid = 0;
  std::vector<gid_t> target_groups;
  // The base plan's view (its mount targets) when it constructs the root; empty otherwise.
  std::vector<std::string> view;
};

// The draft, as TOML text with comments.
[[nodiscard]] std::string write_learned_draft(const DraftInput& input);

// What an earlier draft grants, as observations, for --merge: its allow list and the rules
// learn writes, its Landlock paths and ports, its firewall's allow entries and command. A rule
// of another shape (written by hand) cannot be read back: it is named in `warnings` and left
// out, never widened.
[[nodiscard]] LearnObservations observations_of_draft(const Policy& draft,
                                                      std::vector<std::string>& warnings);

// `from` added to `into`.
void merge_observations(LearnObservations& into, const LearnObservations& from);

}  // namespace harden
