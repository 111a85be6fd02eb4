// audit layer: the policy's file watches and syscall rules, added through libaudit on the
// kernel's exit filter with action "always". Rules are compared with what the kernel already
// has, so a restart adds nothing twice, and rules the policy dropped since are removed. Each
// rule carries the owner key "harden:<policy>" next to the user's key: that is how harden
// finds its own rules and leaves everyone else's alone.
#include <libaudit.h>
#include <linux/audit.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "enforcer/host.hpp"
#include "enforcer/layers.hpp"
#include "plan/constants.hpp"

namespace harden {

namespace {

// ---- RAII for libaudit ----------------------------------------------------------------------

class AuditSocket {
 public:
  AuditSocket() {
    // libaudit prints its own complaints to stderr (the target's) unless told not to.
    set_aumessage_mode(MSG_QUIET, DBG_NO);
    fd_ = audit_open();
  }
  ~AuditSocket() {
    if (fd_ >= 0) audit_close(fd_);
  }
  AuditSocket(const AuditSocket&) = delete;
  AuditSocket& operator=(const AuditSocket&) = delete;
  int fd() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct RuleFree {
  void operator()(audit_rule_data* rule) const { audit_rule_free_data(rule); }
};
using RuleData = std::unique_ptr<audit_rule_data, RuleFree>;

size_t rule_size(const audit_rule_data& rule) {
  return sizeof(audit_rule_data) + rule.buflen;
}

// A copy of a rule from a netlink reply, which lives only until the next read.
RuleData copy_rule(const audit_rule_data& rule) {
  auto* copy = static_cast<audit_rule_data*>(std::malloc(rule_size(rule)));
  if (copy) std::memcpy(copy, &rule, rule_size(rule));
  return RuleData(copy);
}

std::string errno_text(int rc) {
  return std::strerror(rc < 0 ? -rc : errno);
}

// ---- describing a rule ----------------------------------------------------------------------

bool is_string_field(uint32_t field) {
  return (field >= AUDIT_SUBJ_USER && field <= AUDIT_OBJ_LEV_HIGH) || field == AUDIT_WATCH ||
         field == AUDIT_DIR || field == AUDIT_FILTERKEY || field == AUDIT_EXE;
}

struct Described {
  std::string text;     // auditctl -l style, for people
  std::string compare;  // text plus the syscall mask, for deciding "identical"
  std::vector<std::string> keys;
};

Described describe(const audit_rule_data& rule) {
  Described d;
  std::string watch, perms, fields;
  int machine = audit_detect_machine();
  size_t offset = 0;
  for (uint32_t i = 0; i < rule.field_count && i < AUDIT_MAX_FIELDS; ++i) {
    const uint32_t field = rule.fields[i];
    const uint32_t value = rule.values[i];
    const char* op = audit_operator_to_symbol(static_cast<int>(rule.fieldflags[i]));
    if (is_string_field(field)) {
      const size_t len =
          std::min<size_t>(value, rule.buflen - std::min<size_t>(offset, rule.buflen));
      const std::string text(rule.buf + offset, len);
      offset += len;
      if (field == AUDIT_FILTERKEY) {
        size_t start = 0;
        for (size_t at;
             (at = text.find(static_cast<char>(AUDIT_KEY_SEPARATOR), start)) != std::string::npos;
             start = at + 1) {
          d.keys.push_back(text.substr(start, at - start));
        }
        d.keys.push_back(text.substr(start));
      } else if (field == AUDIT_WATCH || field == AUDIT_DIR) {
        watch = text;
      } else {
        const char* name = audit_field_to_name(static_cast<int>(field));
        fields +=
            " -F " + std::string(name ? name : std::to_string(field)) + (op ? op : "?") + text;
      }
      continue;
    }
    if (field == AUDIT_PERM) {
      perms = audit_permission_letters(value);
      continue;
    }
    std::string shown = std::to_string(value);
    if (field == AUDIT_ARCH) {
      machine = audit_elf_to_machine(value);
      const char* name = machine >= 0 ? audit_machine_to_name(machine) : nullptr;
      if (name) shown = name;
    }
    const char* name = audit_field_to_name(static_cast<int>(field));
    fields += " -F " + std::string(name ? name : std::to_string(field)) + (op ? op : "?") + shown;
  }
  bool all_syscalls = true;
  std::string syscalls, mask;
  // The last word holds syscall classes, which the kernel rewrites (it keeps only the classes
  // it knows); no syscall number reaches it, so it takes no part in the comparison.
  for (int word = 0; word < AUDIT_BITMASK_SIZE - 1; ++word) {
    mask += std::to_string(rule.mask[word]) + ",";
    if (rule.mask[word] != ~0U) all_syscalls = false;
  }
  if (!all_syscalls) {
    for (int nr = 0; nr < 32 * (AUDIT_BITMASK_SIZE - 1); ++nr) {
      if (!(rule.mask[nr / 32] & (1U << (nr % 32)))) continue;
      const char* name = machine >= 0 ? audit_syscall_to_name(nr, machine) : nullptr;
      syscalls += (syscalls.empty() ? "" : ",") + std::string(name ? name : std::to_string(nr));
    }
  }
  const bool exit_always =
      (rule.flags & ~AUDIT_FILTER_PREPEND) == AUDIT_FILTER_EXIT && rule.action == AUDIT_ALWAYS;
  if (!watch.empty() && exit_always && all_syscalls) {
    d.text = "-w " + watch + (perms.empty() ? "" : " -p " + perms) + fields;
  } else {
    const char* list = audit_flag_to_name(static_cast<int>(rule.flags & ~AUDIT_FILTER_PREPEND));
    const char* action = audit_action_to_name(static_cast<int>(rule.action));
    d.text = "-a " + std::string(action ? action : "?") + "," + (list ? list : "?") +
             (all_syscalls ? std::string(" -S all") : " -S " + syscalls) +
             (watch.empty() ? "" : " -F path=" + watch) +
             (perms.empty() ? "" : " -F perm=" + perms) + fields;
  }
  for (const std::string& key : d.keys)
    d.text += " -k " + key;
  d.compare = d.text + " mask=" + mask;
  return d;
}

// ---- building the plan's rules ----------------------------------------------------------------

std::expected<RuleData, std::string> build_rule(const AuditRule& planned,
                                                const std::string& owner_key, uint32_t audit_arch) {
  audit_rule_data* raw = nullptr;
  if (planned.kind == AuditRule::Kind::watch) {
    if (audit_add_watch_dir(planned.directory ? AUDIT_DIR : AUDIT_WATCH, &raw,
                            planned.path.c_str()) != 0) {
      audit_rule_free_data(raw);
      return std::unexpected("cannot build a watch rule for " + planned.path);
    }
    RuleData rule(raw);
    audit_update_watch_perms(rule.get(), static_cast<int>(planned.permissions));
    raw = rule.release();
  } else {
    raw = audit_rule_create_data();
    if (!raw) return std::unexpected("out of memory");
    // Numeric fields are written directly: the arch of the plan and the service's uid.
    auto add_field = [&](uint32_t field, uint32_t value) {
      raw->fields[raw->field_count] = field;
      raw->values[raw->field_count] = value;
      raw->fieldflags[raw->field_count] = AUDIT_EQUAL;
      ++raw->field_count;
    };
    add_field(AUDIT_ARCH, audit_arch);
    for (const int nr : planned.syscalls) {
      raw->mask[nr / 32] |= 1U << (nr % 32);  // what audit_rule_syscallbyname_data sets
    }
    add_field(AUDIT_UID, planned.uid);
  }
  RuleData rule(raw);
  const std::string keys =
      "key=" + planned.key + static_cast<char>(AUDIT_KEY_SEPARATOR) + owner_key;
  raw = rule.release();
  if (audit_rule_fieldpair_data(&raw, keys.c_str(), AUDIT_FILTER_EXIT) != 0) {
    audit_rule_free_data(raw);
    return std::unexpected("cannot add the key '" + planned.key + "' to an audit rule");
  }
  raw->flags = AUDIT_FILTER_EXIT;
  raw->action = AUDIT_ALWAYS;
  return RuleData(raw);
}

struct KernelRule {
  RuleData data;
  Described described;
};

std::expected<std::vector<KernelRule>, std::string> list_kernel_rules(const AuditSocket& audit) {
  if (audit_request_rules_list_data(audit.fd()) <= 0) {
    return std::unexpected("cannot list audit rules: " + errno_text(0));
  }
  std::vector<KernelRule> rules;
  for (;;) {
    audit_reply reply{};
    const int rc = audit_get_reply(audit.fd(), &reply, GET_REPLY_BLOCKING, 0);
    if (rc <= 0) return std::unexpected("cannot read the audit rule list: " + errno_text(rc));
    if (reply.type == NLMSG_DONE) break;
    if (reply.type == NLMSG_ERROR) {
      if (reply.error->error == 0) continue;  // the request's acknowledgement
      return std::unexpected("cannot list audit rules: " + errno_text(reply.error->error));
    }
    if (reply.type != AUDIT_LIST_RULES || !reply.ruledata) continue;
    RuleData copy = copy_rule(*reply.ruledata);
    if (!copy) return std::unexpected("out of memory");
    Described described = describe(*copy);
    rules.push_back({std::move(copy), std::move(described)});
  }
  return rules;
}

bool owned_by(const Described& rule, std::string_view owner_key) {
  return std::find(rule.keys.begin(), rule.keys.end(), owner_key) != rule.keys.end();
}

std::expected<void, std::string> delete_rule(const AuditSocket& audit, const KernelRule& rule) {
  const int rc =
      audit_delete_rule_data(audit.fd(), rule.data.get(), static_cast<int>(rule.data->flags),
                             static_cast<int>(rule.data->action));
  if (rc < 0) {
    return std::unexpected("cannot delete audit rule '" + rule.described.text +
                           "': " + errno_text(rc));
  }
  return {};
}

std::string bytes_of(const audit_rule_data& rule) {
  return std::string(reinterpret_cast<const char*>(&rule), rule_size(rule));
}

// A rule back from bytes_of(); null when the bytes are not one.
RuleData rule_from(const std::string& bytes) {
  if (bytes.size() < sizeof(audit_rule_data)) return nullptr;
  audit_rule_data header{};
  std::memcpy(&header, bytes.data(), sizeof header);
  if (rule_size(header) != bytes.size()) return nullptr;
  auto* rule = static_cast<audit_rule_data*>(std::malloc(bytes.size()));
  if (rule) std::memcpy(rule, bytes.data(), bytes.size());
  return RuleData(rule);
}

std::expected<AuditSocket*, std::string> open_checked(AuditSocket& audit) {
  if (!audit) return std::unexpected("cannot open the audit netlink socket: " + errno_text(0));
  return &audit;
}

}  // namespace

namespace host {

std::expected<std::vector<ListedAuditRule>, std::string> audit_list_rules() {
  AuditSocket audit;
  if (auto ok = open_checked(audit); !ok) return std::unexpected(ok.error());
  auto rules = list_kernel_rules(audit);
  if (!rules) return std::unexpected(rules.error());
  std::vector<ListedAuditRule> listed;
  for (const KernelRule& rule : *rules)
    listed.push_back({rule.described.text, rule.described.keys});
  return listed;
}

std::expected<AuditSync, std::string> audit_replace(const AuditPlan& plan, uint32_t audit_arch,
                                                    std::vector<HostChange>* changes) {
  AuditSocket audit;
  if (auto ok = open_checked(audit); !ok) return std::unexpected(ok.error());
  std::vector<std::pair<RuleData, Described>> wanted;
  for (const AuditRule& planned : plan.rules) {
    auto rule = build_rule(planned, plan.owner_key, audit_arch);
    if (!rule) return std::unexpected(rule.error());
    Described described = describe(**rule);
    wanted.emplace_back(std::move(*rule), std::move(described));
  }
  auto existing = list_kernel_rules(audit);
  if (!existing) return std::unexpected(existing.error());

  AuditSync sync;
  std::vector<bool> present(wanted.size(), false);
  for (const KernelRule& rule : *existing) {
    if (!owned_by(rule.described, plan.owner_key)) continue;
    const auto same = std::find_if(wanted.begin(), wanted.end(), [&](const auto& w) {
      return w.second.compare == rule.described.compare;
    });
    const auto index = static_cast<size_t>(same - wanted.begin());
    if (same != wanted.end() && !present[index]) {
      present[index] = true;
      ++sync.kept;
      continue;
    }
    if (auto done = delete_rule(audit, rule); !done) return std::unexpected(done.error());
    ++sync.removed;
    if (changes)
      changes->push_back(
          {HostChange::Kind::audit_rule_removed, bytes_of(*rule.data), std::nullopt});
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (present[i]) continue;
    audit_rule_data* rule = wanted[i].first.get();
    const int rc = audit_add_rule_data(audit.fd(), rule, AUDIT_FILTER_EXIT, AUDIT_ALWAYS);
    // EEXIST: the same rule under our keys, added by a concurrent start of the same policy.
    if (rc < 0 && rc != -EEXIST) {
      return std::unexpected("cannot add audit rule '" + wanted[i].second.text +
                             "': " + errno_text(rc));
    }
    ++sync.added;
    // Only what this launch added is its to take back: not a rule that was there already.
    if (changes && rc >= 0)
      changes->push_back({HostChange::Kind::audit_rule_added, bytes_of(*rule), std::nullopt});
  }
  return sync;
}

std::expected<void, std::string> audit_undo(const HostChange& change) {
  const RuleData rule = rule_from(change.text);
  if (!rule) return std::unexpected("a recorded audit rule is malformed");
  AuditSocket audit;
  if (auto ok = open_checked(audit); !ok) return std::unexpected(ok.error());
  const std::string text = describe(*rule).text;
  if (change.kind == HostChange::Kind::audit_rule_added) {
    const int rc = audit_delete_rule_data(audit.fd(), rule.get(), static_cast<int>(rule->flags),
                                          static_cast<int>(rule->action));
    // ENOENT: someone (harden down) removed it meanwhile; the host is as it was.
    if (rc < 0 && rc != -ENOENT) {
      return std::unexpected("cannot delete audit rule '" + text + "': " + errno_text(rc));
    }
    return {};
  }
  const int rc = audit_add_rule_data(audit.fd(), rule.get(), static_cast<int>(rule->flags),
                                     static_cast<int>(rule->action));
  if (rc < 0 && rc != -EEXIST) {
    return std::unexpected("cannot add back audit rule '" + text + "': " + errno_text(rc));
  }
  return {};
}

std::expected<int, std::string> audit_remove_owned(std::string_view owner_key) {
  AuditSocket audit;
  if (auto ok = open_checked(audit); !ok) return std::unexpected(ok.error());
  auto existing = list_kernel_rules(audit);
  if (!existing) return std::unexpected(existing.error());
  int removed = 0;
  for (const KernelRule& rule : *existing) {
    if (!owned_by(rule.described, owner_key)) continue;
    if (auto done = delete_rule(audit, rule); !done) return std::unexpected(done.error());
    ++removed;
  }
  return removed;
}

}  // namespace host

int RealSys::audit_replace_rules(const AuditPlan& audit, uint32_t audit_arch, std::string& error,
                                 std::vector<HostChange>& changes) {
  auto done = host::audit_replace(audit, audit_arch, &changes);
  if (done) return 0;
  error = done.error();
  errno = 0;
  return -1;
}

namespace enforce::audit {

bool wanted(const PlanData& plan) {
  return !plan.audit.rules.empty();
}

StepResult apply(const PlanData& plan, Sys& sys, ExecContext& ctx) {
  std::string error;
  std::vector<HostChange> changes;
  const int rc = sys.audit_replace_rules(plan.audit, plan.audit_arch, error, changes);
  const int saved_errno = errno;
  // Recorded even when a later rule failed: the earlier ones are on the host. Every one is
  // recorded, even after a note failed, so that harden can undo them itself.
  StepResult noted_all;
  for (HostChange& change : changes) {
    StepResult noted = rollback::note(sys, ctx, std::move(change));
    if (!noted && noted_all) noted_all = std::move(noted);
  }
  if (!noted_all) return noted_all;
  if (rc != 0) {
    return step_failed(saved_errno, "installing " + std::to_string(plan.audit.rules.size()) +
                                        " audit rule(s) for " + plan.audit.owner_key +
                                        (error.empty() ? "" : ": " + error));
  }
  return {};
}

}  // namespace enforce::audit

}  // namespace harden
