#include "config/schema_rules.hpp"

#include <map>

namespace durar::detail {
namespace {

using k = value_kind;

// Wire APIs the original accepts that Durar has no transport for yet.
const std::vector<std::string_view> compat_apis = {"openai-codex-responses", "github-copilot",
                                                   "bedrock-converse-stream",
                                                   "azure-openai-responses"};
const std::vector<std::string_view> apis = {"openai-completions", "openai-responses",
                                            "anthropic-messages", "google-generative-ai", "ollama"};
const std::vector<std::string_view> log_levels = {"silent", "fatal", "error", "warn",
                                                  "info",   "debug", "trace"};

}  // namespace

const std::vector<rule>& schema_rules() {
  static const std::vector<rule> rules = {
      {"", k::object},
      {"$schema", k::string},
      // agents
      {"agents", k::object},
      {"agents.defaults", k::object},
      {"agents.defaults.model", k::model_choice},
      {"agents.defaults.model.primary", k::model_ref},
      {"agents.defaults.model.fallbacks", k::array},
      {"agents.defaults.model.fallbacks[]", k::model_ref},
      {"agents.defaults.models", k::object},
      {"agents.defaults.models.*", k::object},
      {"agents.defaults.models.*.alias", k::nonempty_string},
      {"agents.defaults.models.*.params", k::passthrough},
      {"agents.defaults.workspace", k::string},
      {"agents.defaults.thinkingDefault",
       k::enumeration,
       {"off", "minimal", "low", "medium", "high", "xhigh", "adaptive", "max"}},
      {"agents.defaults.contextTokens", k::positive_int},
      {"agents.defaults.memorySearch", k::object},
      {"agents.defaults.memorySearch.enabled", k::boolean},
      {"agents.defaults.memorySearch.provider", k::nonempty_string},
      {"agents.defaults.memorySearch.model", k::nonempty_string},
      {"agents.defaults.compaction", k::object},
      {"agents.defaults.compaction.mode", k::enumeration, {"default", "safeguard"}},
      {"agents.defaults.compaction.reserveTokens", k::non_negative_number},
      {"agents.defaults.compaction.reserveTokensFloor", k::non_negative_number},
      {"agents.defaults.compaction.keepRecentTokens", k::positive_int},
      {"agents.defaults.userTimezone", k::string},
      {"agents.defaults.bootstrapMaxChars", k::positive_int},
      {"agents.defaults.bootstrapTotalMaxChars", k::positive_int},
      {"agents.defaults.timeoutSeconds", k::positive_int},
      {"agents.list", k::array},
      {"agents.list[]", k::object, {}, {}, {"id"}},
      {"agents.list[].id", k::nonempty_string},
      {"agents.list[].name", k::string},
      {"agents.list[].default", k::boolean},
      {"agents.list[].model", k::model_choice},
      {"agents.list[].model.primary", k::model_ref},
      {"agents.list[].model.fallbacks", k::array},
      {"agents.list[].model.fallbacks[]", k::model_ref},
      {"agents.list[].workspace", k::string},
      {"agents.list[].tools", k::object},
      {"agents.list[].tools.allow", k::array},
      {"agents.list[].tools.allow[]", k::nonempty_string},
      {"agents.list[].tools.deny", k::array},
      {"agents.list[].tools.deny[]", k::nonempty_string},
      {"agents.list[].memorySearch", k::object},
      {"agents.list[].memorySearch.enabled", k::boolean},
      {"agents.list[].memorySearch.provider", k::nonempty_string},
      {"agents.list[].memorySearch.model", k::nonempty_string},
      // session
      {"session", k::object},
      {"session.mainKey", k::nonempty_string},
      {"session.idleMinutes", k::positive_int},
      {"session.reset", k::object},
      {"session.reset.mode", k::enumeration, {"daily", "idle"}},
      {"session.reset.atHour", k::non_negative_number},
      {"session.reset.idleMinutes", k::positive_int},
      {"session.maintenance", k::object},
      {"session.maintenance.mode", k::enumeration, {"enforce", "warn"}},
      {"session.maintenance.pruneAfter", k::duration_days},
      {"session.maintenance.pruneDays", k::duration_days},
      {"session.maintenance.maxEntries", k::positive_int},
      {"session.maintenance.resetArchiveRetention", k::duration_or_false},
      {"session.maintenance.maxDiskBytes", k::byte_size},
      {"session.maintenance.highWaterBytes", k::byte_size},
      {"session.maintenance.rotateBytes", k::deprecated},
      // tools
      {"tools", k::object},
      {"tools.allow", k::array},
      {"tools.allow[]", k::nonempty_string},
      {"tools.deny", k::array},
      {"tools.deny[]", k::nonempty_string},
      {"tools.fs", k::object},
      {"tools.fs.workspaceOnly", k::boolean},
      {"tools.exec", k::object},
      {"tools.exec.security", k::enumeration, {"deny", "allowlist", "full"}},
      {"tools.exec.ask", k::enumeration, {"off", "on-miss", "always"}},
      {"tools.exec.safeBins", k::array},
      {"tools.exec.safeBins[]", k::nonempty_string},
      {"tools.exec.timeoutSec", k::positive_int},
      {"tools.exec.backgroundMs", k::positive_int},
      {"tools.web", k::object},
      {"tools.web.fetch", k::object},
      {"tools.web.fetch.enabled", k::boolean},
      {"tools.web.fetch.maxChars", k::positive_int},
      {"tools.web.fetch.allowPrivateNetwork", k::boolean},
      // models
      {"models", k::object},
      {"models.mode", k::enumeration, {"merge", "replace"}},
      {"models.providers", k::object},
      {"models.providers.*", k::object},
      {"models.providers.*.baseUrl", k::nonempty_string},
      {"models.providers.*.apiKey", k::secret},
      {"models.providers.*.api", k::enumeration, apis, compat_apis},
      {"models.providers.*.headers", k::object},
      {"models.providers.*.headers.*", k::secret},
      {"models.providers.*.authHeader", k::string_or_bool},
      {"models.providers.*.timeoutSeconds", k::positive_number},
      {"models.providers.*.models", k::array},
      {"models.providers.*.models[]", k::object, {}, {}, {"id"}},
      {"models.providers.*.models[].id", k::nonempty_string},
      {"models.providers.*.models[].name", k::string},
      {"models.providers.*.models[].reasoning", k::boolean},
      {"models.providers.*.models[].input", k::array},
      {"models.providers.*.models[].input[]",
       k::enumeration,
       {"text", "image"},
       {"video", "audio"}},
      {"models.providers.*.models[].cost", k::object},
      {"models.providers.*.models[].cost.input", k::non_negative_number},
      {"models.providers.*.models[].cost.output", k::non_negative_number},
      {"models.providers.*.models[].cost.cacheRead", k::non_negative_number},
      {"models.providers.*.models[].cost.cacheWrite", k::non_negative_number},
      {"models.providers.*.models[].contextWindow", k::positive_int},
      {"models.providers.*.models[].contextTokens", k::positive_int},
      {"models.providers.*.models[].maxTokens", k::positive_int},
      {"models.providers.*.models[].compat", k::passthrough_warn},
      // gateway
      {"gateway", k::object},
      {"gateway.port", k::port},
      {"gateway.bind", k::enumeration, {"loopback", "lan", "tailnet", "auto", "custom"}},
      {"gateway.customBindHost", k::string},
      {"gateway.auth", k::object},
      {"gateway.auth.mode", k::enumeration, {"token", "password", "none", "trusted-proxy"}},
      {"gateway.auth.token", k::secret},
      {"gateway.auth.password", k::secret},
      {"gateway.reload", k::object},
      {"gateway.reload.mode", k::enumeration, {"off", "restart", "hot", "hybrid"}},
      {"gateway.reload.debounceMs", k::positive_int},
      {"gateway.tools", k::object},
      {"gateway.tools.allow", k::array},
      {"gateway.tools.allow[]", k::nonempty_string},
      {"gateway.tools.deny", k::array},
      {"gateway.tools.deny[]", k::nonempty_string},
      {"gateway.controlUi", k::object},
      {"gateway.controlUi.allowedOrigins", k::array},
      {"gateway.controlUi.allowedOrigins[]", k::nonempty_string},
      {"gateway.http", k::object},
      {"gateway.http.endpoints", k::object},
      {"gateway.http.endpoints.chatCompletions", k::object},
      {"gateway.http.endpoints.chatCompletions.enabled", k::boolean},
      {"gateway.http.endpoints.responses", k::object},
      {"gateway.http.endpoints.responses.enabled", k::boolean},
      // logging
      {"logging", k::object},
      {"logging.level", k::enumeration, log_levels},
      {"logging.file", k::string},
      {"logging.consoleLevel", k::enumeration, log_levels},
      {"logging.consoleStyle", k::enumeration, {"pretty", "compact", "json"}},
      {"logging.redactSensitive", k::redact_mode},
      // env: vars{}, or variables directly in the block
      {"env", k::object},
      {"env.vars", k::object},
      {"env.vars.*", k::string},
      {"env.*", k::string},
  };
  return rules;
}

const rule* find_rule(std::string_view pattern) {
  static const std::map<std::string_view, const rule*, std::less<>> index = [] {
    std::map<std::string_view, const rule*, std::less<>> m;
    for (const auto& r : schema_rules()) m.emplace(r.pattern, &r);
    return m;
  }();
  auto it = index.find(pattern);
  return it == index.end() ? nullptr : it->second;
}

}  // namespace durar::detail
