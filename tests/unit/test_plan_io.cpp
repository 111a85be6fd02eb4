// The sealed plan: a plan survives the round trip bit for bit, and anything truncated,
// corrupted, foreign or from another build is refused with a message saying which.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/audit.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>

#include "plan/plan_file.hpp"
#include "plan/plan_io.hpp"
#include "plan/sha256.hpp"
#include "plan/unique_fd.hpp"
#include "tests/support/harness.hpp"

using namespace harden;

namespace {

std::string hex(const Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (const unsigned char byte : digest) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 15];
  }
  return text;
}

std::span<const unsigned char> span_of(const std::string& bytes) {
  return {reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()};
}

// Every kind of member set to something other than its default.
PlanData busy_plan() {
  PlanData plan;
  plan.audit_arch = native_audit_arch();
  plan.policy_name = "busy";
  plan.policy_file = "/etc/harden/busy.toml";
  plan.no_new_privs = false;
  plan.credentials = {true, 65534, 65533, {4, 27, 100}};
  plan.capabilities = {(1ULL << 10) | (1ULL << 40), 40};
  plan.seccomp.enabled = true;
  plan.seccomp.flags = 2;
  plan.seccomp.program = {{0x20, 0, 0, 4},
                          {0x15, 1, 0, 0xc000003e},
                          {0x06, 0, 0, 0x80000000},
                          {0x06, 0, 0, 0x7fff0000}};
  plan.seccomp.default_action_origin = {"/etc/harden/busy.toml", 12, 18};
  plan.limits = {{7, 64, 128}, {4, 0, 0}};
  plan.environment = {false, {"LANG", "TZ"}, {"PATH=/usr/bin:/bin", "EMPTY="}};
  plan.fds = {{3, 5}, false};
  plan.exec = {{"/usr/sbin/nginx", "-g", "daemon off;"}, "/srv", 027, false};
  plan.exec.memory_deny_write_execute = true;
  plan.filesystem.chroot = "/srv/jail";
  plan.filesystem.constructed_root = true;
  plan.filesystem.view = {{ViewKind::tmpfs, "/tmp", "", false, true, 1 << 20, 01777, {"f", 3, 4}},
                          {ViewKind::symlink, "/lib64", "usr/lib64", true, false, 0, 0755, {}}};
  plan.namespaces = {true, true, true, true, true, false, true, true, "busy-host"};
  return plan;
}

std::string sealed(const PlanData& data) {
  return plan_data_to_bytes(data);
}

// Recomputes the checksum after a deliberate edit, so the check under test is the one after it.
std::string resealed(std::string bytes) {
  const size_t signed_size = bytes.size() - kPlanChecksumSize;
  const Sha256Digest digest = sha256(span_of(bytes).first(signed_size));
  bytes.replace(signed_size, kPlanChecksumSize, reinterpret_cast<const char*>(digest.data()),
                digest.size());
  return bytes;
}

std::string refusal(const std::string& bytes) {
  auto plan = plan_from_bytes(span_of(bytes));
  REQUIRE_FALSE(plan.has_value());
  return plan.error();
}

}  // namespace

TEST_CASE("SHA-256 matches the FIPS 180-4 test vectors", "[plan][sha256]") {
  auto of = [](std::string_view text) {
    return hex(sha256({reinterpret_cast<const unsigned char*>(text.data()), text.size()}));
  };
  CHECK(of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Fed in uneven pieces: the buffering must not matter.
  Sha256 hash;
  const std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i)
    hash.update(span_of(a).first(static_cast<size_t>(1 + i % 999)));
  Sha256 whole;
  std::string joined;
  for (int i = 0; i < 1000; ++i)
    joined.append(static_cast<size_t>(1 + i % 999), 'a');
  whole.update(span_of(joined));
  CHECK(hex(hash.finish()) == hex(whole.finish()));
  CHECK(of(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("a plan survives the round trip unchanged", "[plan]") {
  const std::string bytes = sealed(busy_plan());
  auto plan = plan_from_bytes(span_of(bytes));
  REQUIRE(plan.has_value());
  const PlanData& d = plan->data();
  CHECK(d.policy_name == "busy");
  CHECK(d.policy_file == "/etc/harden/busy.toml");
  CHECK_FALSE(d.no_new_privs);
  CHECK(d.credentials.supplementary_groups == std::vector<gid_t>{4, 27, 100});
  CHECK(d.capabilities.keep == ((1ULL << 10) | (1ULL << 40)));
  REQUIRE(d.seccomp.program.size() == 4);
  CHECK(d.seccomp.program[1].code == 0x15);
  CHECK(d.seccomp.program[1].jt == 1);
  CHECK(d.seccomp.program[1].k == 0xc000003e);
  CHECK(d.seccomp.default_action_origin.line == 12);
  CHECK(d.limits.size() == 2);
  CHECK(d.environment.set == std::vector<std::string>{"PATH=/usr/bin:/bin", "EMPTY="});
  CHECK(d.exec.umask == mode_t{027});
  CHECK(d.exec.command.back() == "daemon off;");
  CHECK(d.exec.memory_deny_write_execute);
  CHECK(d.filesystem.chroot == "/srv/jail");
  REQUIRE(d.filesystem.view.size() == 2);
  CHECK(d.filesystem.view[0].kind == ViewKind::tmpfs);
  CHECK(d.filesystem.view[0].mode == mode_t{01777});
  CHECK(d.filesystem.view[1].source == "usr/lib64");
  CHECK(d.namespaces.hostname == "busy-host");
  CHECK(d.namespaces.pid);
  // Everything else too: writing it again gives the same bytes.
  CHECK(plan_to_bytes(*plan) == bytes);
  // And a default plan (empty strings, vectors, optionals) as well.
  PlanData empty;
  empty.audit_arch = native_audit_arch();
  const std::string empty_bytes = sealed(empty);
  auto empty_plan = plan_from_bytes(span_of(empty_bytes));
  REQUIRE(empty_plan.has_value());
  CHECK_FALSE(empty_plan->data().exec.umask.has_value());
  CHECK(plan_to_bytes(*empty_plan) == empty_bytes);
}

TEST_CASE("the header names the schema, architecture, layout and harden version", "[plan]") {
  const std::string bytes = sealed(busy_plan());
  auto header = read_plan_header(span_of(bytes));
  REQUIRE(header.has_value());
  CHECK(header->schema_version == kPlanSchemaVersion);
  CHECK(header->audit_arch == native_audit_arch());
  CHECK(header->layout == plan_layout_fingerprint());
  CHECK(header->harden_version == harden_version());
  CHECK(header->payload_size == bytes.size() - kPlanHeaderSize - kPlanChecksumSize);
}

TEST_CASE("every truncation and every flipped byte is refused", "[plan]") {
  const std::string bytes = sealed(busy_plan());
  for (size_t size = 0; size < bytes.size(); ++size) {
    INFO("truncated to " << size);
    const std::string why = refusal(bytes.substr(0, size));
    CHECK((why.find("truncated") != std::string::npos ||
           why.find("not a harden plan") != std::string::npos));
  }
  for (size_t at = 0; at < bytes.size(); ++at) {
    INFO("byte " << at);
    std::string corrupt = bytes;
    corrupt[at] = static_cast<char>(corrupt[at] ^ 0x20);
    CHECK_FALSE(plan_from_bytes(span_of(corrupt)).has_value());
  }
  std::string payload_flip = bytes;
  payload_flip[kPlanHeaderSize + 3] ^= 1;
  CHECK(refusal(payload_flip).find("checksum does not match") != std::string::npos);
  CHECK(refusal(bytes + "x").find("unexpected bytes after its checksum") != std::string::npos);
  CHECK(refusal("#!/bin/sh\n").find("not a harden plan") != std::string::npos);
}

TEST_CASE("a plan for another architecture, schema, layout or version is refused", "[plan]") {
  SECTION("architecture") {
    PlanData data = busy_plan();
    data.audit_arch =
        AUDIT_ARCH_AARCH64 == native_audit_arch() ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_AARCH64;
    const std::string why = refusal(sealed(data));
    CHECK(why.find("compiled for " + audit_arch_name(data.audit_arch)) != std::string::npos);
    CHECK(why.find("this is " + audit_arch_name(native_audit_arch())) != std::string::npos);
  }
  std::string bytes = sealed(busy_plan());
  SECTION("schema") {
    bytes[8] = static_cast<char>(kPlanSchemaVersion + 1);
    CHECK(
        refusal(resealed(bytes)).find("schema version " + std::to_string(kPlanSchemaVersion + 1)) !=
        std::string::npos);
  }
  SECTION("layout: a build whose plan structs differ") {
    bytes[16] ^= 0x5a;
    const std::string why = refusal(resealed(bytes));
    CHECK(why.find("plan layout") != std::string::npos);
    CHECK(why.find("recompile it") != std::string::npos);
  }
  SECTION("harden version") {
    std::memcpy(bytes.data() + 24, "9.9.9\0\0\0", 8);
    CHECK(refusal(resealed(bytes)).find("written by harden 9.9.9") != std::string::npos);
  }
}

TEST_CASE("a malformed payload is refused even with a matching checksum", "[plan]") {
  PlanData data;
  data.audit_arch = native_audit_arch();
  const std::string bytes = sealed(data);
  // Payload: schema_version (4), audit_arch (4), policy_name length (4) ...
  SECTION("a length that runs past the end") {
    std::string corrupt = bytes;
    std::memset(corrupt.data() + kPlanHeaderSize + 8, 0xff, 4);
    CHECK(refusal(resealed(corrupt)).find("runs past the end (in 'policy_name')") !=
          std::string::npos);
  }
  SECTION("a boolean that is neither 0 nor 1") {
    std::string corrupt = bytes;
    corrupt[kPlanHeaderSize + 16] = 7;  // no_new_privs, after two empty strings
    CHECK(refusal(resealed(corrupt)).find("neither 0 nor 1 (in 'no_new_privs')") !=
          std::string::npos);
  }
  SECTION("a payload that disagrees with its header") {
    std::string corrupt = bytes;
    corrupt[kPlanHeaderSize] = 9;  // PlanData::schema_version
    CHECK(refusal(resealed(corrupt)).find("disagrees with its header") != std::string::npos);
  }
}

TEST_CASE("the layout fingerprint is fixed at compile time", "[plan]") {
  // Two calls, same value; and it is not a trivial constant.
  CHECK(plan_layout_fingerprint() == plan_layout_fingerprint());
  CHECK(plan_layout_fingerprint() != 0);
  static_assert(plan_fields::field_count<PlanData>() == 19);
}

TEST_CASE("a sealed wrapper's plan is found by its footer", "[plan][sealed]") {
  test::TempDir dir;
  const std::string plan = sealed(busy_plan());
  const std::string stub =
      "\x7f"
      "ELF pretend stub";
  const std::string wrapper = dir.file("wrapper");
  test::write_file(wrapper, stub + plan + seal_footer(stub.size(), plan.size()), 0755);
  {
    const UniqueFd fd(::open(wrapper.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    CHECK(has_seal_footer(fd.get()));
    auto bytes = read_sealed_plan(fd.get());
    REQUIRE(bytes.has_value());
    CHECK(*bytes == plan);
  }
  SECTION("truncated: the footer no longer fits") {
    test::write_file(wrapper, stub + plan.substr(1) + seal_footer(stub.size(), plan.size()), 0755);
    const UniqueFd fd(::open(wrapper.c_str(), O_RDONLY | O_CLOEXEC));
    auto bytes = read_sealed_plan(fd.get());
    REQUIRE_FALSE(bytes.has_value());
    CHECK(bytes.error().find("does not fit the file") != std::string::npos);
  }
  SECTION("no footer: a bare stub") {
    test::write_file(wrapper, stub, 0755);
    const UniqueFd fd(::open(wrapper.c_str(), O_RDONLY | O_CLOEXEC));
    CHECK_FALSE(has_seal_footer(fd.get()));
    CHECK(read_sealed_plan(fd.get()).error().find("no plan is sealed") != std::string::npos);
  }
  SECTION("writable by others: refused before reading") {
    ::chmod(wrapper.c_str(), 0757);
    const UniqueFd fd(::open(wrapper.c_str(), O_RDONLY | O_CLOEXEC));
    CHECK(read_sealed_plan(fd.get()).error().find("writable by its group or by others") !=
          std::string::npos);
  }
}

TEST_CASE("a plan file others may write is refused", "[plan]") {
  test::TempDir dir;
  const std::string path = dir.file("svc.plan");
  test::write_file(path, sealed(busy_plan()), 0644);
  CHECK(read_plan_file(path).has_value());
  ::chmod(path.c_str(), 0664);
  auto refused = read_plan_file(path);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().find("mode 664") != std::string::npos);
}

namespace {

// A plan with its payload grown by `extra` zero bytes at the end (header and checksum fixed),
// so a corrupt count has room to look plausible against the bytes left.
std::string padded(std::string bytes, size_t extra) {
  const uint64_t payload = bytes.size() - kPlanHeaderSize - kPlanChecksumSize + extra;
  bytes.insert(bytes.size() - kPlanChecksumSize, extra, '\0');
  std::memcpy(bytes.data() + 40, &payload, 8);
  return resealed(std::move(bytes));
}

// Runs `decode` in a child and returns how much its peak resident set grew, in KiB.
long peak_growth_kib(const std::function<void()>& decode) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    rusage before{}, after{};
    ::getrusage(RUSAGE_SELF, &before);
    decode();
    ::getrusage(RUSAGE_SELF, &after);
    const long growth = after.ru_maxrss - before.ru_maxrss;
    (void)!::write(fds[1], &growth, sizeof growth);
    ::_exit(0);
  }
  ::close(fds[1]);
  long growth = -1;
  const ssize_t n = ::read(fds[0], &growth, sizeof growth);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(n == static_cast<ssize_t>(sizeof growth));
  REQUIRE(WIFEXITED(status));
  return growth;
}

}  // namespace

TEST_CASE("a crafted count is refused before it costs memory", "[plan][input]") {
  // The count of filesystem.view sits just before the first mount's kind (1 byte) and its
  // target's length (4 bytes): find it by a marker target.
  PlanData data = busy_plan();
  data.filesystem.view = {{ViewKind::tmpfs, "/MARKER-VIEW", "", false, false, 0, 0755, {}}};
  std::string bytes = padded(sealed(data), size_t{4} << 20);
  const size_t marker = bytes.find("/MARKER-VIEW");
  REQUIRE(marker != std::string::npos);
  const size_t at = marker - 4 - 1 - 4;
  uint32_t one = 0;
  std::memcpy(&one, bytes.data() + at, 4);
  REQUIRE(one == 1);
  // Fewer elements than bytes left, so "every element takes a byte" let it through, and
  // each decoded ViewMount is far larger than a byte.
  const uint32_t count = 4'000'000;
  std::memcpy(bytes.data() + at, &count, 4);
  bytes = resealed(std::move(bytes));
  const long growth = peak_growth_kib([&] {
    auto plan = plan_from_bytes(span_of(bytes));
    if (plan) ::_exit(3);
  });
  INFO(refusal(bytes));
  CHECK(refusal(bytes).find("runs past the end (in 'view')") != std::string::npos);
  INFO("peak RSS grew by " << growth << " KiB");
  CHECK(growth < 64 * 1024);
}

TEST_CASE("a crafted plan's every count stays cheap", "[plan][input]") {
  // Each 4-byte window of a real payload set to a large count in turn: refused or not, no
  // decode may grow the peak resident set by more than the decoder's ceiling.
  const std::string base = padded(sealed(busy_plan()), size_t{256} << 10);
  const size_t payload_end = base.size() - kPlanChecksumSize - (size_t{256} << 10);
  const long growth = peak_growth_kib([&] {
    for (size_t at = kPlanHeaderSize; at + 4 <= payload_end; ++at) {
      std::string bytes = base;
      const uint32_t count = 200'000;
      std::memcpy(bytes.data() + at, &count, 4);
      (void)plan_from_bytes(span_of(resealed(std::move(bytes))));
    }
  });
  INFO("peak RSS grew by " << growth << " KiB");
#ifdef HARDEN_SANITIZER_BUILD
  // AddressSanitizer's quarantine keeps freed memory resident: a few times the ceiling, still
  // far from the gigabytes an unbounded count costs.
  CHECK(growth < 4 * 64 * 1024);
#else
  CHECK(growth < 64 * 1024);
#endif
}

TEST_CASE("a plan's seccomp program is checked again on load", "[plan][input]") {
  PlanData data = busy_plan();
  SECTION("longer than the kernel's BPF_MAXINSNS (its length field would truncate it)") {
    data.seccomp.program.assign(BPF_MAXINSNS + 1, sock_filter{0x06, 0, 0, 0x7fff0000});
    CHECK(refusal(sealed(data)).find("seccomp program is invalid: program has 4097") !=
          std::string::npos);
  }
  SECTION("a jump out of the program") {
    data.seccomp.program = {{0x20, 0, 0, 4}, {0x15, 9, 0, 0xc000003e}, {0x06, 0, 0, 0}};
    CHECK(refusal(sealed(data)).find("seccomp program is invalid") != std::string::npos);
  }
  SECTION("no return at the end") {
    data.seccomp.program = {{0x06, 0, 0, 0x7fff0000}, {0x20, 0, 0, 4}};
    CHECK(refusal(sealed(data)).find("seccomp program is invalid") != std::string::npos);
  }
  SECTION("enabled with no program") {
    data.seccomp.program.clear();
    CHECK(refusal(sealed(data)).find("seccomp program is invalid: empty") != std::string::npos);
  }
}

TEST_CASE("a plan file is trusted only from its owner's and root's hands", "[plan][input]") {
  test::TempDir dir;  // 0700 under /tmp: sticky, so /tmp itself is no reason to refuse
  const std::string plan = sealed(busy_plan());
  const std::string path = dir.file("svc.plan");
  test::write_file(path, plan, 0644);
  REQUIRE(read_plan_file(path).has_value());
  const auto refused_with = [&](const std::string& file, const std::string& what) {
    auto bytes = read_plan_file(file);
    REQUIRE_FALSE(bytes.has_value());
    INFO(bytes.error());
    CHECK(bytes.error().find(what) != std::string::npos);
  };
  SECTION("a group-writable directory above it") {
    const std::string sub = dir.mkdir("shared", 0775);
    test::write_file(sub + "/svc.plan", plan, 0644);
    refused_with(sub + "/svc.plan", "the directory " + sub + " is writable by its group");
  }
  SECTION("a world-writable directory without the sticky bit") {
    const std::string sub = dir.mkdir("open", 0777);
    ::chmod(sub.c_str(), 0777);
    test::write_file(sub + "/svc.plan", plan, 0644);
    refused_with(sub + "/svc.plan", "(mode 777, not sticky)");
  }
  SECTION("a sticky world-writable directory with the plan root's or the caller's") {
    const std::string sub = dir.mkdir("sticky", 0777);
    ::chmod(sub.c_str(), 01777);
    test::write_file(sub + "/svc.plan", plan, 0644);
    CHECK(read_plan_file(sub + "/svc.plan").has_value());
  }
  SECTION("a symbolic link is judged by what it leads to") {
    const std::string sub = dir.mkdir("open", 0777);
    ::chmod(sub.c_str(), 0777);
    test::write_file(sub + "/svc.plan", plan, 0644);
    REQUIRE(::symlink((sub + "/svc.plan").c_str(), dir.file("link.plan").c_str()) == 0);
    refused_with(dir.file("link.plan"), "not sticky");
  }
  SECTION("larger than any plan") {
    test::write_file(path, "", 0644);
    REQUIRE(::truncate(path.c_str(), off_t{17} << 20) == 0);
    refused_with(path, "too large to be a plan");
  }
  if (::geteuid() == 0) {
    SECTION("owned by nobody") {
      REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
      refused_with(path, "owned by uid 65534, neither root nor the caller");
    }
    SECTION("in a directory owned by nobody") {
      const std::string sub = dir.mkdir("theirs", 0755);
      test::write_file(sub + "/svc.plan", plan, 0644);
      REQUIRE(::chown(sub.c_str(), 65534, 65534) == 0);
      refused_with(sub + "/svc.plan", "the directory " + sub + " is owned by uid 65534");
    }
  }
}
