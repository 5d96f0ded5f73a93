// durar::secret: a credential that never prints. fmt and iostreams show "***";
// the only way to the bytes is reveal(), used where the key goes on the wire.
#pragma once

#include <durar/export.hpp>

#include <ostream>
#include <string>
#include <string_view>

namespace durar {

class secret {
 public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}

  [[nodiscard]] const std::string& reveal() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
  // A short, non-reversible hint ("sk-…f3a9"-style tail is still too much):
  // only the length and a 4-hex fingerprint, to tell two keys apart in output.
  [[nodiscard]] DURAR_API std::string fingerprint() const;

  friend bool operator==(const secret& a, const secret& b) noexcept { return a.value_ == b.value_; }

 private:
  std::string value_;
};

inline std::ostream& operator<<(std::ostream& os, const secret&) { return os << "***"; }

}  // namespace durar

// fmt is not a dependency of the public headers; hosts that use fmt get the formatter.
#if __has_include(<fmt/format.h>)
#include <fmt/format.h>
template <>
struct fmt::formatter<durar::secret> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const durar::secret&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("***", ctx);
  }
};
#endif
