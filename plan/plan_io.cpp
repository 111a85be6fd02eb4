#include "plan/plan_io.hpp"

#include <linux/audit.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "plan/bpf_eval.hpp"
#include "plan/sha256.hpp"

#ifndef HARDEN_VERSION
#error "HARDEN_VERSION must be defined by the build"
#endif

namespace harden {

static_assert(std::endian::native == std::endian::little,
              "the plan format is little-endian; add byte swapping for this target");

namespace {

constexpr char kMagic[8] = {'H', 'R', 'D', 'N', 'P', 'L', 'A', 'N'};
constexpr size_t kVersionField = 16;

template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsPair : std::false_type {};
template <class A, class B>
struct IsPair<std::pair<A, B>> : std::true_type {};
template <class T>
struct IsMap : std::false_type {};
template <class K, class V, class C, class A>
struct IsMap<std::map<K, V, C, A>> : std::true_type {};

// Anything with a visit_fields() list (plan_fields.hpp).
struct NullVisitor {
  template <class T>
  constexpr void operator()(const char*, T&) {}
};
template <class T>
concept Visitable = requires(T& t, NullVisitor& v) {
  visit_fields(t, v);
};

template <class T>
constexpr bool kUnsupported = false;

// ---- layout fingerprint -----------------------------------------------------------------

// The member names and types of T, spelt out: "{uid:u4,groups:[u4],...}".
template <class T>
constexpr void append_signature(std::string& out);

struct SignatureVisitor {
  std::string& out;
  template <class T>
  constexpr void operator()(const char* name, T&) {
    out += name;
    out += ':';
    append_signature<T>(out);
    out += ',';
  }
};

template <class T>
constexpr void append_signature(std::string& out) {
  if constexpr (std::is_same_v<T, bool>) {
    out += 'b';
  } else if constexpr (std::is_enum_v<T>) {
    out += 'e';
    append_signature<std::underlying_type_t<T>>(out);
  } else if constexpr (std::is_integral_v<T>) {
    out += std::is_signed_v<T> ? 'i' : 'u';
    out += static_cast<char>('0' + sizeof(T));
  } else if constexpr (std::is_same_v<T, std::string>) {
    out += 's';
  } else if constexpr (IsVector<T>::value) {
    out += '[';
    append_signature<typename T::value_type>(out);
    out += ']';
  } else if constexpr (IsOptional<T>::value) {
    out += '?';
    append_signature<typename T::value_type>(out);
  } else if constexpr (IsPair<T>::value) {
    out += '(';
    append_signature<typename T::first_type>(out);
    out += ',';
    append_signature<typename T::second_type>(out);
    out += ')';
  } else if constexpr (IsMap<T>::value) {
    out += "map(";
    append_signature<typename T::key_type>(out);
    out += ',';
    append_signature<typename T::mapped_type>(out);
    out += ')';
  } else if constexpr (Visitable<T>) {
    out += '{';
    T instance{};
    SignatureVisitor visitor{out};
    visit_fields(instance, visitor);
    out += '}';
  } else {
    static_assert(kUnsupported<T>, "plan member type not supported by plan_io.cpp: add it there");
  }
}

constexpr uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

constexpr uint64_t layout_of_plan() {
  std::string signature;
  append_signature<PlanData>(signature);
  return fnv1a(signature);
}

#if defined(__clang__) && defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE < 13
// clang cannot evaluate libstdc++ 12's std::string in a constant expression (the fuzz build):
// there the fingerprint is computed once at start-up, from the same signature.
const uint64_t kLayout = layout_of_plan();
#else
constexpr uint64_t kLayout = layout_of_plan();
#endif

// ---- bounds ------------------------------------------------------------------------------

// The fewest payload bytes one T takes (an empty string or vector still has its length), so a
// count n is possible only when n × min_encoded_size ≤ the bytes left.
template <class T>
constexpr size_t min_encoded_size();

struct MinSizeVisitor {
  size_t total = 0;
  template <class T>
  constexpr void operator()(const char*, T&) {
    total += min_encoded_size<T>();
  }
};

template <class T>
constexpr size_t min_encoded_size() {
  if constexpr (std::is_same_v<T, bool>) {
    return 1;
  } else if constexpr (std::is_enum_v<T>) {
    return sizeof(std::underlying_type_t<T>);
  } else if constexpr (std::is_integral_v<T>) {
    return sizeof(T);
  } else if constexpr (std::is_same_v<T, std::string> || IsVector<T>::value || IsMap<T>::value) {
    return sizeof(uint32_t);
  } else if constexpr (IsOptional<T>::value) {
    return 1;
  } else if constexpr (IsPair<T>::value) {
    return min_encoded_size<typename T::first_type>() + min_encoded_size<typename T::second_type>();
  } else if constexpr (Visitable<T>) {
    T instance{};
    MinSizeVisitor visitor;
    visit_fields(instance, visitor);
    return visitor.total;
  } else {
    static_assert(kUnsupported<T>, "plan member type not supported by plan_io.cpp: add it there");
    return 0;
  }
}

// What decoding one plan may allocate in all (the elements of every vector, map and string,
// at their in-memory size): a real plan needs kilobytes; a crafted count cannot cost more.
constexpr size_t kMaxDecodedBytes = size_t{64} << 20;

// ---- writing ----------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  template <class T>
  void operator()(const char*, const T& value) {
    put(value);
  }

  template <class T>
  void put(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      out_.push_back(value ? 1 : 0);
    } else if constexpr (std::is_enum_v<T>) {
      put(static_cast<std::underlying_type_t<T>>(value));
    } else if constexpr (std::is_integral_v<T>) {
      raw(&value, sizeof value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      put(static_cast<uint32_t>(value.size()));
      raw(value.data(), value.size());
    } else if constexpr (IsVector<T>::value || IsMap<T>::value) {
      put(static_cast<uint32_t>(value.size()));
      for (const auto& element : value)
        put(element);
    } else if constexpr (IsOptional<T>::value) {
      put(value.has_value());
      if (value) put(*value);
    } else if constexpr (IsPair<T>::value) {
      put(value.first);
      put(value.second);
    } else if constexpr (Visitable<T>) {
      visit_fields(value, *this);
    } else {
      static_assert(kUnsupported<T>, "plan member type not supported by plan_io.cpp: add it there");
    }
  }

  void raw(const void* data, size_t size) { out_.append(static_cast<const char*>(data), size); }

 private:
  std::string& out_;
};

// ---- reading ----------------------------------------------------------------------------

// Reads values back, checking every length against what is left; after the first problem
// every further read is a no-op and `error` says what went wrong.
class Reader {
 public:
  explicit Reader(std::span<const unsigned char> bytes)
      : at_(bytes.data()), end_(at_ + bytes.size()) {}

  template <class T>
  void operator()(const char* name, T& value) {
    if (failed()) return;
    get(value);
    if (failed() && field_.empty()) field_ = name;
  }

  template <class T>
  void get(T& value) {
    if (failed()) return;
    if constexpr (std::is_same_v<T, bool>) {
      uint8_t byte = 0;
      get(byte);
      if (byte > 1) return fail("a boolean is neither 0 nor 1");
      value = byte == 1;
    } else if constexpr (std::is_enum_v<T>) {
      std::underlying_type_t<T> underlying{};
      get(underlying);
      value = static_cast<T>(underlying);
    } else if constexpr (std::is_integral_v<T>) {
      raw(&value, sizeof value);
    } else if constexpr (std::is_same_v<T, std::string>) {
      const uint32_t size = count(1, 1);
      if (failed()) return;
      value.assign(reinterpret_cast<const char*>(at_), size);
      at_ += size;
    } else if constexpr (IsVector<T>::value) {
      using Element = typename T::value_type;
      const uint32_t size = count(min_encoded_size<Element>(), sizeof(Element));
      if (failed()) return;
      value.clear();
      value.resize(size);
      for (auto& element : value)
        get(element);
    } else if constexpr (IsMap<T>::value) {
      using Entry = std::pair<typename T::key_type, typename T::mapped_type>;
      // A map node holds the entry and three pointers and a colour.
      const uint32_t size = count(min_encoded_size<Entry>(), sizeof(Entry) + 4 * sizeof(void*));
      value.clear();
      for (uint32_t i = 0; i < size && !failed(); ++i) {
        std::pair<typename T::key_type, typename T::mapped_type> entry;
        get(entry);
        if (!value.emplace(std::move(entry)).second) return fail("a map key repeats");
      }
    } else if constexpr (IsOptional<T>::value) {
      bool present = false;
      get(present);
      if (!present || failed()) {
        value.reset();
        return;
      }
      get(value.emplace());
    } else if constexpr (IsPair<T>::value) {
      get(value.first);
      get(value.second);
    } else if constexpr (Visitable<T>) {
      visit_fields(value, *this);
    } else {
      static_assert(kUnsupported<T>, "plan member type not supported by plan_io.cpp: add it there");
    }
  }

  bool failed() const { return error_ != nullptr; }
  bool at_end() const { return at_ == end_; }
  std::string error() const {
    return std::string(error_ ? error_ : "") + (field_.empty() ? "" : " (in '" + field_ + "')");
  }

 private:
  // An element count or string length, for elements that take at least `min_size` bytes
  // encoded and `memory` bytes decoded: n × min_size must fit in the bytes left, and all the
  // memory of one decode stays under kMaxDecodedBytes, so a crafted count costs nothing.
  uint32_t count(size_t min_size, size_t memory) {
    uint32_t n = 0;
    get(n);
    if (failed()) return 0;
    const size_t left = static_cast<size_t>(end_ - at_);
    if (min_size > 0 && n > left / min_size) {
      fail("a length runs past the end");
      return 0;
    }
    const size_t cost = size_t{n} * std::max<size_t>(memory, 1);
    if (cost > kMaxDecodedBytes - allocated_) {
      fail("the plan would take more memory than any real plan");
      return 0;
    }
    allocated_ += cost;
    return n;
  }
  void raw(void* out, size_t size) {
    if (static_cast<size_t>(end_ - at_) < size) return fail("the payload ends early");
    std::memcpy(out, at_, size);
    at_ += size;
  }
  void fail(const char* why) {
    if (!error_) error_ = why;
  }

  const unsigned char* at_;
  const unsigned char* end_;
  const char* error_ = nullptr;
  std::string field_;
  size_t allocated_ = 0;
};

template <class T>
T load(const unsigned char* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

std::string hex64(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4)
    text[static_cast<size_t>(i)] = kDigits[value & 15];
  return text;
}

}  // namespace

std::string_view harden_version() {
  return HARDEN_VERSION;
}

uint64_t plan_layout_fingerprint() {
  return kLayout;
}

uint32_t native_audit_arch() {
#if defined(__x86_64__)
  return AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  return AUDIT_ARCH_AARCH64;
#else
#error "harden: unsupported architecture"
#endif
}

std::string audit_arch_name(uint32_t arch) {
  switch (arch) {
    case AUDIT_ARCH_X86_64:
      return "x86_64";
    case AUDIT_ARCH_I386:
      return "i386";
    case AUDIT_ARCH_AARCH64:
      return "aarch64";
    case AUDIT_ARCH_ARM:
      return "arm";
    case AUDIT_ARCH_PPC64LE:
      return "ppc64le";
    case AUDIT_ARCH_S390X:
      return "s390x";
    case AUDIT_ARCH_RISCV64:
      return "riscv64";
    default:
      return "0x" + hex64(arch).substr(8);
  }
}

std::string plan_to_bytes(const Plan& plan) {
  return plan_data_to_bytes(plan.data());
}

std::string plan_data_to_bytes(const PlanData& data) {
  static_assert(sizeof(HARDEN_VERSION) - 1 <= kVersionField, "the version must fit its field");
  std::string out(kPlanHeaderSize, '\0');
  Writer writer(out);
  writer.put(data);
  const uint64_t payload = out.size() - kPlanHeaderSize;
  char* header = out.data();
  std::memcpy(header, kMagic, sizeof kMagic);
  const uint32_t schema = kPlanSchemaVersion;
  const uint32_t arch = data.audit_arch;
  std::memcpy(header + 8, &schema, 4);
  std::memcpy(header + 12, &arch, 4);
  std::memcpy(header + 16, &kLayout, 8);
  std::memcpy(header + 24, harden_version().data(), harden_version().size());
  std::memcpy(header + 40, &payload, 8);
  const Sha256Digest digest =
      sha256({reinterpret_cast<const unsigned char*>(out.data()), out.size()});
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

std::expected<PlanHeader, std::string> read_plan_header(std::span<const unsigned char> bytes) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return std::unexpected("not a harden plan (no HRDNPLAN magic)");
  }
  if (bytes.size() < kPlanHeaderSize + kPlanChecksumSize) {
    return std::unexpected("the plan is truncated (" + std::to_string(bytes.size()) +
                           " bytes, shorter than its header and checksum)");
  }
  const unsigned char* p = bytes.data();
  PlanHeader header;
  header.schema_version = load<uint32_t>(p + 8);
  header.audit_arch = load<uint32_t>(p + 12);
  header.layout = load<uint64_t>(p + 16);
  const char* version = reinterpret_cast<const char*>(p + 24);
  header.harden_version.assign(version, strnlen(version, kVersionField));
  header.payload_size = load<uint64_t>(p + 40);
  return header;
}

std::string plan_contents_refusal(const PlanData& plan) {
  const CredentialsPlan& creds = plan.credentials;
  if (!creds.change_ids) return {};
  constexpr uint32_t kUnchanged = static_cast<uint32_t>(-1);
  const std::string why =
      " is (id_t)-1, which setresuid/setresgid read as 'leave unchanged': the target would "
      "keep the caller's ids";
  if (creds.uid == kUnchanged) return "the plan's uid " + std::to_string(kUnchanged) + why;
  if (creds.gid == kUnchanged) return "the plan's gid " + std::to_string(kUnchanged) + why;
  for (const gid_t group : creds.supplementary_groups) {
    if (group == kUnchanged) {
      return "the plan's supplementary group " + std::to_string(kUnchanged) + why;
    }
  }
  return {};
}

std::expected<Plan, std::string> plan_from_bytes(std::span<const unsigned char> bytes) {
  auto header = read_plan_header(bytes);
  if (!header) return std::unexpected(header.error());
  const uint64_t expected_size = kPlanHeaderSize + header->payload_size + kPlanChecksumSize;
  if (header->payload_size > bytes.size() || bytes.size() < expected_size) {
    return std::unexpected("the plan is truncated (" + std::to_string(bytes.size()) +
                           " bytes, its header announces " + std::to_string(expected_size) + ")");
  }
  if (bytes.size() > expected_size) {
    return std::unexpected("the plan has " + std::to_string(bytes.size() - expected_size) +
                           " unexpected bytes after its checksum");
  }
  const size_t signed_size = kPlanHeaderSize + header->payload_size;
  const Sha256Digest digest = sha256(bytes.first(signed_size));
  if (std::memcmp(digest.data(), bytes.data() + signed_size, digest.size()) != 0) {
    return std::unexpected("the plan's checksum does not match: it was corrupted or modified");
  }
  // From here the header is what harden wrote.
  if (header->schema_version != kPlanSchemaVersion) {
    return std::unexpected("plan schema version " + std::to_string(header->schema_version) +
                           " is not supported by harden " + std::string(harden_version()) +
                           " (schema " + std::to_string(kPlanSchemaVersion) +
                           "); recompile it with this harden");
  }
  if (header->audit_arch != native_audit_arch()) {
    return std::unexpected("the plan was compiled for " + audit_arch_name(header->audit_arch) +
                           ", this is " + audit_arch_name(native_audit_arch()));
  }
  if (header->layout != kLayout || header->harden_version != harden_version()) {
    return std::unexpected("the plan was written by harden " + header->harden_version +
                           " (plan layout " + hex64(header->layout) + "), this is harden " +
                           std::string(harden_version()) + " (plan layout " + hex64(kLayout) +
                           "); recompile it with this harden");
  }
  PlanData data;
  Reader reader(bytes.subspan(kPlanHeaderSize, header->payload_size));
  reader.get(data);
  if (reader.failed()) return std::unexpected("the plan's payload is malformed: " + reader.error());
  if (!reader.at_end()) return std::unexpected("the plan's payload has bytes left over");
  if (data.schema_version != header->schema_version || data.audit_arch != header->audit_arch) {
    return std::unexpected("the plan's payload disagrees with its header");
  }
  return validated_plan(std::move(data));
}

std::expected<Plan, std::string> validated_plan(PlanData data,
                                                std::shared_ptr<const SeccompModel> seccomp_model) {
  if (std::string refusal = plan_contents_refusal(data); !refusal.empty()) {
    return std::unexpected(std::move(refusal));
  }
  // The program goes to the kernel as is: check it as the kernel would (length at most
  // BPF_MAXINSNS, known instructions, jumps inside, a return at the end) before trusting it.
  if (data.seccomp.enabled || !data.seccomp.program.empty()) {
    if (auto checked = check_seccomp_program(data.seccomp.program); !checked) {
      return std::unexpected("the plan's seccomp program is invalid: " + checked.error());
    }
  }
  return Plan(std::move(data), std::move(seccomp_model));
}

std::string plan_file_distrust(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return "it is not a regular file";
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return "it is owned by uid " + std::to_string(st.st_uid) +
           ", neither root nor the caller, so its owner could have replaced the plan";
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    return "it is writable by its group or by others (mode " +
           std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
           std::to_string(st.st_mode & 7) + "), so someone else could have replaced the plan";
  }
  return {};
}

}  // namespace harden
