// Which systemd unit harden runs in, decided from facts a caller cannot set by itself (its
// cgroup membership and systemd as PID 1), never from INVOCATION_ID.
#include <catch2/catch.hpp>

#include "enforcer/layers.hpp"

using harden::enforce::cgroup::systemd_unit_of;

TEST_CASE("a unit is recognised only in systemd's hierarchy and with systemd as PID 1",
          "[cgroup]") {
  const std::string unified = "0::/system.slice/web.service\n";
  CHECK(systemd_unit_of(unified, "systemd") == "web.service");
  CHECK(systemd_unit_of("0::/system.slice/run-r1.scope\n", "systemd") == "run-r1.scope");
  // Delegate=yes: harden in a subgroup of its unit.
  CHECK(systemd_unit_of("0::/system.slice/web.service/payload\n", "systemd") == "web.service");
  // Hybrid: systemd's own v1 hierarchy names the unit, the unified one is the root.
  CHECK(systemd_unit_of("9:name=systemd:/system.slice/db.service\n8:pids:/\n0::/\n", "systemd") ==
        "db.service");

  // The same cgroup path when PID 1 is not systemd (a container's init, a test machine).
  CHECK(systemd_unit_of(unified, "process_api").empty());
  CHECK(systemd_unit_of(unified, "").empty());
  // A v1 controller's path means nothing to systemd.
  CHECK(systemd_unit_of("4:memory:/fake.service\n0::/\n", "systemd").empty());
  // No unit: a slice, the root, a name that only looks like one.
  CHECK(systemd_unit_of("0::/system.slice\n", "systemd").empty());
  CHECK(systemd_unit_of("0::/\n", "systemd").empty());
  CHECK(systemd_unit_of("0::/.service\n", "systemd").empty());
  CHECK(systemd_unit_of("0::/my.service.d/x\n", "systemd").empty());
}
