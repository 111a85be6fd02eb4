// What harden prints comes partly from others: a policy in a pull request, the file names of a
// checked-out tree, a process's comm. Text output shows their control characters and stray
// bytes as \xNN, so a policy cannot erase its own errors or retitle a reviewer's terminal;
// JSON output stays valid JSON whatever the bytes (nlohmann threw on a file name that is not
// UTF-8, and harden ended with abort()).
#include <catch2/catch.hpp>

#include <csignal>
#include <nlohmann/json.hpp>
#include <string>

#include "policy/diagnostics.hpp"
#include "tests/support/harness.hpp"

using namespace harden;
using namespace harden::test;
using nlohmann::json;

TEST_CASE("printable: control characters and stray bytes escaped, UTF-8 kept", "[diagnostics]") {
  CHECK(printable("plain text, tab\there") == "plain text, tab\there");
  CHECK(printable("\x1b]0;title\x07") == "\\x1b]0;title\\x07");
  CHECK(printable("line\nbreak\r") == "line\\x0abreak\\x0d");
  CHECK(printable(std::string("nul\0byte", 8)) == "nul\\x00byte");
  CHECK(printable("del\x7f") == "del\\x7f");
  // Well-formed UTF-8 stays as it is: two, three and four bytes.
  CHECK(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92") ==
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
  // C1 controls (U+009B is a CSI to some terminals), stray and truncated bytes, overlong
  // forms, surrogates and code points past U+10FFFF are escaped byte by byte.
  CHECK(printable("\xc2\x9b"
                  "2J") ==
        "\\xc2\\x9b"
        "2J");
  CHECK(printable("a\xff"
                  "b") ==
        "a\\xff"
        "b");
  CHECK(printable("\x9b") == "\\x9b");
  CHECK(printable("\xe2\x82") == "\\xe2\\x82");
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");
  CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");
}

TEST_CASE("a policy's escape sequences reach the terminal as text", "[cli][input]") {
  TempDir dir{"harden-escapes"};
  // \u001b in TOML strings: valid TOML, and before, printed raw in "unknown user '...'". The
  // second clears the screen, the third moves the cursor up and erases the line.
  const std::string policy = dir.file("escapes.toml");
  write_file(policy,
             "[policy]\nname = \"escapes\"\n[identity]\nuser = \"\\u001b]0;PWNED\\u0007x\"\n"
             "[seccomp]\nallow = [\"\\u001b[2Jread\", \"\\u009b1A\\u001b[2Kwrite\"]\n");
  for (const char* command : {"validate", "lint"}) {
    RunResult r = run_harden({command, "--host", policy});
    INFO(r.describe());
    CHECK(r.exited(125));
    const std::string all = r.out + r.err;
    CHECK(all.find('\x1b') == std::string::npos);
    CHECK(all.find('\x07') == std::string::npos);
    CHECK(all.find("\xc2\x9b") == std::string::npos);
    CHECK(all.find("unknown user '\\x1b]0;PWNED\\x07x'") != std::string::npos);
    CHECK(all.find("unknown syscall '\\x1b[2Jread'") != std::string::npos);
    CHECK(all.find("unknown syscall '\\xc2\\x9b1A\\x1b[2Kwrite'") != std::string::npos);
  }
}

TEST_CASE("a file name that is not UTF-8 is reported, never the end of harden", "[cli][input]") {
  TempDir dir{"harden-names"};
  const std::string name = dir.file("web-\xff.toml");
  write_file(name, "[policy]\nname = \"web\"\n[identity]\nuser = \"nobody\"\n");
  RunResult sarif = run_harden({"lint", "--format", "sarif", dir.path()});
  INFO(sarif.describe());
  CHECK_FALSE(sarif.killed_by(SIGABRT));
  CHECK((sarif.exited(0) || sarif.exited(1)));
  const json doc = json::parse(sarif.out);
  const std::string uri =
      doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
  CHECK(uri.find("web-\xef\xbf\xbd.toml") != std::string::npos);  // U+FFFD

  RunResult validate = run_harden({"validate", "--format", "json", dir.path()});
  INFO(validate.describe());
  CHECK(validate.exited(0));
  CHECK(json::parse(validate.out)["policies"][0]["valid"] == true);

  RunResult text = run_harden({"validate", dir.path()});
  CHECK(text.exited(0));
  CHECK(text.out.find("web-\\xff.toml: ok") != std::string::npos);
}

TEST_CASE("denials: names the kernel wrote hex-encoded reach the terminal as text",
          "[cli][denials]") {
  // The kernel hex-encodes a path, comm or exe holding a control character; harden decodes
  // them, so a target that named a file (or itself) with an escape sequence had it printed raw
  // on the admin's terminal, and a byte that is not UTF-8 ended --format json with abort().
  TempDir dir{"harden-denials-names"};
  const std::string log = dir.file("audit.log");
  // path "/tmp/\x1b[2Jx", comm "\x1b]0;t\x07\xff", exe "/bin/\x9b" (a C1 CSI byte).
  write_file(log,
             "type=LANDLOCK_ACCESS msg=audit(1765000000.100:42): domain=1a2b3c "
             "blockers=fs.read_file path=2F746D702F1B5B324A78 dev=\"vda\" ino=7\n"
             "type=LANDLOCK_DOMAIN msg=audit(1765000000.100:42): domain=1a2b3c status=allocated "
             "mode=enforcing pid=4242 uid=0 exe=2F62696E2F9B comm=1B5D303B7407FF\n");
  RunResult text = run_harden({"denials", "--audit-log", log});
  INFO(text.describe());
  CHECK(text.exited(0));
  CHECK(text.out.find('\x1b') == std::string::npos);
  CHECK(text.out.find('\x07') == std::string::npos);
  CHECK(text.out.find("pid 4242 (\\x1b]0;t\\x07\\xff): refused by Landlock (fs.read_file) on "
                      "\"/tmp/\\x1b[2Jx\"") != std::string::npos);

  RunResult json_run = run_harden({"denials", "--format", "json", "--audit-log", log});
  INFO(json_run.describe());
  CHECK_FALSE(json_run.killed_by(SIGABRT));
  CHECK(json_run.exited(0));
  const json doc = json::parse(json_run.out);
  REQUIRE(doc["landlock"].size() == 1);
  CHECK(doc["landlock"][0]["path"] == "/tmp/\x1b[2Jx");             // JSON escapes it: \u001b
  CHECK(doc["landlock"][0]["comm"] == "\x1b]0;t\x07\xef\xbf\xbd");  // U+FFFD
  CHECK(doc["landlock"][0]["exe"] == "/bin/\xef\xbf\xbd");
}

TEST_CASE("explain: a policy's escape sequences are shown as text", "[cli][explain]") {
  TempDir dir{"harden-explain-escapes"};
  const std::string policy = dir.file("escapes.toml");
  write_file(policy,
             "[policy]\nname = \"escapes\"\n[identity]\nuser = \"nobody\"\n"
             "[landlock]\nread = [\"/srv/\\u001b[2Jdata\"]\n");
  RunResult r = run_harden({"explain", policy});
  INFO(r.describe());
  REQUIRE(r.exited(0));
  CHECK(r.out.find('\x1b') == std::string::npos);
  CHECK(r.out.find("/srv/\\x1b[2Jdata") != std::string::npos);
  CHECK(r.out.find('\n') != std::string::npos);  // still lines
}
