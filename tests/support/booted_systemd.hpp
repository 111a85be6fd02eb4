// A real systemd, booted as PID 1 of fresh PID, mount, network and cgroup namespaces, for tests
// that run harden as a service (Type=notify, socket activation, systemctl stop). The namespace gets
// its own /run (units go to /run/systemd/system) and a cgroup2 tree delegated from a uniquely named
// cgroup of the host, so the host's systemd (if any) and services are never touched. Everything is
// torn down by the destructor: systemd is killed (which ends the whole PID namespace), the mounts
// vanish with the mount namespace, the cgroups are removed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/harness.hpp"

namespace harden::test {

class BootedSystemd {
 public:
  // Boots and waits until systemd answers; skips (with the reason) when the machine cannot.
  BootedSystemd();
  ~BootedSystemd();
  BootedSystemd(const BootedSystemd&) = delete;
  BootedSystemd& operator=(const BootedSystemd&) = delete;

  // systemd's pid as the host sees it.
  [[nodiscard]] pid_t pid() const { return systemd_pid_; }
  // `systemctl ARGS...` inside the namespace.
  RunResult systemctl(std::vector<std::string> args) const;
  // Writes a unit into the namespace's /run/systemd/system and reloads.
  void install_unit(const std::string& name, const std::string& text) const;
  // `systemctl show -p PROPERTY --value UNIT`.
  [[nodiscard]] std::string property(const std::string& unit, const std::string& name) const;
  // Polls until the property has the value; false on timeout.
  bool wait_for(const std::string& unit, const std::string& name, const std::string& value,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  // Connects to 127.0.0.1:PORT inside the namespace (it has its own loopback), sends `request`
  // (if any) and returns everything the peer writes until it closes; empty when the
  // connection fails.
  [[nodiscard]] std::string connect_and_read(uint16_t port, const std::string& request = {}) const;
  // A path inside the namespace, as the host reaches it (/proc/PID/root/...).
  [[nodiscard]] std::string host_path(const std::string& inside) const;
  // What systemd wrote on its console (for failure messages).
  [[nodiscard]] std::string console() const;

 private:
  TempDir dir_{"harden-systemd"};
  std::string cgroup_;  // the host cgroup delegated to the namespace
  pid_t unshare_pid_ = -1;
  pid_t systemd_pid_ = -1;
};

}  // namespace harden::test
