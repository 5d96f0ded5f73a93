// Streamed tool arguments: parse_partial_json on arbitrary bytes never crashes, and on every
// prefix of a document that parses whole, what it returns writes out as valid JSON.
#include <durar/json.hpp>

#include "transports/partial_json.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  durar::json value = durar::detail::parse_partial_json(text);
  // What it returns is always a value that writes back as a document json::parse accepts.
  auto again = durar::json::parse(value.dump());
  if (!again || !(*again == value)) std::abort();
  // A complete document reads as itself.
  if (auto whole = durar::json::parse(text); whole && !(*whole == value)) std::abort();
  return 0;
}
