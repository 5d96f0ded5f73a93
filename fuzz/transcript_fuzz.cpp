// The transcript loader (session .jsonl files, which other programs and crashes also write):
// parse_transcript on arbitrary bytes never crashes; an error says why; the complete part it
// reports lies within the file, and re-reading just that part finds the same entries.
#include "session/session_internal.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path file = "/fuzz/session.jsonl";
  auto parsed = durar::detail::parse_transcript(text, file);
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();
    return 0;
  }
  if (parsed->complete_bytes > size) std::abort();
  if (parsed->complete_bytes < size) {
    auto prefix = durar::detail::parse_transcript(text.substr(0, parsed->complete_bytes), file);
    if (prefix && prefix->entries.size() > parsed->entries.size()) std::abort();
  }
  return 0;
}
