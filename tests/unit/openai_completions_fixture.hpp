// Shared by the openai-completions request and decoding tests: endpoints, models, data.
#pragma once

#include <durar/provider.hpp>

#include <catch2/catch.hpp>

#include "transports/openai_completions.hpp"
#include "transports/transports.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

// Every test file that compares json in CHECK declares this, or the linker may pick "{?}".
namespace Catch {
template <>
struct StringMaker<durar::json> {
  static std::string convert(const durar::json& v) { return v.dump(); }
};
}  // namespace Catch

namespace oai_test {

using namespace durar;

inline const std::string data_dir = std::string(DURAR_TEST_DATA) + "/providers/openai-completions/";

inline std::string slurp(const std::string& name) {
  std::ifstream in(data_dir + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing test data: " + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline provider_info native_provider() {
  provider_info p;
  p.id = "openai";
  p.name = "OpenAI";
  p.api = api_kind::openai_completions;
  p.base_url = "https://api.openai.com/v1";
  return p;
}

inline provider_info proxy_provider() {
  provider_info p;
  p.id = "vllm";
  p.name = "vLLM";
  p.api = api_kind::openai_completions;
  p.base_url = "http://127.0.0.1:8000/v1/";
  p.needs_key = false;
  return p;
}

inline model_info gpt54() {
  model_info m;
  m.provider = "openai";
  m.id = "gpt-5.4";
  m.api = api_kind::openai_completions;
  m.reasoning = true;
  m.input = {"text", "image"};
  m.cost = {2.5, 10, 1.25, 0};
  m.max_tokens = 128000;
  return m;
}

inline model_info gpt4o() {
  model_info m = gpt54();
  m.id = "gpt-4o";
  m.reasoning = false;
  m.max_tokens = 16384;
  return m;
}

inline model_info qwen() {
  model_info m;
  m.provider = "vllm";
  m.id = "qwen3-32b";
  m.api = api_kind::openai_completions;
  m.reasoning = true;
  m.input = {"text"};
  m.max_tokens = 8192;
  return m;
}

inline const transport& oai() {
  static auto t = detail::make_openai_completions_transport();
  return *t;
}

inline json as_json(const assistant_message& m) { return to_json(message(m)); }

}  // namespace oai_test
