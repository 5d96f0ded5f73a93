// `provider/model` refs: parsing, API names, and the id spellings the original accepts.
#include <durar/catalog.hpp>

#include "catalog/catalog_internal.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace durar {
namespace detail {

std::string_view trim(std::string_view s) noexcept {
  constexpr std::string_view space = " \t\r\n\f\v";
  auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(space);
  return s.substr(first, last - first + 1);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view haystack, std::string_view needle) noexcept {
  if (needle.empty()) return false;
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char x, char y) {
                          return std::tolower(static_cast<unsigned char>(x)) ==
                                 std::tolower(static_cast<unsigned char>(y));
                        });
  return it != haystack.end();
}

bool has_space_or_control(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

std::string quoted(std::string_view s) {
  constexpr std::size_t max_shown = 120;  // a pasted blob should not flood the message
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < max_shown; ++i) {
    auto u = static_cast<unsigned char>(s[i]);
    out += (u < 0x20 || u == 0x7f) ? '?' : s[i];
  }
  if (s.size() > max_shown) out += "...";
  out += "'";
  return out;
}

std::string normalize_provider_id(std::string_view id) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> folds{{
      {"z.ai", "zai"},
      {"z-ai", "zai"},
      {"modelstudio", "qwen"},
      {"qwencloud", "qwen"},
      {"opencode-zen", "opencode"},
      {"opencode-go-auth", "opencode-go"},
      {"kimi-code", "kimi"},
      {"kimi-coding", "kimi"},
      {"bedrock", "amazon-bedrock"},
      {"aws-bedrock", "amazon-bedrock"},
      {"bytedance", "volcengine"},
      {"doubao", "volcengine"},
  }};
  std::string lower = to_lower(trim(id));
  for (const auto& [from, to] : folds)
    if (lower == from) return std::string(to);
  return lower;
}

namespace {

struct model_id_rules {
  std::string_view provider;
  std::vector<std::pair<std::string_view, std::string_view>> aliases;  // lower-case keys
  std::string_view strip_prefix;        // removed when the id starts with it
  std::string_view prefix_when_bare;    // added to ids without '/'
  std::string_view bare_claude_prefix;  // added to bare "claude-*" ids
};

const std::array<model_id_rules, 6>& all_model_id_rules() {
  static const std::vector<std::pair<std::string_view, std::string_view>> claude_short_names{
      {"opus-4.6", "claude-opus-4-6"},
      {"opus-4.5", "claude-opus-4-5"},
      {"sonnet-4.6", "claude-sonnet-4-6"},
      {"sonnet-4.5", "claude-sonnet-4-5"},
  };
  static const std::array<model_id_rules, 6> rules{{
      {"anthropic", claude_short_names, "", "", ""},
      {"google",
       {{"gemini-3-pro", "gemini-3-pro-preview"},
        {"gemini-3-flash", "gemini-3-flash-preview"},
        {"gemini-3.1-pro", "gemini-3.1-pro-preview"},
        {"gemini-3.1-flash-lite", "gemini-3.1-flash-lite-preview"},
        {"gemini-3.1-flash", "gemini-3-flash-preview"},
        {"gemini-3.1-flash-preview", "gemini-3-flash-preview"}},
       "",
       "",
       ""},
      {"xai",
       {{"grok-4-fast-reasoning", "grok-4-fast"},
        {"grok-4-1-fast-reasoning", "grok-4-1-fast"},
        {"grok-4.20-experimental-beta-0304-reasoning", "grok-4.20-beta-latest-reasoning"},
        {"grok-4.20-experimental-beta-0304-non-reasoning", "grok-4.20-beta-latest-non-reasoning"},
        {"grok-4.20-reasoning", "grok-4.20-beta-latest-reasoning"},
        {"grok-4.20-non-reasoning", "grok-4.20-beta-latest-non-reasoning"}},
       "",
       "",
       ""},
      {"huggingface", {}, "huggingface/", "", ""},
      {"openrouter", {}, "", "openrouter", ""},
      {"vercel-ai-gateway", claude_short_names, "", "", "anthropic"},
  }};
  return rules;
}

}  // namespace

std::string normalize_model_id(std::string_view provider, std::string_view model) {
  std::string id(trim(model));
  const auto& rules = all_model_id_rules();
  auto it = std::find_if(rules.begin(), rules.end(),
                         [&](const model_id_rules& r) { return r.provider == provider; });
  if (it == rules.end() || id.empty()) return id;
  if (!it->strip_prefix.empty() && to_lower(id).starts_with(it->strip_prefix))
    id.erase(0, it->strip_prefix.size());
  std::string lower = to_lower(id);
  for (const auto& [alias, canonical] : it->aliases) {
    if (lower == alias) {
      id = canonical;
      break;
    }
  }
  if (id.find('/') == std::string::npos) {
    if (!it->bare_claude_prefix.empty() && to_lower(id).starts_with("claude-"))
      return std::string(it->bare_claude_prefix) + "/" + id;
    if (!it->prefix_when_bare.empty()) return std::string(it->prefix_when_bare) + "/" + id;
  }
  return id;
}

std::string env_stem(std::string_view provider_id) {
  std::string stem;
  for (char c : provider_id) {
    auto u = static_cast<unsigned char>(c);
    stem += std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '_';
  }
  return stem;
}

}  // namespace detail

std::string_view to_string(api_kind api) noexcept {
  switch (api) {
    case api_kind::openai_completions:
      return "openai-completions";
    case api_kind::openai_responses:
      return "openai-responses";
    case api_kind::anthropic_messages:
      return "anthropic-messages";
    case api_kind::google_generative_ai:
      return "google-generative-ai";
    case api_kind::ollama:
      return "ollama";
  }
  return "unknown";
}

std::optional<api_kind> parse_api_kind(std::string_view name) noexcept {
  for (auto api : {api_kind::openai_completions, api_kind::openai_responses,
                   api_kind::anthropic_messages, api_kind::google_generative_ai, api_kind::ollama})
    if (to_string(api) == name) return api;
  return std::nullopt;
}

result<model_ref> model_ref::parse(std::string_view text) {
  std::string_view trimmed = detail::trim(text);
  auto bad = [&](std::string_view why) {
    return fail(errc::invalid_argument,
                "invalid model ref " + detail::quoted(text) + ": " + std::string(why));
  };
  if (trimmed.empty()) return bad("it is empty; expected provider/model, e.g. openai/gpt-5.4");
  if (detail::has_space_or_control(trimmed))
    return bad("it contains whitespace or control characters");
  auto slash = trimmed.find('/');
  if (slash == std::string_view::npos)
    return bad("expected provider/model, e.g. openai/" + std::string(trimmed));
  std::string provider = detail::normalize_provider_id(trimmed.substr(0, slash));
  std::string_view model = trimmed.substr(slash + 1);
  if (provider.empty()) return bad("the provider before '/' is empty");
  if (model.empty()) return bad("the model after '/' is empty");
  return model_ref{std::move(provider), std::string(model)};
}

}  // namespace durar
