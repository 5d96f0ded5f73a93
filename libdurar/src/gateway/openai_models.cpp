// GET /v1/models and /v1/models/{id}: the models an OpenAI client sees are the gateway's
// agents. Also how a request picks its agent, backend model and session.
#include <durar/catalog.hpp>
#include <durar/session.hpp>
#include <durar/suggest.hpp>

#include "openai_api.hpp"

#include <cctype>

namespace durar::gateway_detail {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// The part after "<prefix>/" or "<prefix>:" (prefix case-insensitive), if `s` has one.
std::optional<std::string_view> after_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() <= prefix.size() || !iequals(s.substr(0, prefix.size()), prefix)) return {};
  char sep = s[prefix.size()];
  if (sep != '/' && sep != ':') return {};
  return s.substr(prefix.size() + 1);
}

constexpr std::string_view model_hint =
    "models are this gateway's agents: durar, durar/default or durar/<agentId> (GET "
    "/v1/models); a backend provider/model goes in the x-durar-model header";

// A bare name ("zz", no provider) that is neither an alias nor a model the catalog or the
// allowlist knows: the catalog would place it under the primary's provider and the vendor
// would refuse it mid-turn. Refused here, as an unknown provider is, with the nearest name.
std::optional<api_error> unknown_bare_model(const catalog& cat, std::string_view text,
                                            const model_ref& ref) {
  std::string_view input = text;
  while (!input.empty() && std::isspace(static_cast<unsigned char>(input.front())))
    input.remove_prefix(1);
  while (!input.empty() && std::isspace(static_cast<unsigned char>(input.back())))
    input.remove_suffix(1);
  if (input.find('/') != std::string_view::npos || iequals(input, "openrouter:auto") ||
      cat.model(ref) != nullptr)
    return {};
  std::vector<std::string> names;  // what a bare name may be near: aliases and model ids
  for (const auto& [r, alias] : cat.allowlist()) {
    if (r == ref || (!alias.empty() && iequals(alias, input))) return {};
    if (!alias.empty()) names.push_back(alias);
  }
  for (const auto& p : cat.providers())
    for (const auto& m : p.models) names.push_back(m.id);
  std::string message = "x-durar-model: unknown model '" + std::string(input) +
                        "': not an alias, and no provider's catalog has it; write it as "
                        "provider/model";
  if (std::string near = suggest(input, names); !near.empty()) {
    // A model id reads best as a full ref, the guessed provider's first.
    std::string shown;
    for (const auto& p : cat.providers())
      for (const auto& m : p.models)
        if (m.id == near && (shown.empty() || p.id == ref.provider)) shown = m.ref().str();
    message += " (did you mean '" + (shown.empty() ? near : shown) + "'?)";
  }
  return not_found(std::move(message), {}, "model_not_found");
}

}  // namespace

std::optional<std::string> agent_of_model_name(std::string_view model) {
  if (model.empty()) return std::string();
  for (std::string_view brand : {"durar", "openclaw"}) {
    if (iequals(model, brand)) return std::string();
    if (auto rest = after_prefix(model, brand)) {
      if (rest->empty() || rest->find_first_of("/:") != std::string_view::npos) return {};
      if (iequals(*rest, "default")) return std::string();
      return std::string(*rest);
    }
  }
  if (auto rest = after_prefix(model, "agent"))
    if (!rest->empty() && rest->find_first_of("/:") == std::string_view::npos)
      return std::string(*rest);
  return {};
}

json model_object(const std::string& id, std::int64_t created) {
  return json::object(
      {{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "durar"}});
}

json models_list(const std::vector<agent_profile>& agents, std::int64_t created) {
  json_array data;
  data.push_back(model_object("durar", created));
  data.push_back(model_object("durar/default", created));
  for (const auto& a : agents) data.push_back(model_object("durar/" + a.id, created));
  return json::object({{"object", "list"}, {"data", json(std::move(data))}});
}

api_result<turn_target> resolve_turn_target(gateway_state& state, const http_request& req,
                                            const std::string& model) {
  // Precedence: x-durar-agent-id, then the agent a full session key names, then `model`.
  std::string agent_id;
  std::string param;
  auto full_key = durar_header(req, "session-key");
  if (full_key && full_key->rfind("agent:", 0) != 0) full_key.reset();
  if (auto h = durar_header(req, "agent-id")) {
    // A session belongs to one agent; running another agent's turn in it is a mistake.
    if (full_key && agent_of_session_key(*full_key) != normalize_agent_id(*h))
      return bad_request("x-durar-session-key " + *full_key + " belongs to agent '" +
                         agent_of_session_key(*full_key) + "', not '" + *h + "'");
    agent_id = *h;
  } else if (full_key) {
    agent_id = agent_of_session_key(*full_key);
  } else {
    auto named = agent_of_model_name(model);
    if (!named)
      return not_found("The model '" + model + "' does not exist: " + std::string(model_hint),
                       "model", "model_not_found");
    agent_id = std::move(*named);
    param = "model";
  }
  auto profile = state.rt.agent(agent_id);
  if (!profile) {
    api_error e = to_api_error(profile.error(), param);
    if (e.status == 404) e.code = "model_not_found";
    return e;
  }
  turn_target out;
  out.agent = std::move(*profile);
  if (auto backend = durar_header(req, "model")) {
    auto ref = state.rt.router().models().resolve(*backend);
    if (!ref) {
      api_error e = to_api_error(ref.error());
      e.message = "x-durar-model: " + e.message;
      if (e.status == 404) e.code = "model_not_found";
      return e;
    }
    if (auto e = unknown_bare_model(state.rt.router().models(), *backend, *ref)) return *e;
    out.model_override = ref->str();
  }
  return out;
}

std::string http_session_key(const http_request& req, const std::string& agent_id,
                             std::string_view prefix, const std::string& user) {
  if (auto key = durar_header(req, "session-key")) return *key;
  std::string base = "agent:" + agent_id + ":" + std::string(prefix);
  if (!user.empty()) return base + "-user:" + user;
  return base + ":" + new_uuid();
}

void handle_models(gateway_state& state, const http_request&, http_responder& out) {
  auto created =
      std::chrono::duration_cast<std::chrono::seconds>(state.started_wall.time_since_epoch())
          .count();
  respond_json(out, 200, models_list(state.rt.agents(), created));
}

void handle_model(gateway_state& state, std::string_view id, http_responder& out) {
  auto created =
      std::chrono::duration_cast<std::chrono::seconds>(state.started_wall.time_since_epoch())
          .count();
  if (auto agent = agent_of_model_name(id); agent && !id.empty())
    if (state.rt.agent(*agent))
      return respond_json(out, 200, model_object(std::string(id), created));
  respond_error(out, not_found("The model '" + std::string(id) +
                                   "' does not exist: " + std::string(model_hint),
                               "model", "model_not_found"));
}

}  // namespace durar::gateway_detail
