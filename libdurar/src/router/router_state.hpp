// Private to the router module: the state a model_router shares with the calls it started,
// used by router.cpp (completions) and the entry points in their own files (embeddings,
// discovery).
#pragma once

#include <durar/router.hpp>

#include <fmt/format.h>

#include "http/http_client.hpp"
#include "router/cooldowns.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace durar::detail {

// Vendors sometimes echo the key they were given; it must not travel further.
inline void scrub(error& e, const secret* key) {
  if (key == nullptr || key->reveal().size() < 6) return;
  for (std::string* s : {&e.message, &e.provider_message}) {
    for (auto at = s->find(key->reveal()); at != std::string::npos; at = s->find(key->reveal()))
      s->replace(at, key->reveal().size(), "***");
  }
}

// One model to try: where it lives, its metadata and the keys that may call it.
struct candidate {
  model_ref ref;
  const provider_info* provider = nullptr;
  model_info model;  // a copy: unknown ids get the catalog defaults
  std::vector<credential> keys;
};

// A model whose provider needs a key and has none: the variable to set.
inline error missing_key_error(const candidate& c) {
  std::string stem = c.provider->auth_env.empty() ? c.ref.provider : c.provider->auth_env[0];
  return error(errc::unauthenticated,
               fmt::format("no API key for {}: set {}_API_KEY", c.ref.provider, stem));
}

struct router_state {
  asio::io_context& io;
  config cfg;
  catalog cat;
  router_options options;
  std::unique_ptr<detail::http_client> http;  // reset by ~model_router to free calls in flight
  detail::cooldown_store cooldowns;
  std::map<std::string, std::shared_ptr<const transport>, std::less<>> transports;
  std::function<void(const route_event&)> observer;

  router_state(asio::io_context& ctx, const config& c, catalog built, router_options opts)
      : io(ctx),
        cfg(c),
        cat(std::move(built)),
        options(std::move(opts)),
        http(std::make_unique<detail::http_client>(ctx)),
        cooldowns(options.state_dir.empty() ? std::filesystem::path()
                                            : options.state_dir / "cooldowns.json",
                  options.clock) {}

  std::shared_ptr<const transport> transport_for(const candidate& c) const {
    std::string_view name =
        c.provider->custom_api.empty() ? to_string(c.model.api) : c.provider->custom_api;
    if (auto it = transports.find(name); it != transports.end()) return it->second;
    return c.provider->custom_api.empty() ? builtin_transport(c.model.api) : nullptr;
  }

  // The first of `c`'s keys at or after `from` that is not cooling down for its model (any
  // key when `ignore_cooldowns`).
  std::optional<std::size_t> usable_key(const candidate& c, std::size_t from,
                                        bool ignore_cooldowns) const {
    for (std::size_t k = from; k < c.keys.size(); ++k) {
      if (ignore_cooldowns) return k;
      auto wait =
          cooldowns.remaining(c.ref.provider, c.ref.model, detail::credential_id(c.keys[k]));
      if (wait.count() == 0) return k;
    }
    return std::nullopt;
  }

  void notify(const route_event& e) const {
    if (observer) observer(e);
  }

  result<std::vector<candidate>> plan(const completion_request& req) const {
    std::vector<std::string> wanted;
    if (!req.model.empty()) {
      wanted.push_back(req.model);
      wanted.insert(wanted.end(), req.fallbacks.begin(), req.fallbacks.end());
    } else {
      if (cfg.agents.model.primary.empty())
        return fail(errc::invalid_argument,
                    "no model given and agents.defaults.model.primary is not set; "
                    "pick one with 'durar models set <provider/model>'");
      wanted.push_back(cfg.agents.model.primary);
      wanted.insert(wanted.end(), cfg.agents.model.fallbacks.begin(),
                    cfg.agents.model.fallbacks.end());
    }
    std::vector<candidate> out;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      auto ref = cat.resolve(wanted[i]);
      if (!ref) {
        if (i == 0) return fail(ref.error());  // the model asked for must exist
        continue;                              // a broken fallback is skipped, not fatal
      }
      out.push_back(make_candidate(*ref));
    }
    return out;
  }

  // A resolved ref with its provider, metadata (catalog defaults for unknown ids) and keys.
  candidate make_candidate(const model_ref& ref) const {
    candidate c;
    c.ref = ref;
    c.provider = cat.provider(ref.provider);
    if (const model_info* m = cat.model(ref)) {
      c.model = *m;
    } else {
      c.model.provider = ref.provider;
      c.model.id = ref.model;
      c.model.name = ref.model;
      c.model.api = c.provider->api;
    }
    c.keys = resolve_credentials(*c.provider, cfg.env);
    return c;
  }
};

}  // namespace durar::detail
