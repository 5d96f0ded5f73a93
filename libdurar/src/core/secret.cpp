#include <durar/secret.hpp>

#include <fmt/format.h>

#include <cstdint>

namespace durar {

std::string secret::fingerprint() const {
  // FNV-1a folded to 16 bits: enough to tell keys apart, far too little to recover one.
  std::uint32_t h = 2166136261u;
  for (unsigned char c : value_) h = (h ^ c) * 16777619u;
  return fmt::format("len {}, #{:04x}", value_.size(), (h ^ (h >> 16)) & 0xffffu);
}

}  // namespace durar
