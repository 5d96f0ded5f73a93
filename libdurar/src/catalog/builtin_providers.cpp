// Built-in catalog, part 1: model developers' own APIs and local servers. Pure data: ids,
// limits and USD-per-1M prices as the original (openclaw 2026.4, pi-ai 0.70) ships them.
#include "catalog/catalog_internal.hpp"

namespace durar::detail {

namespace {
using enum api_kind;
constexpr auto R = thinks::yes;
constexpr auto NR = thinks::no;
constexpr auto TI = sees::images;
constexpr auto T = sees::text;

void set_compat(provider_info& p, std::string_view model_id, json compat) {
  for (auto& m : p.models)
    if (m.id == model_id) m.compat = compat;
}
}  // namespace

provider_info make_provider(const provider_row& row, std::initializer_list<model_row> models) {
  provider_info p;
  p.id = row.id;
  p.name = row.name;
  p.api = row.api;
  p.base_url = row.base_url;
  for (const char* s : row.stems) p.auth_env.emplace_back(s);
  for (const char* e : row.extra_env) p.extra_env.emplace_back(e);
  for (const auto& r : models) {
    model_info m;
    m.provider = p.id;
    m.id = r.id;
    m.name = r.name;
    m.api = p.api;
    m.reasoning = r.reasoning == thinks::yes;
    m.input = r.input == sees::images ? std::vector<std::string>{"text", "image"}
                                      : std::vector<std::string>{"text"};
    m.cost = r.cost;
    m.context_window = r.context_window;
    m.max_tokens = r.max_tokens;
    p.models.push_back(std::move(m));
  }
  return p;
}

provider_info make_local_provider(const provider_row& row) {
  provider_info p = make_provider(row, {});
  p.needs_key = false;
  p.local = true;
  return p;
}

void add_vendor_providers(std::vector<provider_info>& out) {
  out.push_back(make_provider(
      {"openai", "OpenAI", openai_responses, "https://api.openai.com/v1", {"OPENAI"}, {}},
      {
          {"gpt-5.5", "GPT-5.5", R, TI, {5, 30, 0.5, 0}, 272000, 128000},
          {"gpt-5.4", "GPT-5.4", R, TI, {2.5, 15, 0.25, 0}, 272000, 128000},
          {"gpt-5.4-pro", "GPT-5.4 Pro", R, TI, {30, 180, 0, 0}, 1050000, 128000},
          {"gpt-5.4-mini", "GPT-5.4 mini", R, TI, {0.75, 4.5, 0.075, 0}, 400000, 128000},
          {"gpt-5.4-nano", "GPT-5.4 nano", R, TI, {0.2, 1.25, 0.02, 0}, 400000, 128000},
          {"gpt-5.3-codex", "GPT-5.3 Codex", R, TI, {1.75, 14, 0.175, 0}, 400000, 128000},
          {"gpt-5.2", "GPT-5.2", R, TI, {1.75, 14, 0.175, 0}, 400000, 128000},
          {"gpt-5", "GPT-5", R, TI, {1.25, 10, 0.125, 0}, 400000, 128000},
          {"gpt-5-mini", "GPT-5 Mini", R, TI, {0.25, 2, 0.025, 0}, 400000, 128000},
          {"gpt-4.1", "GPT-4.1", NR, TI, {2, 8, 0.5, 0}, 1047576, 32768},
          {"gpt-4o-mini", "GPT-4o mini", NR, TI, {0.15, 0.6, 0.08, 0}, 128000, 16384},
          {"o3", "o3", R, TI, {2, 8, 0.5, 0}, 200000, 100000},
          {"o4-mini", "o4-mini", R, TI, {1.1, 4.4, 0.28, 0}, 200000, 100000},
      }));

  out.push_back(make_provider(
      {"anthropic",
       "Anthropic",
       anthropic_messages,
       "https://api.anthropic.com",
       {"ANTHROPIC"},
       {}},
      {
          {"claude-opus-4-7", "Claude Opus 4.7", R, TI, {5, 25, 0.5, 6.25}, 1000000, 128000},
          {"claude-opus-4-6", "Claude Opus 4.6", R, TI, {5, 25, 0.5, 6.25}, 1000000, 128000},
          {"claude-sonnet-4-6", "Claude Sonnet 4.6", R, TI, {3, 15, 0.3, 3.75}, 1000000, 64000},
          {"claude-opus-4-5", "Claude Opus 4.5 (latest)", R, TI, {5, 25, 0.5, 6.25}, 200000, 64000},
          {"claude-sonnet-4-5",
           "Claude Sonnet 4.5 (latest)",
           R,
           TI,
           {3, 15, 0.3, 3.75},
           200000,
           64000},
          {"claude-haiku-4-5",
           "Claude Haiku 4.5 (latest)",
           R,
           TI,
           {1, 5, 0.1, 1.25},
           200000,
           64000},
          {"claude-opus-4-1",
           "Claude Opus 4.1 (latest)",
           R,
           TI,
           {15, 75, 1.5, 18.75},
           200000,
           32000},
          {"claude-sonnet-4-0",
           "Claude Sonnet 4 (latest)",
           R,
           TI,
           {3, 15, 0.3, 3.75},
           200000,
           64000},
      }));

  out.push_back(make_provider(
      {"google",
       "Google Gemini",
       google_generative_ai,
       "https://generativelanguage.googleapis.com/v1beta",
       {"GEMINI"},
       {"GOOGLE_API_KEY"}},
      {
          {"gemini-3.1-pro-preview",
           "Gemini 3.1 Pro Preview",
           R,
           TI,
           {2, 12, 0.2, 0},
           1048576,
           65536},
          {"gemini-3-pro-preview", "Gemini 3 Pro Preview", R, TI, {2, 12, 0.2, 0}, 1000000, 64000},
          {"gemini-3-flash-preview",
           "Gemini 3 Flash Preview",
           R,
           TI,
           {0.5, 3, 0.05, 0},
           1048576,
           65536},
          {"gemini-3.1-flash-lite-preview",
           "Gemini 3.1 Flash Lite Preview",
           R,
           TI,
           {0.25, 1.5, 0.025, 1},
           1048576,
           65536},
          {"gemini-2.5-pro", "Gemini 2.5 Pro", R, TI, {1.25, 10, 0.125, 0}, 1048576, 65536},
          {"gemini-2.5-flash", "Gemini 2.5 Flash", R, TI, {0.3, 2.5, 0.03, 0}, 1048576, 65536},
          {"gemini-2.5-flash-lite",
           "Gemini 2.5 Flash Lite",
           R,
           TI,
           {0.1, 0.4, 0.025, 0},
           1048576,
           65536},
      }));

  out.push_back(make_provider(
      {"xai", "xAI", openai_responses, "https://api.x.ai/v1", {"XAI"}, {}},
      {
          {"grok-4", "Grok 4", R, T, {3, 15, 0.75, 0}, 256000, 64000},
          {"grok-4-fast", "Grok 4 Fast", R, TI, {0.2, 0.5, 0.05, 0}, 2000000, 30000},
          {"grok-4-1-fast", "Grok 4.1 Fast", R, TI, {0.2, 0.5, 0.05, 0}, 2000000, 30000},
          {"grok-4-1-fast-non-reasoning",
           "Grok 4.1 Fast (Non-Reasoning)",
           NR,
           TI,
           {0.2, 0.5, 0.05, 0},
           2000000,
           30000},
          {"grok-4.20-beta-latest-reasoning",
           "Grok 4.20 Beta Latest (Reasoning)",
           R,
           TI,
           {2, 6, 0.2, 0},
           2000000,
           30000},
          {"grok-4.20-beta-latest-non-reasoning",
           "Grok 4.20 Beta Latest (Non-Reasoning)",
           NR,
           TI,
           {2, 6, 0.2, 0},
           2000000,
           30000},
          {"grok-code-fast-1", "Grok Code Fast 1", R, T, {0.2, 1.5, 0.02, 0}, 256000, 10000},
          {"grok-3", "Grok 3", NR, T, {3, 15, 0.75, 0}, 131072, 8192},
          {"grok-3-mini", "Grok 3 Mini", R, T, {0.3, 0.5, 0.075, 0}, 131072, 8192},
      }));

  out.push_back(make_provider(
      {"mistral", "Mistral", openai_completions, "https://api.mistral.ai/v1", {"MISTRAL"}, {}},
      {
          {"mistral-large-latest",
           "Mistral Large (latest)",
           NR,
           TI,
           {0.5, 1.5, 0, 0},
           262144,
           16384},
          {"mistral-medium-2508", "Mistral Medium 3.1", NR, TI, {0.4, 2, 0, 0}, 262144, 8192},
          {"mistral-small-latest",
           "Mistral Small (latest)",
           R,
           TI,
           {0.1, 0.3, 0, 0},
           128000,
           16384},
          {"magistral-small", "Magistral Small", R, T, {0.5, 1.5, 0, 0}, 128000, 40000},
          {"devstral-medium-latest", "Devstral 2 (latest)", NR, T, {0.4, 2, 0, 0}, 262144, 32768},
          {"codestral-latest", "Codestral (latest)", NR, T, {0.3, 0.9, 0, 0}, 256000, 4096},
          {"pixtral-large-latest", "Pixtral Large (latest)", NR, TI, {2, 6, 0, 0}, 128000, 32768},
      }));

  // The original uses the host root; DeepSeek serves the same API under /v1, our convention.
  out.push_back(make_provider(
      {"deepseek", "DeepSeek", openai_completions, "https://api.deepseek.com/v1", {"DEEPSEEK"}, {}},
      {
          {"deepseek-v4-flash", "DeepSeek V4 Flash", R, T, {0.14, 0.28, 0.028, 0}, 1000000, 384000},
          {"deepseek-v4-pro", "DeepSeek V4 Pro", R, T, {1.74, 3.48, 0.145, 0}, 1000000, 384000},
          {"deepseek-chat", "DeepSeek Chat", NR, T, {0.28, 0.42, 0.028, 0}, 131072, 8192},
          {"deepseek-reasoner", "DeepSeek Reasoner", R, T, {0.28, 0.42, 0.028, 0}, 131072, 65536},
      }));
  {
    auto& ds = out.back();
    for (const char* id : {"deepseek-v4-flash", "deepseek-v4-pro"})
      set_compat(ds, id,
                 json::object({{"supportsUsageInStreaming", true},
                               {"supportsReasoningEffort", true},
                               {"maxTokensField", "max_tokens"}}));
    set_compat(
        ds, "deepseek-chat",
        json::object({{"supportsUsageInStreaming", true}, {"maxTokensField", "max_tokens"}}));
    set_compat(ds, "deepseek-reasoner",
               json::object({{"supportsUsageInStreaming", true},
                             {"supportsReasoningEffort", false},
                             {"maxTokensField", "max_tokens"}}));
  }

  out.push_back(make_provider(
      {"moonshot",
       "Moonshot AI (Kimi)",
       openai_completions,
       "https://api.moonshot.ai/v1",
       {"MOONSHOT"},
       {"KIMI_API_KEY"}},
      {
          {"kimi-k2.6", "Kimi K2.6", NR, TI, {0.95, 4, 0.16, 0}, 262144, 262144},
          {"kimi-k2.5", "Kimi K2.5", NR, TI, {0.6, 3, 0.1, 0}, 262144, 262144},
          {"kimi-k2-thinking", "Kimi K2 Thinking", R, T, {0, 0, 0, 0}, 262144, 262144},
          {"kimi-k2-thinking-turbo", "Kimi K2 Thinking Turbo", R, T, {0, 0, 0, 0}, 262144, 262144},
          {"kimi-k2-turbo", "Kimi K2 Turbo", NR, T, {0, 0, 0, 0}, 256000, 16384},
      }));

  out.push_back(
      make_provider({"kimi",
                     "Kimi Coding",
                     anthropic_messages,
                     "https://api.kimi.com/coding",
                     {"KIMI"},
                     {"KIMICODE_API_KEY"}},
                    {
                        {"kimi-code", "Kimi Code", R, TI, {0, 0, 0, 0}, 262144, 32768},
                        {"k2p5", "Kimi Code (legacy model id)", R, TI, {0, 0, 0, 0}, 262144, 32768},
                    }));
  out.back().headers["User-Agent"] = "claude-code/0.1.0";  // the endpoint checks for it

  // General endpoint; the coding plan lives at /api/coding/paas/v4 (set baseUrl to use it).
  out.push_back(
      make_provider({"zai",
                     "Z.AI (GLM)",
                     openai_completions,
                     "https://api.z.ai/api/paas/v4",
                     {"ZAI"},
                     {"Z_AI_API_KEY"}},
                    {
                        {"glm-5.1", "GLM-5.1", R, T, {1.2, 4, 0.24, 0}, 202800, 131100},
                        {"glm-5", "GLM-5", R, T, {1, 3.2, 0.2, 0}, 202800, 131100},
                        {"glm-5-turbo", "GLM-5 Turbo", R, T, {1.2, 4, 0.24, 0}, 202800, 131100},
                        {"glm-5v-turbo", "GLM-5V Turbo", R, TI, {1.2, 4, 0.24, 0}, 202800, 131100},
                        {"glm-4.7", "GLM-4.7", R, T, {0.6, 2.2, 0.11, 0}, 204800, 131072},
                        {"glm-4.7-flash", "GLM-4.7 Flash", R, T, {0.07, 0.4, 0, 0}, 200000, 131072},
                        {"glm-4.6", "GLM-4.6", R, T, {0.6, 2.2, 0.11, 0}, 204800, 131072},
                        {"glm-4.5-air", "GLM-4.5 Air", R, T, {0.2, 1.1, 0.03, 0}, 131072, 98304},
                    }));

  out.push_back(
      make_provider({"qwen",
                     "Qwen Cloud",
                     openai_completions,
                     "https://coding-intl.dashscope.aliyuncs.com/v1",
                     {"QWEN"},
                     {"MODELSTUDIO_API_KEY", "DASHSCOPE_API_KEY"}},
                    {
                        {"qwen3.5-plus", "qwen3.5-plus", NR, TI, {0, 0, 0, 0}, 1000000, 65536},
                        {"qwen3.6-plus", "qwen3.6-plus", NR, TI, {0, 0, 0, 0}, 1000000, 65536},
                    }));

  out.push_back(make_provider(
      {"minimax",
       "MiniMax",
       anthropic_messages,
       "https://api.minimax.io/anthropic",
       {"MINIMAX"},
       {"MINIMAX_CODE_PLAN_KEY", "MINIMAX_CODING_API_KEY"}},
      {
          {"MiniMax-M2.7", "MiniMax-M2.7", R, T, {0.3, 1.2, 0.06, 0.375}, 204800, 131072},
          {"MiniMax-M2.7-highspeed",
           "MiniMax-M2.7-highspeed",
           R,
           T,
           {0.6, 2.4, 0.06, 0.375},
           204800,
           131072},
      }));
}

void add_local_providers(std::vector<provider_info>& out) {
  out.push_back(
      make_local_provider({"ollama", "Ollama", ollama, "http://127.0.0.1:11434", {"OLLAMA"}, {}}));
  out.push_back(make_local_provider(
      {"vllm", "vLLM", openai_completions, "http://127.0.0.1:8000/v1", {"VLLM"}, {}}));
  out.push_back(make_local_provider(
      {"sglang", "SGLang", openai_completions, "http://127.0.0.1:30000/v1", {"SGLANG"}, {}}));
  // The original says localhost; 127.0.0.1 avoids trying ::1 first where LM Studio is not.
  out.push_back(make_local_provider({"lmstudio",
                                     "LM Studio",
                                     openai_completions,
                                     "http://127.0.0.1:1234/v1",
                                     {"LMSTUDIO"},
                                     {"LM_API_TOKEN"}}));
  // LiteLLM serves the OpenAI routes with and without /v1; the /v1 form keeps our convention.
  out.push_back(make_local_provider(
      {"litellm", "LiteLLM", openai_completions, "http://127.0.0.1:4000/v1", {"LITELLM"}, {}}));
}

}  // namespace durar::detail
