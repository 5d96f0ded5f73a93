// The control protocol's read-mostly methods: health, status, models.list, config.get and
// sessions.list/reset/delete/compact.
#include <durar/config.hpp>
#include <durar/session.hpp>
#include <durar/version.hpp>

#include <asio/post.hpp>

#include "control_internal.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace durar::gateway_detail {

namespace {

constexpr std::chrono::milliseconds idle_poll{25};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

json session_row(const session_info& s, const std::string& agent_id) {
  json row = json::object({{"key", s.key},
                           {"sessionId", s.session_id},
                           {"agentId", agent_id},
                           {"updatedAt", s.updated_at}});
  if (!s.model.empty()) row.set("model", s.model);
  if (!s.model_provider.empty()) row.set("modelProvider", s.model_provider);
  if (!s.thinking_level.empty()) row.set("thinkingLevel", s.thinking_level);
  row.set("inputTokens", s.input_tokens);
  row.set("outputTokens", s.output_tokens);
  row.set("totalTokens", s.total_tokens);
  if (s.context_tokens > 0) row.set("contextTokens", s.context_tokens);
  row.set("compactionCount", s.compaction_count);
  return row;
}

// Every session of the agents asked for, most recent first.
result<std::vector<json>> session_rows(control_core& core, const std::string& agent_id) {
  std::vector<agent_profile> agents;
  if (!agent_id.empty()) {
    auto a = core.state.rt.agent(agent_id);
    if (!a) return fail(a.error());
    agents.push_back(*a);
  } else {
    agents = core.state.rt.agents();
  }
  std::vector<std::pair<std::int64_t, json>> rows;
  for (const auto& a : agents) {
    auto store = core.state.rt.sessions(a.id);
    if (!store) return fail(store.error());
    auto list = (*store)->list();
    if (!list) return fail(list.error());
    for (const auto& s : *list) rows.emplace_back(s.updated_at, session_row(s, a.id));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& x, const auto& y) { return x.first > y.first; });
  std::vector<json> out;
  out.reserve(rows.size());
  for (auto& r : rows) out.push_back(std::move(r.second));
  return out;
}

json model_entry(const model_info* m, const model_ref& ref, const std::string& alias) {
  json e = json::object({{"id", ref.model},
                         {"name", m != nullptr && !m->name.empty() ? m->name : ref.model},
                         {"provider", ref.provider}});
  if (!alias.empty()) e.set("alias", alias);
  if (m != nullptr) {
    e.set("contextWindow", m->context_window);
    e.set("reasoning", m->reasoning);
    json input = json::array();
    for (const auto& i : m->input) input.push_back(i);
    e.set("input", std::move(input));
  }
  return e;
}

void models_list(const method_call& call) {
  const catalog& cat = call.core->state.rt.router().models();
  json models = json::array();
  if (cat.has_allowlist()) {
    // The allowlist is what the user picked; it is also all an agent may use.
    for (const auto& [ref, alias] : cat.allowlist())
      models.push_back(model_entry(cat.model(ref), ref, alias));
  } else {
    for (const auto& p : cat.providers())
      for (const auto& m : p.models)
        models.push_back(model_entry(&m, m.ref(), cat.alias_of(m.ref())));
  }
  call.ok(json::object({{"models", std::move(models)}}));
}

// A key path segment for a top-level key, quoted when it is not a plain name.
std::string key_segment(const std::string& key) {
  bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
  });
  return plain ? key : "[\"" + key + "\"]";
}

void config_get_method(const method_call& call) {
  param_reader r(call.params, call.method);
  std::string path = r.string("path");
  if (!r.ok()) return call.fail(r.error());
  const config& cfg = call.core->state.rt.cfg();
  const std::filesystem::path& file = cfg.paths.config_file;
  std::error_code ec;
  bool exists = std::filesystem::exists(file, ec);
  json out = json::object({{"path", file.string()}, {"exists", exists}});
  // The file's own values, before ${VAR} substitution, so a secret that came from the
  // environment is never resolved into the answer; then redacted as `durar config get` does.
  if (!path.empty()) {
    auto v = config_get(file, path);
    if (!v) return call.fail(to_control_error(v.error()));
    out.set("key", path);
    out.set("value", redact_secrets(*v, path));
    return call.ok(out);
  }
  json doc = json::object();
  if (exists && cfg.document.is_object())
    for (const auto& [key, value] : cfg.document.as_object())
      if (auto raw = config_get(file, key_segment(key)); raw) doc.set(key, *raw);
  out.set("valid", true);  // the gateway runs on it, so it loaded
  out.set("config", redact_secrets(doc));
  json issues = json::array();
  for (const auto& w : cfg.warnings) issues.push_back(w.describe());
  out.set("warnings", std::move(issues));
  call.ok(out);
}

void sessions_list(const method_call& call) {
  param_reader r(call.params, call.method);
  auto limit = r.integer("limit", 1, 100'000);
  auto offset = r.integer("offset", 0, INT64_MAX);
  std::string agent_id = r.string("agentId");
  std::string search = lower(r.string("search"));
  if (!r.ok()) return call.fail(r.error());
  auto rows = session_rows(*call.core, agent_id);
  if (!rows) return call.fail(to_control_error(rows.error()));
  std::vector<json> matched;
  for (auto& row : *rows) {
    if (!search.empty() && lower(row.string_or("key")).find(search) == std::string::npos &&
        lower(row.string_or("model")).find(search) == std::string::npos)
      continue;
    matched.push_back(std::move(row));
  }
  json sessions = json::array();
  std::size_t start = static_cast<std::size_t>(offset.value_or(0));
  for (std::size_t i = start; i < matched.size(); ++i) {
    if (limit && sessions.size() >= static_cast<std::size_t>(*limit)) break;
    sessions.push_back(std::move(matched[i]));
  }
  std::size_t count = sessions.size();
  call.ok(json::object({{"ts", now_ms()},
                        {"count", count},
                        {"total", matched.size()},
                        {"sessions", std::move(sessions)}}));
}

// The key a sessions.* call names ("key", or "sessionKey" as chat.* spells it).
std::optional<control_core::session_target> session_param(const method_call& call) {
  param_reader r(call.params, call.method);
  std::string key = r.string_any({"key", "sessionKey"}, true);
  std::string agent_id = r.string("agentId");
  if (!r.ok()) {
    call.fail(r.error());
    return std::nullopt;
  }
  return call.core->target(key, agent_id);
}

std::shared_ptr<session_store> store_for(const method_call& call, const std::string& agent_id) {
  auto store = call.core->state.rt.sessions(agent_id);
  if (!store) {
    call.fail(to_control_error(store.error()));
    return nullptr;
  }
  return *store;
}

void sessions_reset(const method_call& call) {
  auto t = session_param(call);
  if (!t) return;
  auto store = store_for(call, t->agent_id);
  if (!store) return;
  // A reset stops what is running in the session first, as the original does.
  call.core->when_idle(
      t->key, true,
      [call, store, key = t->key] {
        auto r = store->reset(key);
        if (!r && r.error().code == errc::unavailable) return false;  // still closing
        if (!r) {
          call.fail(to_control_error(r.error()));
        } else {
          call.ok(json::object(
              {{"ok", true}, {"key", key}, {"entry", session_row(*r, store->agent_id())}}));
        }
        return true;
      },
      [call](control_error e) { call.fail(e); });
}

void sessions_delete(const method_call& call) {
  auto t = session_param(call);
  if (!t) return;
  const config& cfg = call.core->state.rt.cfg();
  if (t->key == main_session_key(t->agent_id, cfg.session.main_key))
    return call.fail(
        invalid_request("cannot delete the main session " + t->key + "; use sessions.reset"));
  auto store = store_for(call, t->agent_id);
  if (!store) return;
  call.core->when_idle(
      t->key, true,
      [call, store, key = t->key] {
        auto r = store->remove(key);
        if (!r && r.error().code == errc::unavailable) return false;
        if (!r && r.error().code != errc::not_found) {
          call.fail(to_control_error(r.error()));
        } else {
          call.ok(json::object({{"ok", true}, {"key", key}, {"deleted", r.has_value()}}));
        }
        return true;
      },
      [call](control_error e) { call.fail(e); });
}

void sessions_compact(const method_call& call) {
  auto t = session_param(call);
  if (!t) return;
  param_reader r(call.params, call.method);
  std::string instructions = r.string("instructions");
  if (!r.ok()) return call.fail(r.error());
  auto store = store_for(call, t->agent_id);
  if (!store) return;
  auto found = store->find(t->key);
  if (!found) return call.fail(to_control_error(found.error()));
  if (!*found)
    return call.ok(json::object(
        {{"ok", true}, {"key", t->key}, {"compacted", false}, {"reason", "no session"}}));

  // Compaction asks the model for a summary, so it waits for running turns instead of
  // aborting them.
  call.core->when_idle(
      t->key, false,
      [call, store, target = *t, instructions] {
        gateway_state& st = call.core->state;
        auto opened = store->open(target.key);
        if (!opened && opened.error().code == errc::unavailable) return false;
        if (!opened) {
          call.fail(to_control_error(opened.error()));
          return true;
        }
        auto profile = st.rt.agent(target.agent_id);
        if (!profile) {
          call.fail(to_control_error(profile.error()));
          return true;
        }
        struct compaction_job {
          std::unique_ptr<session> s;
          std::unique_ptr<agent> a;
        };
        auto job = std::make_shared<compaction_job>();
        job->s = std::move(*opened);
        auto made = st.rt.make_agent(*profile, job->s.get());
        if (!made) {
          call.fail(to_control_error(made.error()));
          return true;
        }
        job->a = std::move(*made);
        asio::io_context& io = st.io;
        job->a->async_compact(instructions,
                              [call, job, &io, key = target.key](result<compaction_record> c) {
                                if (!c) {
                                  call.fail(to_control_error(c.error()));
                                } else {
                                  json out = json::object({{"ok", true},
                                                           {"key", key},
                                                           {"compacted", !c->summary.empty()},
                                                           {"tokensBefore", c->tokens_before}});
                                  if (!c->first_kept_entry_id.empty())
                                    out.set("firstKeptEntryId", c->first_kept_entry_id);
                                  call.ok(out);
                                }
                                // The agent is on the stack of its own callback; release it
                                // afterwards.
                                asio::post(io, [job] {});
                              });
        return true;
      },
      [call](control_error e) { call.fail(e); });
}

void status_method(const method_call& call) {
  control_core& core = *call.core;
  gateway_state& st = core.state;
  const config& cfg = st.rt.cfg();
  json agents = json::array();
  for (const auto& a : st.rt.agents()) {
    json e = json::object({{"agentId", a.id}, {"isDefault", a.is_default}});
    if (!a.name.empty()) e.set("name", a.name);
    if (!a.model.primary.empty()) e.set("model", a.model.primary);
    e.set("workspace", a.workspace.string());
    agents.push_back(std::move(e));
  }
  json recent = json::array();
  std::size_t count = 0;
  if (auto rows = session_rows(core, ""); rows) {
    count = rows->size();
    for (std::size_t i = 0; i < rows->size() && i < 10; ++i) recent.push_back((*rows)[i]);
  }
  call.ok(json::object(
      {{"ok", true},
       {"version", std::string(durar::version())},
       {"uptimeMs", st.uptime_ms()},
       {"startedAt",
        std::chrono::duration_cast<std::chrono::milliseconds>(st.started_wall.time_since_epoch())
            .count()},
       {"gateway", json::object({{"host", st.settings.bind_host},
                                 {"port", st.settings.port},
                                 {"authMode", st.auth.mode()}})},
       {"configPath", cfg.paths.config_file.string()},
       {"stateDir", cfg.paths.state_dir.string()},
       {"defaultModel", cfg.agents.model.primary},
       {"agents", std::move(agents)},
       {"sessions", json::object({{"count", count}, {"recent", std::move(recent)}})},
       {"runs", json::object({{"active", st.runs.active()}})},
       {"clients", core.connected_count()}}));
}

}  // namespace

json control_core::health() const {
  auto t0 = std::chrono::steady_clock::now();
  json agents = json::array();
  std::size_t total = 0;
  for (const auto& a : state.rt.agents()) {
    std::size_t count = 0;
    if (auto store = state.rt.sessions(a.id); store)
      if (auto list = (*store)->list(); list) count = list->size();
    total += count;
    agents.push_back(json::object({{"agentId", a.id},
                                   {"isDefault", a.is_default},
                                   {"sessions", json::object({{"count", count}})}}));
  }
  std::string default_agent = "main";
  if (auto a = state.rt.agent(""); a) default_agent = a->id;
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  return json::object({{"ok", true},
                       {"ts", now_ms()},
                       {"durationMs", took.count()},
                       {"uptimeMs", state.uptime_ms()},
                       {"version", std::string(durar::version())},
                       {"defaultAgentId", default_agent},
                       {"agents", std::move(agents)},
                       {"sessions", json::object({{"count", total}})},
                       {"runs", json::object({{"active", state.runs.active()}})},
                       {"clients", connected_count()}});
}

control_core::session_target control_core::target(const std::string& session_key,
                                                  const std::string& agent_id) const {
  turn_request r;
  r.session_key = session_key;
  r.agent_id = agent_id;
  session_target t;
  t.key = state.runs.resolve_key(r);
  // A key names its agent ("agent:coder:main"); the turn must run in that agent's store.
  if (t.key.starts_with("agent:")) {
    t.agent_id = agent_of_session_key(t.key);
  } else if (!agent_id.empty()) {
    t.agent_id = agent_id;
  } else if (auto a = state.rt.agent(""); a) {
    t.agent_id = a->id;
  }
  return t;
}

namespace {

// Looks again every idle_poll until the session is free and the attempt succeeds, or the
// deadline passes. Owned by its pending timer handler.
struct idle_waiter : std::enable_shared_from_this<idle_waiter> {
  asio::steady_timer timer;
  std::chrono::steady_clock::time_point deadline;
  std::function<bool()> attempt;
  std::function<void(control_error)> gave_up;
  std::string key;
  std::weak_ptr<control_core> core;

  explicit idle_waiter(asio::io_context& io) : timer(io) {}

  void arm() {
    timer.expires_after(idle_poll);
    timer.async_wait([self = shared_from_this()](std::error_code ec) { self->fire(ec); });
  }
  void fire(std::error_code ec) {
    auto c = core.lock();
    if (ec || !c) return;
    if (c->state.runs.runs_of(key).empty() && attempt()) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      control_error e;
      e.code = control_code::unavailable;
      e.message = "session " + key + " is busy; try again";
      e.retryable = true;
      e.retry_after_ms = 1000;
      gave_up(e);
      return;
    }
    arm();
  }
};

}  // namespace

void control_core::when_idle(const std::string& key, bool abort, std::function<bool()> attempt,
                             std::function<void(control_error)> gave_up,
                             std::chrono::milliseconds limit) {
  if (state.runs.runs_of(key).empty() && attempt()) return;
  if (abort) state.runs.abort_session(key);
  // Aborted turns end on the loop, and their session closes just after: look again shortly.
  auto w = std::make_shared<idle_waiter>(state.io);
  w->deadline = std::chrono::steady_clock::now() + limit;
  w->attempt = std::move(attempt);
  w->gave_up = std::move(gave_up);
  w->key = key;
  w->core = weak_from_this();
  w->arm();
}

void register_basic_methods(control_core& core) {
  core.methods["health"] = {control_scope::read,
                            [](const method_call& call) { call.ok(call.core->health()); }};
  core.methods["status"] = {control_scope::read, status_method};
  core.methods["models.list"] = {control_scope::read, models_list};
  core.methods["config.get"] = {control_scope::read, config_get_method};
  core.methods["sessions.list"] = {control_scope::read, sessions_list};
  core.methods["sessions.reset"] = {control_scope::write, sessions_reset};
  core.methods["sessions.delete"] = {control_scope::write, sessions_delete};
  core.methods["sessions.compact"] = {control_scope::write, sessions_compact};
}

}  // namespace durar::gateway_detail
