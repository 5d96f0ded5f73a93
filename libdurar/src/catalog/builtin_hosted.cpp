// Built-in catalog, part 2: hosted inference services and gateways that serve other labs'
// models. Pure data, as the original (openclaw 2026.4, pi-ai 0.70) ships it.
#include "catalog/catalog_internal.hpp"

namespace durar::detail {

namespace {
using enum api_kind;
constexpr auto R = thinks::yes;
constexpr auto NR = thinks::no;
constexpr auto TI = sees::images;
constexpr auto T = sees::text;
}  // namespace

void add_hosted_providers(std::vector<provider_info>& out) {
  // Bare ids get the "openrouter/" vendor prefix, so "openrouter/auto" names the auto router.
  out.push_back(make_provider(
      {"openrouter",
       "OpenRouter",
       openai_completions,
       "https://openrouter.ai/api/v1",
       {"OPENROUTER"},
       {}},
      {
          {"openrouter/auto", "OpenRouter Auto", NR, TI, {0, 0, 0, 0}, 200000, 8192},
          {"anthropic/claude-opus-4.7",
           "Anthropic: Claude Opus 4.7",
           R,
           TI,
           {5, 25, 0.5, 6.25},
           1000000,
           128000},
          {"anthropic/claude-opus-4.6",
           "Anthropic: Claude Opus 4.6",
           R,
           TI,
           {5, 25, 0.5, 6.25},
           1000000,
           128000},
          {"anthropic/claude-sonnet-4.6",
           "Anthropic: Claude Sonnet 4.6",
           R,
           TI,
           {3, 15, 0.3, 3.75},
           1000000,
           128000},
          {"openai/gpt-5.5", "OpenAI: GPT-5.5", R, TI, {5, 30, 0.5, 0}, 1050000, 128000},
          {"openai/gpt-5.4", "OpenAI: GPT-5.4", R, TI, {2.5, 15, 0.25, 0}, 1050000, 128000},
          {"google/gemini-3.1-pro-preview",
           "Google: Gemini 3.1 Pro Preview",
           R,
           TI,
           {2, 12, 0.2, 0.375},
           1048576,
           65536},
          {"moonshotai/kimi-k2.6",
           "MoonshotAI: Kimi K2.6",
           R,
           TI,
           {0.8, 3.5, 0.2, 0},
           262144,
           262144},
          {"deepseek/deepseek-v4-pro",
           "DeepSeek: DeepSeek V4 Pro",
           R,
           T,
           {0.435, 0.87, 0.003625, 0},
           1048576,
           384000},
          {"z-ai/glm-5.1", "Z.ai: GLM 5.1", R, T, {1.05, 3.5, 0.525, 0}, 202752, 65535},
          {"x-ai/grok-4.1-fast", "xAI: Grok 4.1 Fast", R, TI, {0.2, 0.5, 0.05, 0}, 2000000, 30000},
      }));

  out.push_back(make_provider(
      {"groq", "Groq", openai_completions, "https://api.groq.com/openai/v1", {"GROQ"}, {}},
      {
          {"llama-3.3-70b-versatile",
           "Llama 3.3 70B Versatile",
           NR,
           T,
           {0.59, 0.79, 0, 0},
           131072,
           32768},
          {"llama-3.1-8b-instant",
           "Llama 3.1 8B Instant",
           NR,
           T,
           {0.05, 0.08, 0, 0},
           131072,
           131072},
          {"openai/gpt-oss-120b", "GPT OSS 120B", R, T, {0.15, 0.6, 0, 0}, 131072, 65536},
          {"openai/gpt-oss-20b", "GPT OSS 20B", R, T, {0.075, 0.3, 0, 0}, 131072, 65536},
          {"qwen/qwen3-32b", "Qwen3 32B", R, T, {0.29, 0.59, 0, 0}, 131072, 40960},
          {"moonshotai/kimi-k2-instruct-0905",
           "Kimi K2 Instruct 0905",
           NR,
           T,
           {1, 3, 0, 0},
           262144,
           16384},
          {"meta-llama/llama-4-scout-17b-16e-instruct",
           "Llama 4 Scout 17B",
           NR,
           TI,
           {0.11, 0.34, 0, 0},
           131072,
           8192},
      }));

  out.push_back(make_provider(
      {"together",
       "Together AI",
       openai_completions,
       "https://api.together.xyz/v1",
       {"TOGETHER"},
       {}},
      {
          {"moonshotai/Kimi-K2.5", "Kimi K2.5", R, TI, {0.5, 2.8, 0.5, 2.8}, 262144, 32768},
          {"zai-org/GLM-4.7", "GLM 4.7 Fp8", NR, T, {0.45, 2, 0.45, 2}, 202752, 8192},
          {"deepseek-ai/DeepSeek-V3.1",
           "DeepSeek V3.1",
           NR,
           T,
           {0.6, 1.25, 0.6, 0.6},
           131072,
           8192},
          {"deepseek-ai/DeepSeek-R1", "DeepSeek R1", R, T, {3, 7, 3, 3}, 131072, 8192},
          {"meta-llama/Llama-3.3-70B-Instruct-Turbo",
           "Llama 3.3 70B Instruct Turbo",
           NR,
           T,
           {0.88, 0.88, 0.88, 0.88},
           131072,
           8192},
          {"meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
           "Llama 4 Maverick 17B 128E Instruct FP8",
           NR,
           TI,
           {0.27, 0.85, 0.27, 0.27},
           20000000,
           32768},
      }));

  out.push_back(make_provider(
      {"cerebras", "Cerebras", openai_completions, "https://api.cerebras.ai/v1", {"CEREBRAS"}, {}},
      {
          {"zai-glm-4.7", "Z.ai GLM 4.7", R, T, {2.25, 2.75, 2.25, 2.75}, 128000, 8192},
          {"gpt-oss-120b", "GPT OSS 120B", R, T, {0.35, 0.75, 0.35, 0.75}, 128000, 8192},
          {"qwen-3-235b-a22b-instruct-2507",
           "Qwen 3 235B Instruct",
           NR,
           T,
           {0.6, 1.2, 0.6, 1.2},
           128000,
           8192},
          {"llama3.1-8b", "Llama 3.1 8B", NR, T, {0.1, 0.1, 0.1, 0.1}, 128000, 8192},
      }));

  out.push_back(make_provider({"fireworks",
                               "Fireworks",
                               openai_completions,
                               "https://api.fireworks.ai/inference/v1",
                               {"FIREWORKS"},
                               {}},
                              {
                                  {"accounts/fireworks/models/kimi-k2p6",
                                   "Kimi K2.6",
                                   NR,
                                   TI,
                                   {0.95, 4, 0, 0},
                                   262144,
                                   262144},
                                  {"accounts/fireworks/routers/kimi-k2p5-turbo",
                                   "Kimi K2.5 Turbo (Fire Pass)",
                                   NR,
                                   TI,
                                   {0, 0, 0, 0},
                                   256000,
                                   256000},
                              }));

  out.push_back(make_provider(
      {"huggingface",
       "Hugging Face",
       openai_completions,
       "https://router.huggingface.co/v1",
       {"HUGGINGFACE"},
       {"HUGGINGFACE_HUB_TOKEN", "HF_TOKEN"}},
      {
          {"deepseek-ai/DeepSeek-V3.2", "DeepSeek-V3.2", R, T, {0.28, 0.4, 0, 0}, 163840, 65536},
          {"deepseek-ai/DeepSeek-R1-0528", "DeepSeek-R1-0528", R, T, {3, 5, 0, 0}, 163840, 163840},
          {"moonshotai/Kimi-K2.5", "Kimi-K2.5", R, TI, {0.6, 3, 0.1, 0}, 262144, 262144},
          {"zai-org/GLM-5.1", "GLM-5.1", R, T, {1, 3.2, 0.2, 0}, 202752, 131072},
          {"Qwen/Qwen3.5-397B-A17B", "Qwen3.5-397B-A17B", R, TI, {0.6, 3.6, 0, 0}, 262144, 32768},
          {"MiniMaxAI/MiniMax-M2.7", "MiniMax-M2.7", R, T, {0.3, 1.2, 0.06, 0}, 204800, 131072},
      }));

  // Bare ids get the "nvidia/" vendor prefix; the endpoint wants string message content.
  out.push_back(make_provider(
      {"nvidia",
       "NVIDIA",
       openai_completions,
       "https://integrate.api.nvidia.com/v1",
       {"NVIDIA"},
       {}},
      {
          {"nvidia/nemotron-3-super-120b-a12b",
           "NVIDIA Nemotron 3 Super 120B",
           NR,
           T,
           {0, 0, 0, 0},
           262144,
           8192},
          {"moonshotai/kimi-k2.5", "Kimi K2.5", NR, T, {0, 0, 0, 0}, 262144, 8192},
          {"minimaxai/minimax-m2.5", "MiniMax M2.5", NR, T, {0, 0, 0, 0}, 196608, 8192},
          {"z-ai/glm5", "GLM-5", NR, T, {0, 0, 0, 0}, 202752, 8192},
      }));
  for (auto& m : out.back().models) m.compat = json::object({{"requiresStringContent", true}});

  out.push_back(make_provider(
      {"venice", "Venice AI", openai_completions, "https://api.venice.ai/api/v1", {"VENICE"}, {}},
      {
          {"kimi-k2-5", "Kimi K2.5", R, TI, {0, 0, 0, 0}, 256000, 65536},
          {"llama-3.3-70b", "Llama 3.3 70B", NR, T, {0, 0, 0, 0}, 128000, 4096},
          {"qwen3-235b-a22b-thinking-2507",
           "Qwen3 235B Thinking",
           R,
           T,
           {0, 0, 0, 0},
           128000,
           16384},
          {"qwen3-coder-480b-a35b-instruct",
           "Qwen3 Coder 480B",
           NR,
           T,
           {0, 0, 0, 0},
           256000,
           65536},
      }));

  out.push_back(make_provider(
      {"deepinfra",
       "DeepInfra",
       openai_completions,
       "https://api.deepinfra.com/v1/openai",
       {"DEEPINFRA"},
       {}},
      {
          {"deepseek-ai/DeepSeek-V3.2",
           "DeepSeek V3.2",
           NR,
           T,
           {0.26, 0.38, 0.13, 0},
           163840,
           163840},
          {"zai-org/GLM-5.1", "GLM-5.1", R, T, {1.05, 3.5, 0.205, 0}, 202752, 202752},
          {"moonshotai/Kimi-K2.5", "Kimi K2.5", R, TI, {0.45, 2.25, 0.07, 0}, 262144, 262144},
          {"MiniMaxAI/MiniMax-M2.5", "MiniMax M2.5", R, T, {0.15, 1.15, 0.03, 0}, 196608, 196608},
      }));
  for (auto& m : out.back().models) m.compat = json::object({{"supportsUsageInStreaming", true}});

  out.push_back(make_provider(
      {"xiaomi",
       "Xiaomi MiMo",
       openai_completions,
       "https://api.xiaomimimo.com/v1",
       {"XIAOMI"},
       {}},
      {
          {"mimo-v2-flash", "Xiaomi MiMo V2 Flash", NR, T, {0, 0, 0, 0}, 262144, 8192},
          {"mimo-v2-pro", "Xiaomi MiMo V2 Pro", R, T, {0, 0, 0, 0}, 1048576, 32000},
          {"mimo-v2-omni", "Xiaomi MiMo V2 Omni", R, TI, {0, 0, 0, 0}, 262144, 32000},
      }));

  out.push_back(
      make_provider({"vercel-ai-gateway",
                     "Vercel AI Gateway",
                     anthropic_messages,
                     "https://ai-gateway.vercel.sh",
                     {"VERCEL_AI_GATEWAY"},
                     {"AI_GATEWAY_API_KEY"}},
                    {
                        {"anthropic/claude-opus-4.6",
                         "Claude Opus 4.6",
                         R,
                         TI,
                         {5, 25, 0.5, 6.25},
                         1000000,
                         128000},
                        {"anthropic/claude-sonnet-4.6",
                         "Claude Sonnet 4.6",
                         R,
                         TI,
                         {3, 15, 0.3, 3.75},
                         1000000,
                         128000},
                        {"openai/gpt-5.4", "GPT 5.4", R, TI, {2.5, 15, 0.25, 0}, 1050000, 128000},
                        {"google/gemini-3.1-pro-preview",
                         "Gemini 3.1 Pro Preview",
                         R,
                         TI,
                         {2, 12, 0.2, 0},
                         1000000,
                         64000},
                    }));

  out.push_back(make_provider(
      {"synthetic",
       "Synthetic",
       anthropic_messages,
       "https://api.synthetic.new/anthropic",
       {"SYNTHETIC"},
       {}},
      {
          {"hf:MiniMaxAI/MiniMax-M2.5", "MiniMax M2.5", NR, T, {0, 0, 0, 0}, 192000, 65536},
          {"hf:moonshotai/Kimi-K2-Thinking", "Kimi K2 Thinking", R, T, {0, 0, 0, 0}, 256000, 8192},
          {"hf:zai-org/GLM-4.7", "GLM-4.7", NR, T, {0, 0, 0, 0}, 198000, 128000},
      }));

  out.push_back(make_provider({"kilocode",
                               "Kilo Gateway",
                               openai_completions,
                               "https://api.kilo.ai/api/gateway",
                               {"KILOCODE"},
                               {}},
                              {
                                  {"kilo/auto", "Kilo Auto", R, TI, {0, 0, 0, 0}, 1000000, 128000},
                              }));
}

}  // namespace durar::detail
