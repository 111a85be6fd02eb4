// SHA-256 (FIPS 180-4), small and self-contained so the plan library needs no crypto library.
// It guards the plan file against corruption and truncation; it is not a signature: whoever
// can write the file can also write a matching checksum. Integrity against an attacker comes
// from who owns the file and who may write it (see plan_io.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace harden {

using Sha256Digest = std::array<unsigned char, 32>;

class Sha256 {
 public:
  Sha256();
  void update(std::span<const unsigned char> data);
  [[nodiscard]] Sha256Digest finish();

 private:
  void block(const unsigned char* p);
  std::array<uint32_t, 8> state_;
  std::array<unsigned char, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

[[nodiscard]] Sha256Digest sha256(std::span<const unsigned char> data);

}  // namespace harden
