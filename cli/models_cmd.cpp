// durar models: list what can be used and set the default.
#include <durar/catalog.hpp>
#include <durar/router.hpp>
#include <durar/suggest.hpp>

#include <fmt/format.h>

#include "context.hpp"
#include "output.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace durar::cli {

namespace {

struct listed_model {
  model_ref ref;
  const model_info* info = nullptr;  // nullptr when the catalog doesn't know the id
  std::vector<std::string> tags;
};

std::string input_kinds(const model_info* m) {
  if (m == nullptr) return "-";
  std::string s;
  for (const auto& k : m->input) s += (s.empty() ? "" : "+") + k;
  return s;
}

// Context windows in units of 1024 tokens, as the original prints them.
std::string context_k(const model_info* m) {
  if (m == nullptr) return "-";
  auto k =
      static_cast<long long>(std::llround(static_cast<double>(m->effective_context()) / 1024.0));
  return std::to_string(k) + "k";
}

void add(std::vector<listed_model>& out, const catalog& cat, const model_ref& ref,
         const std::string& tag) {
  auto it =
      std::find_if(out.begin(), out.end(), [&](const listed_model& m) { return m.ref == ref; });
  if (it == out.end()) {
    out.push_back({ref, cat.model(ref), {}});
    it = out.end() - 1;
  }
  if (!tag.empty() && std::find(it->tags.begin(), it->tags.end(), tag) == it->tags.end())
    it->tags.push_back(tag);
}

// The models this config uses: default, fallbacks, the allowlist, config-defined models.
std::vector<listed_model> configured(const config& cfg, const catalog& cat) {
  std::vector<listed_model> out;
  if (auto r = cat.resolve(cfg.agents.model.primary); r) add(out, cat, *r, "default");
  for (std::size_t i = 0; i < cfg.agents.model.fallbacks.size(); ++i)
    if (auto r = cat.resolve(cfg.agents.model.fallbacks[i]); r)
      add(out, cat, *r, "fallback#" + std::to_string(i + 1));
  for (const auto& [ref, alias] : cat.allowlist()) add(out, cat, ref, "configured");
  for (const auto& [id, p] : cfg.models.providers)
    for (const auto& m : p.models) add(out, cat, {id, m.id}, "configured");
  return out;
}

// What a probed server said, short: "up, 3 models" or "down: not reachable".
std::string server_state(const discovery_report& r) {
  if (r.reachable)
    return r.models.size() == 1 ? "up, 1 model" : fmt::format("up, {} models", r.models.size());
  switch (r.failure.code) {  // the whole message is in --json and models list --verbose
    case errc::unavailable:
      return "down: not reachable";
    case errc::deadline_exceeded:
      return "down: no answer in time";
    case errc::unauthenticated:
      return "down: wants an API key";
    case errc::protocol_error:
      return "down: not a model listing";
    default:
      return "down: " + r.failure.message;
  }
}

json servers_json(const std::vector<discovery_report>& reports) {
  json out = json::array();
  for (const auto& r : reports) {
    json s = json::object({{"provider", r.provider},
                           {"baseUrl", r.base_url},
                           {"reachable", r.reachable},
                           {"models", r.models.size()}});
    if (!r.reachable) s.set("error", r.failure.message);
    out.push_back(std::move(s));
  }
  return out;
}

int models_list(context& ctx, const parsed_args& args) {
  auto cfg = load_config(ctx.load());
  if (!cfg) return fail_with(ctx, exit_failure, cfg.error().message);
  auto built = catalog::from_config(*cfg);
  if (!built) return fail_with(ctx, exit_failure, built.error().message);

  // Probing costs up to the timeout, so only --local asks the servers what they serve.
  const bool local_only = args.has("local");
  asio::io_context io;
  std::optional<model_router> router;
  std::vector<discovery_report> servers;
  const catalog* cat = &*built;
  if (local_only) {
    router.emplace(io, *cfg);
    servers = router->discover();
    cat = &router->models();
  }

  std::vector<listed_model> models = configured(*cfg, *cat);
  if (args.has("all"))
    for (const auto& p : cat->providers())
      for (const auto& m : p.models) add(models, *cat, m.ref(), "");
  for (const auto& r : servers)
    for (const auto& m : r.models) add(models, *cat, m.ref(), "local");
  if (auto only = args.value("provider")) {
    // A provider the catalog does not know is a mistake, not an empty list.
    const provider_info* wanted = cat->provider(*only);
    if (wanted == nullptr) {
      std::vector<std::string> ids;
      for (const auto& p : cat->providers()) ids.push_back(p.id);
      std::string hint = suggest(*only, ids);
      return fail_with(ctx, exit_failure,
                       "unknown provider '" + *only + "'" +
                           (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                           "; 'durar models list --all' shows the catalog's providers");
    }
    auto other = [&](const std::string& id) {
      return id != *only && id != wanted->id && cat->provider(id) != wanted;
    };
    std::erase_if(models, [&](const listed_model& m) { return other(m.ref.provider); });
    std::erase_if(servers, [&](const discovery_report& r) { return other(r.provider); });
  }

  auto auth_of = [&](const listed_model& m) {
    const provider_info* p = cat->provider(m.ref.provider);
    return p != nullptr && (!p->needs_key || !resolve_credentials(*p, cfg->env).empty());
  };
  auto is_local = [&](const listed_model& m) {
    const provider_info* p = cat->provider(m.ref.provider);
    return p != nullptr && p->local;
  };
  if (local_only) std::erase_if(models, [&](const listed_model& m) { return !is_local(m); });
  for (auto& m : models) {
    std::string alias = cat->alias_of(m.ref);
    if (!alias.empty()) m.tags.push_back("alias:" + alias);
  }

  if (ctx.globals.json) {
    json list = json::array();
    for (const auto& m : models) {
      json tags = json::array();
      for (const auto& t : m.tags) tags.push_back(t);
      list.push_back(json::object({
          {"key", m.ref.str()},
          {"name", m.info != nullptr && !m.info->name.empty() ? m.info->name : m.ref.model},
          {"input", input_kinds(m.info)},
          {"contextWindow", m.info != nullptr ? json(m.info->effective_context()) : json()},
          {"local", is_local(m)},
          {"available", auth_of(m)},
          {"tags", tags},
          {"missing", m.info == nullptr},
      }));
    }
    json out = json::object({{"count", models.size()}, {"models", list}});
    if (local_only) out.set("servers", servers_json(servers));
    print_json(out);
    return exit_ok;
  }
  if (args.has("verbose"))
    for (const auto& r : servers)
      if (!r.reachable)
        print(stderr, ctx.styles.yellow("unreachable:") + " " + r.provider + ": " +
                          r.failure.message + "\n");
  if (models.empty()) {
    print(stdout, local_only
                      ? "No local models found. Start Ollama, vLLM, SGLang or LM Studio, or set "
                        "models.providers.<id>.baseUrl; --verbose shows what was probed.\n"
                      : "No models configured. Pick one with 'durar models set <provider/model>'; "
                        "'durar models list --all' shows the catalog.\n");
    return exit_ok;
  }
  std::vector<std::vector<std::string>> rows = {{"Model", "Input", "Ctx", "Local", "Auth", "Tags"}};
  for (const auto& m : models) {
    std::string tags;
    for (const auto& t : m.tags) tags += (tags.empty() ? "" : ",") + t;
    if (m.info == nullptr) tags += (tags.empty() ? "" : ",") + std::string("missing");
    rows.push_back({m.ref.str(), input_kinds(m.info), context_k(m.info), is_local(m) ? "yes" : "no",
                    auth_of(m) ? "yes" : "no", tags});
  }
  std::string table = format_table(rows);
  auto first_newline = table.find('\n');
  print(stdout, ctx.styles.bold(table.substr(0, first_newline)) + table.substr(first_newline));
  return exit_ok;
}

int models_set(context& ctx, const parsed_args& args) {
  auto cfg = load_config(ctx.load());
  if (!cfg) return fail_with(ctx, exit_failure, cfg.error().message);
  auto cat = catalog::from_config(*cfg);
  if (!cat) return fail_with(ctx, exit_failure, cat.error().message);
  const std::string& text = args.positional[0];

  // Choosing a default outside the allowlist is a request to allow it.
  auto ref = cat->resolve_any(text);
  if (!ref) return fail_with(ctx, exit_failure, ref.error().message);
  const bool add_to_allowlist = !cat->allowed(*ref);
  const std::string file = cfg->paths.config_file.string();
  if (add_to_allowlist) {
    auto added =
        config_set(cfg->paths.config_file, "agents.defaults.models[\"" + ref->str() + "\"]", "{}");
    if (!added) return fail_with(ctx, exit_failure, added.error().message);
  }
  auto done =
      config_set(cfg->paths.config_file, "agents.defaults.model.primary", "\"" + ref->str() + "\"");
  if (!done) return fail_with(ctx, exit_failure, done.error().message);
  if (cat->model(*ref) == nullptr) {
    print(stderr, ctx.styles.yellow("note:") + " " + ref->str() +
                      " is not in Durar's catalog; it is used as given\n");
  }
  print(stdout, "Updated " + file + "\nDefault model: " + ref->str() + "\n");
  return exit_ok;
}

int models_status(context& ctx, const parsed_args&) {
  auto cfg = load_config(ctx.load());
  if (!cfg) return fail_with(ctx, exit_failure, cfg.error().message);
  asio::io_context io;
  router_options ropts;
  ropts.state_dir = cfg->paths.state_dir;
  model_router router(io, *cfg, ropts);
  const catalog& cat = router.models();
  auto cooling = router.cooldowns();
  auto servers = router.discover();

  json providers = json::array();
  std::vector<std::vector<std::string>> rows = {{"Provider", "Keys", "Sources"}};
  for (const auto& p : cat.providers()) {
    auto creds = resolve_credentials(p, cfg->env);
    if (creds.empty() && p.needs_key) continue;
    json sources = json::array();
    std::string joined;
    for (const auto& c : creds) {
      sources.push_back(c.source);
      joined += (joined.empty() ? "" : ", ") + c.source;
    }
    providers.push_back(
        json::object({{"provider", p.id}, {"keys", creds.size()}, {"sources", sources}}));
    rows.push_back({p.id, p.needs_key ? std::to_string(creds.size()) : "local", joined});
  }
  json cooldowns = json::array();
  auto now = std::chrono::system_clock::now();
  std::vector<std::vector<std::string>> cool_rows = {{"Model", "Key", "Reason", "Left"}};
  for (const auto& c : cooling) {
    auto left = std::chrono::duration_cast<std::chrono::seconds>(c.until - now).count();
    cooldowns.push_back(json::object({{"provider", c.provider},
                                      {"model", c.model},
                                      {"credential", c.credential},
                                      {"reason", c.reason},
                                      {"level", c.level},
                                      {"remainingSeconds", left}}));
    cool_rows.push_back({c.provider + "/" + c.model, c.credential, c.reason,
                         left >= 3600 ? fmt::format("{}h{:02}m", left / 3600, left % 3600 / 60)
                                      : fmt::format("{}m{:02}s", left / 60, left % 60)});
  }
  if (ctx.globals.json) {
    json fallbacks = json::array();
    for (const auto& f : cfg->agents.model.fallbacks) fallbacks.push_back(f);
    print_json(json::object({{"defaultModel", cfg->agents.model.primary},
                             {"fallbacks", fallbacks},
                             {"providers", providers},
                             {"localServers", servers_json(servers)},
                             {"cooldowns", cooldowns}}));
    return exit_ok;
  }
  std::string out = ctx.styles.bold("Default model") + "  " +
                    (cfg->agents.model.primary.empty() ? "(not set)" : cfg->agents.model.primary);
  for (const auto& f : cfg->agents.model.fallbacks) out += ", then " + f;
  out += "\n\n" + format_table(rows, 80);
  if (!servers.empty()) {
    std::vector<std::vector<std::string>> server_rows = {{"Local server", "URL", "State"}};
    for (const auto& r : servers) server_rows.push_back({r.provider, r.base_url, server_state(r)});
    out += "\n" + format_table(server_rows, 80);
  }
  out += "\n" +
         (cooling.empty() ? std::string("No key is cooling down.\n") : format_table(cool_rows, 80));
  print(stdout, out);
  return exit_ok;
}

int models_probe(context& ctx, const parsed_args& args) {
  auto cfg = load_config(ctx.load());
  if (!cfg) return fail_with(ctx, exit_failure, cfg.error().message);
  asio::io_context io;
  router_options ropts;
  ropts.state_dir = cfg->paths.state_dir;
  model_router router(io, *cfg, ropts);
  completion_request req;
  req.model = args.positional[0];
  req.fallbacks = {};  // a probe tests exactly one model
  req.options.max_tokens = 16;
  req.options.total_timeout = std::chrono::seconds(60);
  req.conv.messages.push_back(user_text("Reply with the single word: ok"));
  auto started = std::chrono::steady_clock::now();
  auto out = router.complete(std::move(req));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  if (ctx.globals.json) {
    json j =
        json::object({{"model", args.positional[0]}, {"ok", out.has_value()}, {"latencyMs", ms}});
    if (out)
      j.set("usage", to_json(out->usage));
    else
      j.set("error", out.error().describe());
    print_json(j);
    return out ? exit_ok : exit_failure;
  }
  if (!out) return fail_with(ctx, exit_failure, args.positional[0] + ": " + out.error().detail());
  print(stdout, fmt::format("{} {}/{} in {} ms · tokens in {} out {} · ${:.6f} · \"{}\"\n",
                            ctx.styles.green("ok"), out->provider, out->model, ms, out->usage.input,
                            out->usage.output, out->usage.cost.total, text_of(*out)));
  return exit_ok;
}

}  // namespace

std::vector<command_spec> models_commands() {
  return {
      {"models list",
       "",
       "List configured models (--all: the whole catalog) with auth and context",
       {{"all", "", "include every catalog model"},
        {"local", "", "ask local servers (Ollama, vLLM, ...) for their models; only local models"},
        {"provider", "ID", "only this provider's models"},
        {"verbose", "", "with --local: report unreachable servers on stderr"}},
       0,
       0,
       models_list},
      {"models set",
       "<provider/model|alias>",
       "Set the default model (agents.defaults.model.primary)",
       {},
       1,
       1,
       models_set},
      {"models status",
       "",
       "Which providers have credentials, which local servers answer, which keys cool down",
       {},
       0,
       0,
       models_status},
      {"models probe",
       "<provider/model|alias>",
       "Send one tiny request and print latency, usage and cost",
       {},
       1,
       1,
       models_probe},
  };
}

}  // namespace durar::cli
