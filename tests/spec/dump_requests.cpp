// Writes the request body every built-in transport builds for a set of sample conversations,
// as <out>/<api>/<variant><case>.json, for validate_requests.py to check against the vendors'
// official schemas. Adding a transport is one row in `targets`.
#include <durar/provider.hpp>

#include "transports/embeddings.hpp"
#include "transports/transports.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace durar;

namespace {

struct target {
  std::function<std::shared_ptr<const transport>()> make;
  api_kind api;
  std::string variant;  // file-name prefix when one api has several endpoint kinds
  std::string provider_id;
  std::string base_url;
  std::string model_id;
};

const std::vector<target> targets = {
    {detail::make_openai_completions_transport, api_kind::openai_completions, "", "openai",
     "https://api.openai.com/v1", "gpt-5.4"},
    {detail::make_openai_completions_transport, api_kind::openai_completions, "proxy-", "vllm",
     "http://127.0.0.1:8000/v1", "qwen3-32b"},
    {detail::make_openai_responses_transport, api_kind::openai_responses, "", "openai",
     "https://api.openai.com/v1", "gpt-5.4"},
    {detail::make_anthropic_messages_transport, api_kind::anthropic_messages, "", "anthropic",
     "https://api.anthropic.com", "claude-sonnet-4-6"},
    {detail::make_google_generative_ai_transport, api_kind::google_generative_ai, "", "google",
     "https://generativelanguage.googleapis.com/v1beta", "gemini-2.5-pro"},
    {detail::make_ollama_transport, api_kind::ollama, "", "ollama", "http://127.0.0.1:11434",
     "qwen3:8b"},
};

// Embedding wires: <out>/<folder>/<case>.json, checked against the wire's own request schema.
struct embedding_target {
  std::string folder;
  api_kind api;
  std::string provider_id;
  std::string base_url;
  std::string model_id;
};

const std::vector<embedding_target> embedding_targets = {
    {"openai-embeddings", api_kind::openai_completions, "openai", "https://api.openai.com/v1",
     "text-embedding-3-small"},
    {"google-embeddings", api_kind::google_generative_ai, "google",
     "https://generativelanguage.googleapis.com/v1beta", "gemini-embedding-001"},
    {"ollama-embeddings", api_kind::ollama, "ollama", "http://127.0.0.1:11434", "nomic-embed-text"},
};

// A 1x1 PNG, so vendors that sniff image bytes see a real one.
constexpr const char* png =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg"
    "==";

std::vector<tool_definition> sample_tools() {
  json exec_params = json::object(
      {{"type", "object"},
       {"properties",
        json::object({{"command",
                       json::object({{"type", "string"}, {"description", "Shell command to run"}})},
                      {"timeout", json::object({{"type", "integer"}, {"minimum", 1}})}})},
       {"required", json::array({"command"})}});
  json read_params =
      json::object({{"type", "object"},
                    {"properties", json::object({{"path", json::object({{"type", "string"}})}})},
                    {"required", json::array({"path"})}});
  return {{"exec", "Run a shell command in the workspace", exec_params},
          {"read", "Read a file from the workspace", read_params}};
}

user_message user(std::string text) {
  user_message u = user_text(std::move(text));
  u.timestamp = 1776762843000;
  return u;
}

assistant_message reply_from(const model_info& from, std::string api) {
  assistant_message a;
  a.api = std::move(api);
  a.provider = from.provider;
  a.model = from.id;
  a.stop = stop_reason::tool_use;
  a.timestamp = 1776762844000;
  return a;
}

tool_result_message result(std::string id, std::string name, std::vector<content_block> content) {
  tool_result_message r;
  r.tool_call_id = std::move(id);
  r.tool_name = std::move(name);
  r.content = std::move(content);
  r.timestamp = 1776762845000;
  return r;
}

// The sample conversations, named by what they exercise.
std::vector<std::pair<std::string, conversation>> samples(const model_info& model) {
  std::vector<std::pair<std::string, conversation>> out;
  const std::string system = "You are Durar, a personal assistant. Answer briefly.";

  conversation text;
  text.system_prompt = system;
  text.messages.emplace_back(user("Hello! What can you do?"));
  out.emplace_back("text", text);

  conversation tools = text;
  tools.tools = sample_tools();
  tools.messages = {user("List the files in /srv/app.")};
  out.emplace_back("tools", tools);

  // The model's own earlier call, then one from another provider (foreign id shapes).
  conversation results = tools;
  auto own = reply_from(model, std::string(to_string(model.api)));
  own.content.emplace_back(text_block{"Listing it now.", {}});
  own.content.emplace_back(
      tool_call_block{"call_own_1", "exec", json::object({{"command", "ls /srv/app"}}), {}});
  results.messages.emplace_back(own);
  results.messages.emplace_back(result("call_own_1", "exec", {text_block{"README.md\nsrc\n", {}}}));
  model_info other;
  other.provider = "openai";
  other.id = "gpt-5.2";
  auto foreign = reply_from(other, "openai-responses");
  foreign.content.emplace_back(tool_call_block{"call_Q2x7|fc_68a1f0c2b7e08190a3e5d0b2c4",
                                               "read",
                                               json::object({{"path", "README.md"}}),
                                               {}});
  results.messages.emplace_back(foreign);
  results.messages.emplace_back(result("call_Q2x7|fc_68a1f0c2b7e08190a3e5d0b2c4", "read",
                                       {text_block{"# App\nA demo service.", {}}}));
  results.messages.emplace_back(user("Summarise the README."));
  out.emplace_back("tool_results", results);

  conversation images = tools;
  user_message look;
  look.content.emplace_back(text_block{"What is in this picture?", {}});
  look.content.emplace_back(image_block{"image/png", png});
  look.timestamp = 1776762843000;
  images.messages = {look};
  auto shot = reply_from(model, std::string(to_string(model.api)));
  shot.content.emplace_back(
      tool_call_block{"call_img_1", "read", json::object({{"path", "screenshot.png"}}), {}});
  images.messages.emplace_back(shot);
  images.messages.emplace_back(result("call_img_1", "read", {image_block{"image/png", png}}));
  out.emplace_back("images", images);

  // Thinking from another model in the history, and thinking asked for on this call.
  conversation thinking = text;
  model_info claude;
  claude.provider = "anthropic";
  claude.id = "claude-opus-4-6";
  auto thought = reply_from(claude, "anthropic-messages");
  thought.stop = stop_reason::stop;
  thought.content.emplace_back(
      thinking_block{"The user greets me; list my abilities.", "EqQBCkgIBxABGAIqQMd1f0bY", false});
  thought.content.emplace_back(text_block{"I can chat, run tools and remember things.", {}});
  thinking.messages.emplace_back(thought);
  thinking.messages.emplace_back(user("Which of those needs a tool?"));
  out.emplace_back("thinking", thinking);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: durar_dump_requests <output-dir>\n";
    return 2;
  }
  const fs::path root = argv[1];
  int written = 0;
  for (const auto& t : targets) {
    auto tr = t.make();
    if (!tr) continue;
    provider_info provider;
    provider.id = t.provider_id;
    provider.api = t.api;
    provider.base_url = t.base_url;
    model_info model;
    model.provider = t.provider_id;
    model.id = t.model_id;
    model.api = t.api;
    model.reasoning = true;
    model.input = {"text", "image"};
    model.max_tokens = 8192;
    const secret key("sk-dump-requests-not-a-real-key");
    const fs::path dir = root / std::string(to_string(t.api));
    fs::create_directories(dir);
    for (const auto& [name, conv] : samples(model)) {
      request_options options;
      if (name == "text") options.temperature = 0.7;
      if (name == "thinking") options.thinking = thinking_level::high;
      // Every per-model param the Responses transport forwards, on the native endpoint.
      if (name == "tools" && t.api == api_kind::openai_responses) {
        options.session_id = "sess-dump";
        options.params = json::object({{"serviceTier", "flex"},
                                       {"textVerbosity", "medium"},
                                       {"parallelToolCalls", false},
                                       {"cacheRetention", "long"},
                                       {"responsesServerCompaction", true}});
      }
      call_spec call{model, provider, &key, conv, options};
      auto req = tr->build_request(call);
      if (!req) {
        std::cerr << to_string(t.api) << "/" << t.variant << name
                  << ": build_request failed: " << req.error().describe() << "\n";
        return 1;
      }
      auto body = json::parse(req->body);
      if (!body) {
        std::cerr << to_string(t.api) << "/" << t.variant << name
                  << ": body is not JSON: " << body.error().message << "\n";
        return 1;
      }
      std::ofstream(dir / (t.variant + name + ".json"), std::ios::binary) << body->dump(2) << "\n";
      ++written;
    }
  }
  const std::vector<std::string> texts = {"Durar keeps notes in Markdown.",
                                          "The gateway listens on port 18789.", "\u00e9t\u00e9"};
  for (const auto& t : embedding_targets) {
    provider_info provider;
    provider.id = t.provider_id;
    provider.api = t.api;
    provider.base_url = t.base_url;
    const secret key("sk-dump-requests-not-a-real-key");
    const fs::path dir = root / t.folder;
    fs::create_directories(dir);
    for (const std::optional<int> dimensions : {std::optional<int>(), std::optional<int>(256)}) {
      const std::string name = dimensions ? "dimensions" : "batch";
      detail::embedding_call call{provider, t.model_id, &key, texts, dimensions};
      auto req = detail::embedding_wire_for(t.api)->build(call);
      auto body = req ? json::parse(req->body) : durar::result<json>(fail(req.error()));
      if (!body) {
        std::cerr << t.folder << "/" << name << ": " << body.error().describe() << "\n";
        return 1;
      }
      std::ofstream(dir / (name + ".json"), std::ios::binary) << body->dump(2) << "\n";
      ++written;
    }
  }
  std::cout << "wrote " << written << " request bodies under " << root.string() << "\n";
  return 0;
}
