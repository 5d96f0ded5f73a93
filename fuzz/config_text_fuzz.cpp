// The config loader on arbitrary bytes as YAML, JSON and JSON5: issues, never a crash; a
// rejected text names at least one error, with a message.
#include <durar/config.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  durar::environment env({{"HOME", "/nonexistent"}, {"OPENAI_API_KEY", "k"}});
  for (const char* name : {"fuzz.yaml", "fuzz.json", "fuzz.json5"}) {
    auto check = durar::check_config_text(text, name, env);
    if (check.ok()) continue;
    bool named = false;
    for (const auto& issue : check.issues)
      if (issue.level == durar::config_issue::severity::error && !issue.message.empty())
        named = true;
    if (!named) std::abort();
  }
  return 0;
}
