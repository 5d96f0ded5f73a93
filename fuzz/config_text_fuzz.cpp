// The config loader on arbitrary bytes, as YAML and as JSON5: issues, never a crash.
#include <durar/config.hpp>

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  durar::environment env({{"HOME", "/nonexistent"}, {"OPENAI_API_KEY", "k"}});
  (void)durar::check_config_text(text, "fuzz.yaml", env);
  (void)durar::check_config_text(text, "fuzz.json5", env);
  return 0;
}
