// The gateway's HTTP routes: health (open), then auth, then the OpenAI-compatible API and
// /tools/invoke. Unknown paths are 404s and known paths with another method 405s, both in
// OpenAI's error shape. Nothing a handler throws reaches the server's loop.
#include "http_routes.hpp"

#include "http_errors.hpp"
#include "openai_api.hpp"

#include <exception>

namespace durar::gateway_detail {

// ---- openai_context ------------------------------------------------------------------------

void openai_context::remember_response(const std::string& response_id,
                                       const std::string& session_key) {
  if (sessions_.insert_or_assign(response_id, session_key).second) order_.push_back(response_id);
  while (order_.size() > max_remembered) {
    sessions_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<std::string> openai_context::session_of_response(std::string_view id) const {
  if (auto it = sessions_.find(id); it != sessions_.end()) return it->second;
  return std::nullopt;
}

bool endpoint_enabled(const config& cfg, std::string_view name) {
  const json& enabled = cfg.document["gateway"]["http"]["endpoints"][name]["enabled"];
  return !(enabled.is_bool() && !enabled.as_bool());
}

namespace {

// "POST /v1/chat/completions from 127.0.0.1" for the log: the decoded path may hold any
// byte, so control characters are shown as '?' (no forged lines) and long paths are cut.
std::string request_line(const http_request& req) {
  constexpr std::size_t max_path = 200;
  std::string out = req.method + " ";
  for (std::size_t i = 0; i < req.path.size() && i < max_path; ++i) {
    const auto ch = static_cast<unsigned char>(req.path[i]);
    out += ch < 0x20 || ch == 0x7f ? '?' : req.path[i];
  }
  if (req.path.size() > max_path) out += "...";
  return out + " from " + req.remote_address;
}

// Knows whether a response has begun, so a handler that throws midway gets a 500 only when
// nothing was written yet. While the gateway shuts down, every response closes its connection.
// Server errors are logged here, where every route's answer passes.
class tracking_responder final : public http_responder {
 public:
  tracking_responder(std::shared_ptr<http_responder> inner, const gateway_state& state,
                     const http_request& req)
      : inner_(std::move(inner)),
        state_(state),
        line_(state.log.enabled(log_level::warn) ? request_line(req) : std::string()) {}
  void respond(int status, header_list headers, std::string body) override {
    begin(status);
    inner_->respond(status, closing(std::move(headers)), std::move(body));
  }
  void start_stream(int status, header_list headers) override {
    begin(status);
    inner_->start_stream(status, closing(std::move(headers)));
  }
  void write(std::string_view bytes) override { inner_->write(bytes); }
  void end() override { inner_->end(); }
  void on_disconnect(std::function<void()> f) override { inner_->on_disconnect(std::move(f)); }
  [[nodiscard]] bool open() const override { return inner_->open(); }
  [[nodiscard]] bool begun() const noexcept { return begun_; }

 private:
  void begin(int status) {
    begun_ = true;
    if (status >= 500 && !line_.empty() && !state_.draining)  // draining: 503s are expected
      state_.log.warn(log_subsystem::http, line_ + " answered " + std::to_string(status));
  }
  header_list closing(header_list headers) const {
    if (state_.draining) headers.emplace_back("connection", "close");
    return headers;
  }
  std::shared_ptr<http_responder> inner_;
  const gateway_state& state_;
  std::string line_;  // the request, for a server error's line; "" when nobody logs warnings
  bool begun_ = false;
};

enum class route { none, health, ready, models, model, chat, responses, embeddings, tools };

struct match {
  route which = route::none;
  std::string_view allow;  // the methods the path takes
  std::string_view rest;   // /v1/models/{rest}
};

match find_route(std::string_view path) {
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/health" || path == "/healthz") return {route::health, "GET, HEAD", {}};
  if (path == "/ready" || path == "/readyz") return {route::ready, "GET, HEAD", {}};
  if (path == "/v1/models") return {route::models, "GET, HEAD", {}};
  constexpr std::string_view model_prefix = "/v1/models/";
  if (path.rfind(model_prefix, 0) == 0)
    return {route::model, "GET, HEAD", path.substr(model_prefix.size())};
  if (path == "/v1/chat/completions") return {route::chat, "POST", {}};
  if (path == "/v1/responses") return {route::responses, "POST", {}};
  if (path == "/v1/embeddings") return {route::embeddings, "POST", {}};
  if (path == "/tools/invoke") return {route::tools, "POST", {}};
  return {};
}

bool method_allowed(std::string_view method, std::string_view allow) {
  if (allow == "POST") return method == "POST";
  return method == "GET" || method == "HEAD";
}

// Liveness stays 200 while the gateway shuts down; readiness turns 503 ("stopping").
void health(gateway_state& state, http_responder& out, std::string_view status) {
  const bool ready = status != "ready" || !state.draining;
  json body = json::object({{"ok", ready},
                            {"status", ready ? status : std::string_view("stopping")},
                            {"uptimeMs", state.uptime_ms()}});
  header_list headers = {{"content-type", "application/json; charset=utf-8"},
                         {"cache-control", "no-store"}};
  // HEAD too gets the whole body: the responder sends GET's Content-Length and drops it.
  out.respond(ready ? 200 : 503, std::move(headers), body.dump());
}

// nullopt when the caller may proceed.
std::optional<api_error> authenticate(gateway_state& state, const http_request& req) {
  std::string_view presented = gateway_auth::bearer(req.header("authorization").value_or(""));
  auth_outcome outcome = state.auth.check(presented, req.remote_address);
  if (outcome == auth_outcome::ok) return std::nullopt;
  api_error e;
  e.message = state.auth.message(outcome);
  // The outcome only, never what was presented.
  const log_level level = outcome == auth_outcome::missing ? log_level::info : log_level::warn;
  if (state.log.enabled(level))
    state.log.log(level, log_subsystem::auth, "refused " + request_line(req) + ": " + e.message);
  if (outcome == auth_outcome::throttled) {
    e.status = 429;
    e.code = "auth_throttled";
    // What is left of this address's lockout (respond_error rounds it up to whole seconds).
    e.retry_after = state.auth.lockout_left(req.remote_address);
  } else {
    e.status = 401;
    e.code = outcome == auth_outcome::missing ? "missing_token" : "invalid_token";
  }
  e.type = std::string(error_type_for(e.status));
  return e;
}

void dispatch(gateway_state& state, const std::shared_ptr<openai_context>& ctx,
              const http_request& req, const std::shared_ptr<tracking_responder>& out) {
  match m = find_route(req.path);
  if (m.which == route::none) {
    api_error e = not_found("Unknown route: " + req.method + " " + req.path, {}, "unknown_route");
    return respond_error(*out, e);
  }
  if (!method_allowed(req.method, m.allow)) {
    api_error e;
    e.status = 405;
    e.type = "invalid_request_error";
    e.code = "method_not_allowed";
    e.message = req.method + " is not allowed on " + req.path + "; use " + std::string(m.allow);
    out->respond(
        405, {{"content-type", "application/json; charset=utf-8"}, {"allow", std::string(m.allow)}},
        error_body(e).dump());
    return;
  }
  // Health answers without auth: probes carry no token and learn nothing private.
  if (m.which == route::health) return health(state, *out, "live");
  if (m.which == route::ready) return health(state, *out, "ready");
  if (state.draining) return respond_error(*out, shutting_down(state.restart_expected));
  if (auto denied = authenticate(state, req)) return respond_error(*out, *denied);

  switch (m.which) {
    case route::models:
      return handle_models(state, req, *out);
    case route::model:
      return handle_model(state, m.rest, *out);
    case route::chat:
      return handle_chat_completions(state, req, out);
    case route::responses:
      return handle_responses(state, ctx, req, out);
    case route::embeddings:
      return handle_embeddings(state, req, out);
    case route::tools:
      return handle_tools_invoke(state, req, out);
    default:
      return;
  }
}

}  // namespace

http_handler make_http_routes(gateway_state& state) {
  auto ctx = std::make_shared<openai_context>();
  return [&state, ctx](http_request req, std::shared_ptr<http_responder> raw) {
    if (state.log.enabled(log_level::debug))
      state.log.debug(log_subsystem::http, request_line(req));
    auto out = std::make_shared<tracking_responder>(std::move(raw), state, req);
    std::string what;
    try {
      dispatch(state, ctx, req, out);
      return;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "unknown exception";
    }
    if (out->begun()) return;
    api_error e;
    e.status = 500;
    e.type = "server_error";
    e.code = "internal";
    e.message = "internal error handling " + req.method + " " + req.path + ": " + what;
    try {
      respond_error(*out, e);
    } catch (...) {
    }
  };
}

}  // namespace durar::gateway_detail
