// Hostile policy input: `extends` reads only regular policy files of at most 1 MiB beneath the
// policy's own directory or the search path, never hangs on a FIFO, never follows a symbolic
// link out, and never quotes a file that did not parse (it may be /etc/shadow).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "policy/policy_files.hpp"
#include "policy/policy_reader.hpp"
#include "tests/support/harness.hpp"

using namespace harden;
using namespace harden::test;

namespace {

constexpr const char* kSecretLine = "root:$6$SECRETHASHxyz:19000:0:99999:7:::";

struct Read {
  bool ok = false;
  std::string text;  // every diagnostic, rendered
};

Read read_in(const std::string& path, std::vector<std::string> search_path = {}) {
  Diagnostics diags;
  RealPolicyFileSystem files;
  const bool ok = read_policy(path, diags, files, std::move(search_path)).has_value();
  return {ok, render_all(diags)};
}

std::string child_extending(const std::string& entry) {
  return "[policy]\nname = \"child\"\nextends = [\"" + entry + "\"]\n";
}

}  // namespace

TEST_CASE("extends: a base that is not a policy is never quoted", "[policy][extends][input]") {
  TempDir dir;
  write_file(dir.file("shadow"), std::string(kSecretLine) + "\ndaemon:*:19000:0:99999:7:::\n",
             0600);
  write_file(dir.file("child.toml"), child_extending("shadow"));
  const Read r = read_in(dir.file("child.toml"));
  INFO(r.text);
  CHECK_FALSE(r.ok);
  CHECK(r.text.find("SECRETHASH") == std::string::npos);
  CHECK(r.text.find(dir.file("shadow") + ":1:") != std::string::npos);  // where, still

  SECTION("nor as the policy itself") {
    const Read main = read_in(dir.file("shadow"));
    INFO(main.text);
    CHECK_FALSE(main.ok);
    CHECK(main.text.find("SECRETHASH") == std::string::npos);
  }
  SECTION("a file that parsed is still quoted, with its caret") {
    write_file(dir.file("child.toml"), child_extending("base.toml") + "[identty]\n");
    write_file(dir.file("base.toml"), "[limits]\nnofile = 64\n");
    const Read quoted = read_in(dir.file("child.toml"));
    CHECK(quoted.text.find("  [identty]\n   ^~~~~~~\n") != std::string::npos);
  }
}

TEST_CASE("someone else's TOML is never quoted, as a base or as the policy itself",
          "[policy][extends][input]") {
  // A registry token file or a service's configuration parses as TOML; a path a pull request
  // chose may lead to one. Its errors keep their positions, without any of its lines.
  TempDir dir;
  write_file(dir.file("credentials.toml"), "[registry]\ntoken = \"SECRETTOKEN\"\n", 0600);
  write_file(dir.file("flat.toml"), "token = \"SECRETTOKEN\"\n", 0600);
  for (const char* file : {"credentials.toml", "flat.toml"}) {
    INFO(file);
    const Read main = read_in(dir.file(file));
    INFO(main.text);
    CHECK_FALSE(main.ok);
    CHECK(main.text.find("SECRETTOKEN") == std::string::npos);
    CHECK(main.text.find(dir.file(file) + ":1:") != std::string::npos);  // where, still
    CHECK(main.text.find("error: unknown section") != std::string::npos);
    write_file(dir.file("child.toml"), child_extending(file));
    const Read base = read_in(dir.file("child.toml"));
    INFO(base.text);
    CHECK_FALSE(base.ok);
    CHECK(base.text.find("SECRETTOKEN") == std::string::npos);
  }
  SECTION("a base made only of policy sections is quoted, with its caret") {
    write_file(dir.file("base.toml"), "[seccomp]\nallow = [\"read\"]\nbogus = 1\n");
    write_file(dir.file("child.toml"), child_extending("base.toml"));
    const Read quoted = read_in(dir.file("child.toml"));
    INFO(quoted.text);
    CHECK(quoted.text.find("  bogus = 1\n  ^~~~~\n") != std::string::npos);
  }
}

TEST_CASE("extends: /dev/zero, a directory and a FIFO are refused without reading",
          "[policy][extends][input]") {
  TempDir dir;
  SECTION("/dev/zero as the policy") {
    const Read r = read_in("/dev/zero");
    CHECK_FALSE(r.ok);
    CHECK(r.text.find("not a regular file") != std::string::npos);
  }
  SECTION("a FIFO as the policy and as a base") {
    REQUIRE(::mkfifo(dir.file("fifo.toml").c_str(), 0600) == 0);
    const Read main = read_in(dir.file("fifo.toml"));
    CHECK_FALSE(main.ok);
    CHECK(main.text.find("not a regular file") != std::string::npos);
    write_file(dir.file("child.toml"), child_extending("fifo.toml"));
    const Read base = read_in(dir.file("child.toml"));
    INFO(base.text);
    CHECK_FALSE(base.ok);
    CHECK(base.text.find("child.toml:3:") != std::string::npos);
    CHECK(base.text.find("not a regular file") != std::string::npos);
  }
  SECTION("a directory as a base") {
    dir.mkdir("sub.toml");
    write_file(dir.file("child.toml"), child_extending("sub.toml"));
    CHECK(read_in(dir.file("child.toml")).text.find("not a regular file") != std::string::npos);
  }
  SECTION("/dev/zero as a base is outside the tree") {
    write_file(dir.file("child.toml"), child_extending("/dev/zero"));
    const Read r = read_in(dir.file("child.toml"));
    CHECK_FALSE(r.ok);
    CHECK(r.text.find("is outside the policy's directory") != std::string::npos);
  }
}

TEST_CASE("extends: nothing outside the policy's tree, by '..', absolute path or symlink",
          "[policy][extends][input]") {
  TempDir dir;
  const std::string tree = dir.mkdir("tree");
  write_file(dir.file("outside.toml"), "[limits]\nnofile = 64\n");
  write_file(dir.file("tree/real.toml"), "[limits]\nnofile = 32\n");
  const std::string child = dir.file("tree/child.toml");

  SECTION("'..' out of the tree") {
    write_file(child, child_extending("../outside.toml"));
    CHECK(read_in(child).text.find("leads outside the directory") != std::string::npos);
  }
  SECTION("an absolute path out of the tree") {
    write_file(child, child_extending(dir.file("outside.toml")));
    CHECK(read_in(child).text.find("is outside the policy's directory") != std::string::npos);
  }
  SECTION("a symbolic link out of the tree, absolute or relative") {
    REQUIRE(::symlink(dir.file("outside.toml").c_str(), dir.file("tree/abs.toml").c_str()) == 0);
    REQUIRE(::symlink("../outside.toml", dir.file("tree/rel.toml").c_str()) == 0);
    for (const char* link : {"abs.toml", "rel.toml"}) {
      write_file(child, child_extending(link));
      const Read r = read_in(child);
      INFO(link << "\n" << r.text);
      CHECK_FALSE(r.ok);
      CHECK(r.text.find("symbolic link in it leads outside") != std::string::npos);
    }
  }
  SECTION("a symbolic link inside the tree, and an absolute path into it, are fine") {
    REQUIRE(::symlink("real.toml", dir.file("tree/alias.toml").c_str()) == 0);
    write_file(child, child_extending("alias.toml"));
    const Read alias = read_in(child);
    INFO(alias.text);
    CHECK(alias.ok);
    write_file(child, child_extending(tree + "/real.toml"));
    CHECK(read_in(child).ok);
  }
}

TEST_CASE("extends: a policy file over 1 MiB is refused, as the policy or as a base",
          "[policy][extends][input]") {
  TempDir dir;
  std::string big = "[policy]\nname = \"big\"\n";
  big += std::string(kMaxPolicyFileSize, '#') + "\n";
  write_file(dir.file("big.toml"), big);
  const Read main = read_in(dir.file("big.toml"));
  CHECK_FALSE(main.ok);
  CHECK(main.text.find("larger than 1 MiB") != std::string::npos);
  write_file(dir.file("child.toml"), child_extending("big.toml"));
  const Read base = read_in(dir.file("child.toml"));
  CHECK_FALSE(base.ok);
  CHECK(base.text.find("larger than 1 MiB") != std::string::npos);
}

TEST_CASE("extends: the search path finds bases from anywhere", "[policy][extends][input]") {
  TempDir dir;
  const std::string shipped = source_dir() + "/policies";
  write_file(dir.file("child.toml"), child_extending("base/service.toml"));

  SECTION("the shipped base/service.toml through the search path") {
    const Read r = read_in(dir.file("child.toml"), {"/nonexistent/harden", shipped});
    INFO(r.text);
    CHECK(r.ok);
    const Read without = read_in(dir.file("child.toml"), {});
    CHECK_FALSE(without.ok);
    CHECK(without.text.find("no such base") != std::string::npos);
  }
  SECTION("the policy's own tree comes first") {
    dir.mkdir("base");
    write_file(dir.file("base/service.toml"), "[limits]\nnofile = 7\n");
    Diagnostics diags;
    RealPolicyFileSystem files;
    const auto policy = read_policy(dir.file("child.toml"), diags, files, {shipped});
    REQUIRE(policy);
    REQUIRE(policy->meta.extends_chain.size() == 2);
    CHECK(policy->meta.extends_chain.front() == dir.file("base/service.toml"));
  }
  SECTION("a base in the search path resolves its bases there, never in the caller's tree") {
    TempDir search;
    search.mkdir("base");
    write_file(search.file("base/a.toml"), child_extending("../common.toml"));
    write_file(search.file("common.toml"), "[limits]\nnofile = 9\n");
    write_file(dir.file("child.toml"), child_extending("base/a.toml"));
    const Read r = read_in(dir.file("child.toml"), {search.path()});
    INFO(r.text);
    CHECK(r.ok);
  }
  SECTION("HARDEN_POLICY_PATH sets it for the harden command") {
    const RunResult ok = run_harden({"validate", dir.file("child.toml")},
                                    {.env = {"HARDEN_POLICY_PATH=" + shipped}});
    INFO(ok.describe());
    CHECK(ok.exited(0));
    const RunResult refused = run_harden({"validate", dir.file("child.toml")},
                                         {.env = {"HARDEN_POLICY_PATH=/nonexistent"}});
    INFO(refused.describe());
    CHECK(refused.exited(125));
    CHECK(refused.err.find("HARDEN_POLICY_PATH") != std::string::npos);
  }
}

TEST_CASE("extends: the resolver runs on a fake file set", "[policy][extends][input]") {
  FakePolicyFileSystem files;
  files.files["/p/web.toml"] = child_extending("base/svc.toml");
  files.files["/p/base/svc.toml"] = child_extending("../../etc/x.toml");
  Diagnostics diags;
  CHECK_FALSE(read_policy("/p/web.toml", diags, files, {"/usr/share/harden/policies"}));
  CHECK(render_all(diags).find("leads outside the directory /p") != std::string::npos);

  files.files["/p/base/svc.toml"] = child_extending("common.toml");
  files.files["/usr/share/harden/policies/common.toml"] = "[limits]\nnofile = 5\n";
  Diagnostics found;
  const auto policy = read_policy("/p/web.toml", found, files, {"/usr/share/harden/policies"});
  INFO(render_all(found));
  REQUIRE(policy);
  CHECK(policy->meta.extends_chain.front() == "/usr/share/harden/policies/common.toml");
}

TEST_CASE("a NUL byte is refused at its position, never passed to the TOML parser",
          "[policy][input]") {
  // Found by the policy_reader fuzzer: toml++ asserts on "[\0" in a debug build.
  Diagnostics diags;
  FakePolicyFileSystem files;
  CHECK_FALSE(read_policy_text(std::string("[policy]\nname = \"x\"\n[\0\0\x02", 24), "/p/nul.toml",
                               diags, files, {}));
  REQUIRE(diags.all().size() == 1);
  CHECK(diags.all()[0].pos.line == 3);
  CHECK(diags.all()[0].pos.column == 2);
  CHECK(diags.all()[0].message.find("NUL byte") != std::string::npos);
}

TEST_CASE("an unclosed table header with a colon is a syntax error, not an abort in toml++",
          "[policy][input]") {
  // Found by the policy_reader fuzzer: a toml++ debug assertion aborted the sanitizer build.
  Diagnostics diags;
  FakePolicyFileSystem files;
  CHECK_FALSE(read_policy_text("[:seccomp]\n", "/p/colon.toml", diags, files, {}));
  REQUIRE(diags.all().size() == 1);
  CHECK(diags.all()[0].pos.line == 1);
  CHECK(diags.all()[0].pos.column == 2);
}

TEST_CASE("characters toml++ 3.3 mishandles are refused before it sees them", "[policy][input]") {
  // Found by the fuzzers: U+00A1 where toml++ asks "is this whitespace?" (between tokens, or
  // anywhere while it records a bad value) reached __builtin_unreachable in its table.
  Diagnostics diags;
  FakePolicyFileSystem files;
  CHECK_FALSE(read_policy_text("[policy]\nname = \"x\"\xc2\xa1\n", "/p/u.toml", diags, files, {}));
  REQUIRE(diags.all().size() == 1);
  CHECK(diags.all()[0].pos.line == 2);
  CHECK(diags.all()[0].pos.column == 11);
  CHECK(diags.all()[0].message.find("U+00A1") != std::string::npos);
  CHECK(diags.all()[0].hint.find("\\u00A1") != std::string::npos);
  // Each end of each range is refused; the code points just outside are not (U+3000, in the
  // middle, toml++ answers itself). A long fuzz run found U+FB3F, missed by the first list.
  const auto utf8 = [](char32_t c) {
    std::string s;
    if (c < 0x800) {
      s += static_cast<char>(0xC0 | (c >> 6));
    } else {
      s += static_cast<char>(0xE0 | (c >> 12));
      s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    }
    s += static_cast<char>(0x80 | (c & 0x3F));
    return s;
  };
  const auto refused = [&](char32_t c) {
    Diagnostics d;
    FakePolicyFileSystem f;
    const bool read =
        read_policy_text("[policy]\nname = \"x\"\ndescription = \"" + utf8(c) + "\"\n", "/p/c.toml",
                         d, f, {})
            .has_value();
    return !read && !d.all().empty() &&
           d.all()[0].message.find("cannot read safely") != std::string::npos;
  };
  for (const char32_t c : {0xA1, 0x499, 0x2C5E, 0x2FFF, 0x3001, 0x3057, 0xFB26, 0xFB3F, 0xFEFE}) {
    INFO(static_cast<unsigned>(c));
    CHECK(refused(c));
  }
  for (const char32_t c : {0xA0, 0x49A, 0x2C5D, 0x3000, 0x3058, 0xFB25, 0xFEFF, 0xFF3F}) {
    INFO(static_cast<unsigned>(c));
    CHECK_FALSE(refused(c));
  }
  // The fuzzer's input itself (extends_resolver, crash-d40cb6bd): refused, not undefined.
  Diagnostics fuzzed;
  CHECK_FALSE(
      read_policy_text("\n9=797\xef\xbc\xbf"
                       "77/\xef\xbc\xbf"
                       "77/\xef\xac\xbf\"\x0f[",
                       "/p/fuzzed.toml", fuzzed, files, {}));
  Diagnostics escaped;
  CHECK(read_policy_text("[policy]\nname = \"x\"\ndescription = \"caf\\u00e9 \xe6\x97\xa5\"\n",
                         "/p/fine.toml", escaped, files, {}));
  INFO(render_all(escaped));
}
