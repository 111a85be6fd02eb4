// Landlock's kernel interface as data: the access-right bits, the scopes, and which ABI
// version introduced each feature. Shared by the compiler (which turns read/write/execute
// into bits) and the enforcer (which masks them by the running kernel's ABI).
//
// The values are the kernel's UAPI (include/uapi/linux/landlock.h, ABI 1 to 7). They are
// written out here rather than taken from <linux/landlock.h> because the distribution's
// header may predate ABI 3 (Debian 12 ships one without TRUNCATE, network rules or scopes);
// the static_asserts in enforcer/landlock.cpp check them against the header where it has them.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace harden::landlock_abi {

// Filesystem access rights (landlock_ruleset_attr.handled_access_fs).
inline constexpr uint64_t kFsExecute = 1ULL << 0;
inline constexpr uint64_t kFsWriteFile = 1ULL << 1;
inline constexpr uint64_t kFsReadFile = 1ULL << 2;
inline constexpr uint64_t kFsReadDir = 1ULL << 3;
inline constexpr uint64_t kFsRemoveDir = 1ULL << 4;
inline constexpr uint64_t kFsRemoveFile = 1ULL << 5;
inline constexpr uint64_t kFsMakeChar = 1ULL << 6;
inline constexpr uint64_t kFsMakeDir = 1ULL << 7;
inline constexpr uint64_t kFsMakeReg = 1ULL << 8;
inline constexpr uint64_t kFsMakeSock = 1ULL << 9;
inline constexpr uint64_t kFsMakeFifo = 1ULL << 10;
inline constexpr uint64_t kFsMakeBlock = 1ULL << 11;
inline constexpr uint64_t kFsMakeSym = 1ULL << 12;
inline constexpr uint64_t kFsRefer = 1ULL << 13;     // ABI 2
inline constexpr uint64_t kFsTruncate = 1ULL << 14;  // ABI 3
inline constexpr uint64_t kFsIoctlDev = 1ULL << 15;  // ABI 5

// Network access rights (handled_access_net, ABI 4).
inline constexpr uint64_t kNetBindTcp = 1ULL << 0;
inline constexpr uint64_t kNetConnectTcp = 1ULL << 1;

// IPC scopes (landlock_ruleset_attr.scoped, ABI 6).
inline constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
inline constexpr uint64_t kScopeSignal = 1ULL << 1;

// landlock_restrict_self() flags (ABI 7): audit the denials of programs executed after it
// (the kernel logs only the calling program's own by default, and harden execs the target).
inline constexpr uint32_t kRestrictSelfLogNewExecOn = 1U << 1;

// What the policy keys grant. "write" includes reading: a directory one may write but not
// list is never what a service wants. Creating device nodes is in neither (it needs
// CAP_MKNOD, and a sandboxed service never should). REFER (renames and links across
// directories) is not in "write" either: only the [landlock] refer key grants it.
inline constexpr uint64_t kRead = kFsReadFile | kFsReadDir;
inline constexpr uint64_t kWrite = kRead | kFsWriteFile | kFsRemoveDir | kFsRemoveFile |
                                   kFsMakeDir | kFsMakeReg | kFsMakeSock | kFsMakeFifo |
                                   kFsMakeSym | kFsTruncate | kFsIoctlDev;
// The kernel checks READ_FILE as well as EXECUTE when it opens a file for execve.
inline constexpr uint64_t kExecute = kFsExecute | kFsReadFile;

// One thing a policy can ask of Landlock, and the ABI version that brought it.
struct Feature {
  std::string_view name;  // as harden reports it
  int abi;
  uint64_t fs;     // filesystem rights the feature adds to the handled set
  uint64_t net;    // network rights
  uint64_t scope;  // scopes
};

inline constexpr int kHighestKnownAbi = 7;
// The first ABI with IPC scopes (abstract UNIX sockets, signals).
inline constexpr int kScopeAbi = 6;

// Sorted by ABI. A policy that restricts the filesystem wants every filesystem row (handling
// fewer rights would leave, e.g., truncate unrestricted); port rules want "tcp"; each denied
// scope wants its row.
inline constexpr std::array<Feature, 7> kFeatures{{
    {"filesystem", 1, (1ULL << 13) - 1, 0, 0},
    {"refer (renames and links across directories)", 2, kFsRefer, 0, 0},
    {"truncate", 3, kFsTruncate, 0, 0},
    {"tcp bind/connect port rules", 4, 0, kNetBindTcp | kNetConnectTcp, 0},
    {"ioctl on devices", 5, kFsIoctlDev, 0, 0},
    {"abstract unix socket scope", 6, 0, 0, kScopeAbstractUnixSocket},
    {"signal scope", 6, 0, 0, kScopeSignal},
}};

// Everything the kernel of this ABI version can handle.
constexpr uint64_t fs_rights_for(int abi) {
  uint64_t mask = 0;
  for (const Feature& f : kFeatures) {
    if (f.abi <= abi) mask |= f.fs;
  }
  return mask;
}
constexpr uint64_t net_rights_for(int abi) {
  uint64_t mask = 0;
  for (const Feature& f : kFeatures) {
    if (f.abi <= abi) mask |= f.net;
  }
  return mask;
}
constexpr uint64_t scopes_for(int abi) {
  uint64_t mask = 0;
  for (const Feature& f : kFeatures) {
    if (f.abi <= abi) mask |= f.scope;
  }
  return mask;
}

}  // namespace harden::landlock_abi
