// The test harness must never delete host files: a bind mount or a symlink left inside a
// TempDir (as jail and constructed-root tests make) points at the host.
#include <catch2/catch.hpp>

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/harness.hpp"

using namespace harden::test;

TEST_CASE("TempDir removal does not reach through bind mounts or symlinks", "[harness][root]") {
  require_root();
  TempDir host("harden-host-canary");
  const std::string canary = host.file("canary");
  write_file(canary, "keep me");
  {
    TempDir scratch("harden-scratch");
    const std::string mount_point = scratch.mkdir("jail/host");
    REQUIRE(::mount(host.path().c_str(), mount_point.c_str(), nullptr, MS_BIND, nullptr) == 0);
    std::filesystem::create_symlink(host.path(), scratch.file("link"));
    REQUIRE(path_exists(mount_point + "/canary"));
  }  // scratch removed here, with the bind mount still in place
  CHECK(path_exists(canary));
  CHECK(read_file(canary) == "keep me");
}
