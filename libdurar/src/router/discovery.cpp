// Local-server discovery through the router: every local provider's listing endpoint probed
// at once, Ollama's /api/show per model (bounded), the models found merged into models().
#include "transports/discovery.hpp"

#include <durar/router.hpp>

#include <asio/post.hpp>
#include <fmt/format.h>

#include "catalog/catalog_internal.hpp"
#include "router/router_state.hpp"

#include <algorithm>
#include <optional>

namespace durar {

namespace {

constexpr std::size_t show_concurrency =
    8;                                   // /api/show requests in flight per server, as the original
constexpr std::size_t show_limit = 200;  // models enriched per server, as the original
constexpr std::size_t max_body_bytes = 8u << 20;

struct fetched {
  http_head head;
  std::string body;
  bool truncated = false;
};

// One request with its whole (bounded) body; connect and total bounded by `timeout`.
void fetch(detail::http_client& http, http_request req, std::chrono::milliseconds timeout,
           std::function<void(result<fetched>)> done) {
  auto out = std::make_shared<fetched>();
  detail::http_timeouts limits;
  limits.connect = timeout;
  limits.idle = timeout;
  limits.total = timeout;
  detail::http_callbacks cb;
  cb.on_head = [out](const http_head& h) { out->head = h; };
  cb.on_body = [out](std::string_view bytes) {
    if (out->body.size() + bytes.size() > max_body_bytes) {
      out->truncated = true;
      return;
    }
    out->body.append(bytes);
  };
  cb.on_complete = [out, done = std::move(done)](result<void> r) {
    if (!r) return done(fail(r.error()));
    done(std::move(*out));
  };
  http.start(std::move(req), limits, std::move(cb));
}

// Transport errors name the request already, except timeouts; make every one say where.
error naming(error e, const std::string& target) {
  if (e.message.find(target) == std::string::npos) e.message = target + ": " + e.message;
  return e;
}

// The config's entry for a discovered model, when the config lists it.
const model_config* configured(const config& cfg, const std::string& provider,
                               const std::string& model) {
  for (const auto& [raw_id, pc] : cfg.models.providers) {
    if (detail::normalize_provider_id(raw_id) != provider) continue;
    for (const auto& mc : pc.models)
      if (detail::trim(mc.id) == model) return &mc;
  }
  return nullptr;
}

struct discovery_run : std::enable_shared_from_this<discovery_run> {
  struct server {
    provider_info provider;  // a snapshot: the catalog may change while probing
    std::optional<secret> key;
    discovery_report report;
    bool settled = false;
    std::size_t next_show = 0;
    std::size_t shows_running = 0;
  };

  std::shared_ptr<detail::router_state> router;
  std::chrono::milliseconds timeout{1500};
  std::function<void(std::vector<discovery_report>)> done;
  std::vector<server> servers;
  std::size_t unsettled = 0;
  bool finished = false;

  ~discovery_run() {
    // The router went away with requests in flight: report what is known, once.
    if (finished || !done) return;
    for (auto& s : servers)
      if (!s.settled) s.report.failure = error(errc::cancelled, "the router was destroyed");
    finished = true;
    try {
      done(reports());
    } catch (...) {  // nothing may escape a destructor
    }
  }

  const secret* key_of(const server& s) const { return s.key ? &*s.key : nullptr; }

  void start() {
    unsettled = servers.size();
    if (servers.empty()) return finish();
    for (std::size_t i = 0; i < servers.size() && !finished; ++i) probe(i);
  }

  void probe(std::size_t i) {
    server& s = servers[i];
    if (!router->http) return settle(i, error(errc::cancelled, "the router was destroyed"));
    http_request req = detail::build_listing_request(s.provider, key_of(s));
    std::string target = detail::redact_http("GET " + req.url);
    fetch(*router->http, std::move(req), timeout,
          [self = shared_from_this(), i, target](result<fetched> r) {
            self->listed(i, target, std::move(r));
          });
  }

  void listed(std::size_t i, const std::string& target, result<fetched> r) {
    server& s = servers[i];
    if (!r) return settle(i, naming(r.error(), target));
    const int status = r->head.status;
    if (status == 401 || status == 403) {
      std::string stem =
          s.provider.auth_env.empty() ? detail::env_stem(s.provider.id) : s.provider.auth_env[0];
      return settle(i,
                    error(errc::unauthenticated,
                          fmt::format("{} answered HTTP {}: the server wants a key; set {}_API_KEY",
                                      target, status, stem)));
    }
    if (status < 200 || status >= 300)
      return settle(i,
                    error(errc::protocol_error,
                          fmt::format("{} answered HTTP {}, not a model listing", target, status)));
    if (r->truncated)
      return settle(i,
                    error(errc::protocol_error, fmt::format("{}: the listing is larger than {} MiB",
                                                            target, max_body_bytes >> 20)));
    auto models = detail::parse_listing(s.provider, r->body);
    if (!models)
      return settle(i, error(errc::protocol_error, fmt::format("{} is not a model listing: {}",
                                                               target, models.error().message)));
    s.report.reachable = true;
    s.report.models = std::move(*models);
    if (s.provider.api == api_kind::ollama && !s.report.models.empty()) return pump_shows(i);
    settle(i, std::nullopt);
  }

  // Ollama lists names only; /api/show has the context length and capabilities.
  void pump_shows(std::size_t i) {
    server& s = servers[i];
    const std::size_t limit = std::min(s.report.models.size(), show_limit);
    while (s.shows_running < show_concurrency && s.next_show < limit && router->http) {
      const std::size_t m = s.next_show++;
      ++s.shows_running;
      fetch(*router->http,
            detail::build_ollama_show_request(s.provider, s.report.models[m].id, key_of(s)),
            timeout, [self = shared_from_this(), i, m](result<fetched> r) {
              self->shown(i, m, std::move(r));
            });
    }
    if (s.shows_running == 0) settle(i, std::nullopt);
  }

  void shown(std::size_t i, std::size_t m, result<fetched> r) {
    server& s = servers[i];
    --s.shows_running;
    // A model without details keeps the defaults, as in the original.
    if (r && r->head.status >= 200 && r->head.status < 300 && !r->truncated)
      (void)detail::apply_ollama_show(s.report.models[m], r->body);
    pump_shows(i);
  }

  void settle(std::size_t i, std::optional<error> failure) {
    server& s = servers[i];
    if (s.settled) return;
    s.settled = true;
    if (failure) {
      s.report.reachable = false;
      s.report.models.clear();
      s.report.failure = std::move(*failure);
    }
    if (--unsettled == 0) finish();
  }

  // Adds what was found to the catalog; a model the config lists keeps the config's facts.
  void merge(discovery_report& report) {
    auto& providers = catalog_builder::providers(router->cat);
    auto p = std::find_if(providers.begin(), providers.end(),
                          [&](const provider_info& x) { return x.id == report.provider; });
    if (p == providers.end()) return;  // removed by the host meanwhile
    for (model_info& m : report.models) {
      if (const model_config* mc = configured(router->cfg, p->id, m.id))
        detail::apply_model_config(m, *mc);
      auto it = std::find_if(p->models.begin(), p->models.end(),
                             [&](const model_info& x) { return x.id == m.id; });
      if (it == p->models.end())
        p->models.push_back(m);
      else
        *it = m;
    }
  }

  std::vector<discovery_report> reports() {
    std::vector<discovery_report> out;
    out.reserve(servers.size());
    for (auto& s : servers) out.push_back(std::move(s.report));
    return out;
  }

  void finish() {
    if (finished) return;
    finished = true;
    for (auto& s : servers)
      if (s.report.reachable) merge(s.report);
    auto callback = std::move(done);
    if (callback) callback(reports());
  }
};

}  // namespace

void model_router::async_discover(std::function<void(std::vector<discovery_report>)> done,
                                  std::chrono::milliseconds timeout) {
  auto run = std::make_shared<discovery_run>();
  run->router = impl_;
  run->timeout = timeout;
  run->done = std::move(done);
  for (const auto& p : impl_->cat.providers()) {
    if (!p.local) continue;
    discovery_run::server s;
    s.provider = p;
    auto keys = resolve_credentials(p, impl_->cfg.env);
    if (!keys.empty()) s.key = keys.front().key;
    s.report.provider = p.id;
    s.report.base_url = p.base_url;
    run->servers.push_back(std::move(s));
  }
  asio::post(impl_->io, [run] { run->start(); });
}

std::vector<discovery_report> model_router::discover(std::chrono::milliseconds timeout) {
  std::optional<std::vector<discovery_report>> out;
  async_discover([&out](std::vector<discovery_report> r) { out = std::move(r); }, timeout);
  impl_->io.restart();
  while (!out && impl_->io.run_one() > 0) {
  }
  return out ? std::move(*out) : std::vector<discovery_report>{};
}

}  // namespace durar
