// json::parse on arbitrary bytes: never crashes; what parses writes back and re-parses equal.
#include <durar/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = durar::json::parse(text);
  if (!parsed) return 0;
  auto again = durar::json::parse(parsed->dump());
  if (!again || !(*again == *parsed)) std::abort();
  return 0;
}
