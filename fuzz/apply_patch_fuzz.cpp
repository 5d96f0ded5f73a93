// apply_patch input (written by the model, so untrusted): parse_patch on arbitrary bytes, then
// each update's chunks applied to a file text. Input: patch text, optionally followed by a NUL
// and the file's text. Errors carry a message; nothing crashes.
#include "tools/patch_parse.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view file_text;
  if (auto nul = input.find('\0'); nul != std::string_view::npos) {
    file_text = input.substr(nul + 1);
    input = input.substr(0, nul);
  }
  auto ops = durar::detail::parse_patch(input);
  if (!ops) {
    if (ops.error().message.empty()) std::abort();
    return 0;
  }
  for (const auto& op : *ops) {
    if (op.what != durar::detail::patch_op::kind::update) continue;
    auto applied = durar::detail::apply_chunks(file_text, op.chunks, op.path);
    if (!applied && applied.error().message.empty()) std::abort();
  }
  return 0;
}
