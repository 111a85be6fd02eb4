// harden status --format json, as root, against a table this test makes (and removes) in the
// host's nftables: the document must list it among the tables harden owns.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include "tests/support/harness.hpp"

using namespace harden::test;
using nlohmann::json;

namespace {

// A "harden_"-named table for the life of the object.
class OwnedTable {
 public:
  explicit OwnedTable(std::string name) : nft_(find_program("nft")), name_(std::move(name)) {
    if (nft_.empty()) skip("nft is not installed");
    const RunResult r = run({nft_, "add", "table", "inet", name_});
    if (!r.exited(0)) skip("cannot add an nftables table: " + r.err);
  }
  ~OwnedTable() { (void)run({nft_, "delete", "table", "inet", name_}); }
  OwnedTable(const OwnedTable&) = delete;
  OwnedTable& operator=(const OwnedTable&) = delete;

 private:
  std::string nft_;
  std::string name_;
};

}  // namespace

TEST_CASE("status --format json lists the tables harden owns", "[status][root]") {
  require_root();
  const std::string name = "harden_status_" + std::to_string(::getpid());
  {
    const OwnedTable table(name);
    RunResult r = run_harden({"status", "--format", "json"});
    INFO(r.describe());
    const json doc = json::parse(r.out);
    REQUIRE(doc["nftables_tables"].is_array());
    CHECK(std::find(doc["nftables_tables"].begin(), doc["nftables_tables"].end(), name) !=
          doc["nftables_tables"].end());
    CHECK(doc["audit_rules"].is_array());
    CHECK(doc["errors"].is_array());
    CHECK(r.exited(doc["errors"].empty() ? 0 : 1));
  }
  // Gone once removed: the document reflects the host, not a cache.
  const json after = json::parse(run_harden({"status", "--format", "json"}).out);
  CHECK(std::find(after["nftables_tables"].begin(), after["nftables_tables"].end(), name) ==
        after["nftables_tables"].end());
}
