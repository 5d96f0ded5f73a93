// The control protocol's turn methods: `agent` (answers twice: accepted, then the result),
// chat.send (answers at once; the reply arrives as `chat` events), chat.history and
// chat.abort. Both run methods stream `agent` events {runId, seq, stream, ts, data,
// sessionKey} and `chat` events {runId, sessionKey, seq, state, ...} to every connected
// client; a client that closes stops receiving them, and its runs keep going.
#include <durar/agent.hpp>
#include <durar/message.hpp>
#include <durar/session.hpp>

#include <asio/steady_timer.hpp>

#include "control_internal.hpp"
#include "openai_api.hpp"

#include <algorithm>

namespace durar::gateway_detail {

// ---- idempotency ---------------------------------------------------------------------------

void idempotency_cache::prune(std::chrono::steady_clock::time_point now) {
  // Entries share one lifetime, so the oldest are at the front.
  while (!order_.empty() && (map_.size() > max_ || now - order_.front().second > ttl_)) {
    map_.erase(order_.front().first);
    order_.pop_front();
  }
}

std::shared_ptr<idempotency_cache::entry> idempotency_cache::find(const std::string& key) {
  prune(std::chrono::steady_clock::now());
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : it->second;
}

std::shared_ptr<idempotency_cache::entry> idempotency_cache::insert(const std::string& key,
                                                                    std::string run_id) {
  auto now = std::chrono::steady_clock::now();
  auto e = std::make_shared<entry>();
  e->run_id = std::move(run_id);
  if (auto it = map_.find(key); it != map_.end()) {
    it->second = e;
  } else {
    map_.emplace(key, e);
    order_.emplace_back(key, now);
  }
  prune(now);
  return e;
}

namespace {

constexpr std::chrono::milliseconds chat_delta_interval{150};  // as the original throttles

json assistant_json(const std::string& text) {
  return json::object({{"role", "assistant"},
                       {"content", json::array({json::object({{"type", "text"}, {"text", text}})})},
                       {"timestamp", now_ms()}});
}

// How a run ended, for the events and the `agent` method's final answer.
struct run_outcome {
  std::string status;  // ok | aborted | error | timeout
  std::string text;    // the reply
  std::optional<control_error> error;
  json usage;
  std::string stop_reason;
  std::string provider, model;
  std::int64_t duration_ms = 0;
};

// Relays one run's agent events to the clients as `agent` and `chat` events. Everything
// the run reports before the request's first response went out is held until release(),
// so a client always sees the runId before events that carry it.
class run_relay : public std::enable_shared_from_this<run_relay> {
 public:
  run_relay(std::shared_ptr<control_core> core, std::string session_key)
      : core_(core), session_key_(std::move(session_key)), started_at_(now_ms()) {}

  std::string run_id;
  std::function<void(const run_outcome&)> on_finish;
  std::unique_ptr<asio::steady_timer> timeout_timer;
  bool timed_out = false;

  void release() {
    released_ = true;
    auto held = std::move(held_);
    for (auto& f : held) f();
  }

  void event(const agent_event& e) try {
    auto self = shared_from_this();
    switch (e.kind) {
      case agent_event_kind::agent_start:
        later([self] {
          self->agent_out("lifecycle",
                          json::object({{"phase", "start"}, {"startedAt", self->started_at_}}));
        });
        break;
      case agent_event_kind::message_start:
        // A later assistant message's text follows the earlier text after a blank line.
        if (e.msg != nullptr && std::holds_alternative<assistant_message>(*e.msg) && !text_.empty())
          separate_ = true;
        break;
      case agent_event_kind::message_update:
        if (e.stream != nullptr && e.stream->kind == event_kind::text_delta &&
            !e.stream->delta.empty())
          text_delta(std::string(e.stream->delta));
        break;
      case agent_event_kind::message_end:
        if (e.msg != nullptr)
          if (const auto* a = std::get_if<assistant_message>(e.msg);
              a != nullptr && (a->usage.input > 0 || a->usage.output > 0)) {
            json data = json::object({{"usage", durar::to_json(a->usage)},
                                      {"provider", a->provider},
                                      {"model", a->model}});
            later([self, data] { self->agent_out("usage", data); });
          }
        break;
      case agent_event_kind::tool_execution_start:
      case agent_event_kind::tool_execution_update:
      case agent_event_kind::tool_execution_end: {
        json j = durar::to_json(e);
        const char* phase = e.kind == agent_event_kind::tool_execution_start    ? "start"
                            : e.kind == agent_event_kind::tool_execution_update ? "update"
                                                                                : "result";
        json data = json::object({{"phase", phase},
                                  {"name", j.string_or("toolName")},
                                  {"toolCallId", j.string_or("toolCallId")}});
        for (const char* key : {"args", "partialResult", "result", "isError"})
          if (const json* v = j.find(key)) data.set(key, *v);
        later([self, data] { self->agent_out("tool", data); });
        break;
      }
      case agent_event_kind::compaction_start:
      case agent_event_kind::compaction_end: {
        json j = durar::to_json(e);
        j.erase("type");
        j.erase("turn");
        j.set("phase", e.kind == agent_event_kind::compaction_start ? "start" : "end");
        later([self, j] { self->agent_out("compaction", j); });
        break;
      }
      default:
        break;
    }
  } catch (const std::exception&) {
    // Events are best effort; a malformed one must not reach into the agent's loop.
  }

  void finish(result<run_result> r) try {
    auto self = shared_from_this();
    if (timeout_timer) timeout_timer->cancel();
    run_outcome o = outcome(r);
    // What the throttle held back goes out before the end.
    if (!pending_delta_.empty()) flush_delta();
    json life = json::object(
        {{"phase", o.error ? "error" : "end"}, {"startedAt", started_at_}, {"endedAt", now_ms()}});
    if (o.error) {
      life.set("error", o.error->message);
    } else {
      life.set("stopReason", o.stop_reason);
      life.set("aborted", o.status == "aborted");
    }
    json chat = json::object();
    std::string state = o.status == "ok" ? "final" : o.status == "aborted" ? "aborted" : "error";
    if (!o.text.empty() || state == "final") chat.set("message", assistant_json(o.text));
    if (state == "error") chat.set("errorMessage", o.error ? o.error->message : "run failed");
    if (state == "final" && !o.usage.is_null()) chat.set("usage", o.usage);
    if (!o.stop_reason.empty()) chat.set("stopReason", o.stop_reason);
    later([self, life, chat, state, o] {
      self->agent_out("lifecycle", life);
      self->chat_out(state, chat);
      if (self->on_finish) self->on_finish(o);
    });
  } catch (const std::exception&) {
  }

 private:
  void later(std::function<void()> f) {
    if (released_)
      f();
    else
      held_.push_back(std::move(f));
  }

  void agent_out(const std::string& stream, const json& data) {
    auto core = core_.lock();
    if (!core) return;
    core->broadcast("agent", json::object({{"runId", run_id},
                                           {"seq", ++seq_},
                                           {"stream", stream},
                                           {"ts", now_ms()},
                                           {"data", data},
                                           {"sessionKey", session_key_}}));
  }

  void chat_out(const std::string& state, const json& fields) {
    auto core = core_.lock();
    if (!core) return;
    json payload = json::object(
        {{"runId", run_id}, {"sessionKey", session_key_}, {"seq", seq_}, {"state", state}});
    for (const auto& [k, v] : fields.as_object()) payload.set(k, v);
    core->broadcast("chat", payload);
  }

  void text_delta(std::string d) {
    if (separate_) {
      d = "\n\n" + d;
      separate_ = false;
    }
    text_ += d;
    pending_delta_ += d;
    auto self = shared_from_this();
    json data = json::object({{"text", text_}, {"delta", d}});
    later([self, data] { self->agent_out("assistant", data); });
    // `chat` deltas are throttled as the original's are; each carries the text so far and
    // everything since the previous one, so concatenated deltaTexts are the whole reply.
    auto now = std::chrono::steady_clock::now();
    if (!sent_delta_ || now - last_delta_ >= chat_delta_interval) flush_delta();
  }

  void flush_delta() {
    sent_delta_ = true;
    last_delta_ = std::chrono::steady_clock::now();
    json fields = json::object({{"message", assistant_json(text_)}, {"deltaText", pending_delta_}});
    pending_delta_.clear();
    auto self = shared_from_this();
    later([self, fields] { self->chat_out("delta", fields); });
  }

  run_outcome outcome(const result<run_result>& r) {
    run_outcome o;
    o.duration_ms = now_ms() - started_at_;
    o.text = text_;
    if (!r) {
      o.status = r.error().code == errc::cancelled ? "aborted" : "error";
      if (o.status == "error") o.error = to_control_error(r.error());
    } else {
      const run_result& rr = *r;
      if (o.text.empty()) o.text = text_of(rr.final);
      o.usage = durar::to_json(rr.total);
      o.stop_reason = std::string(to_string(rr.final.stop));
      o.provider = rr.final.provider;
      o.model = rr.final.model;
      switch (rr.stop) {
        case run_stop::done:
        case run_stop::max_turns:
        case run_stop::loop_detected:
        case run_stop::client_tools:  // never asked for here: no client tools over WebSocket
          o.status = "ok";
          break;
        case run_stop::aborted:
          o.status = "aborted";
          break;
        case run_stop::timeout:
          o.status = "timeout";
          o.error = to_control_error(rr.failure);
          o.error->code = control_code::agent_timeout;
          break;
        case run_stop::error:
          o.status = "error";
          o.error = to_control_error(rr.failure);
          break;
      }
    }
    if (timed_out && o.status == "aborted") {
      o.status = "timeout";
      control_error e;
      e.code = control_code::agent_timeout;
      e.message = "agent run timed out";
      o.error = e;
    }
    if (o.error && o.error->message.empty()) o.error->message = "run failed";
    return o;
  }

  std::weak_ptr<control_core> core_;
  std::string session_key_;
  std::int64_t started_at_;
  std::uint64_t seq_ = 0;
  bool released_ = false;
  std::vector<std::function<void()>> held_;
  std::string text_;           // the reply so far
  bool separate_ = false;      // the next text starts a new assistant message
  std::string pending_delta_;  // text not yet sent in a `chat` delta
  bool sent_delta_ = false;
  std::chrono::steady_clock::time_point last_delta_;
};

// Image attachments: [{type: "image", mimeType, content: base64 | data URL}].
result<std::vector<content_block>> parse_attachments(const json& list, const std::string& method) {
  std::vector<content_block> out;
  if (list.is_null()) return out;
  auto bad = [&](std::size_t i, const std::string& what) {
    return fail(errc::invalid_argument,
                "invalid " + method + " params: attachments[" + std::to_string(i) + "] " + what);
  };
  if (!list.is_array())
    return fail(errc::invalid_argument,
                "invalid " + method + " params: attachments must be an array");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& a = list[i];
    if (!a.is_object()) return bad(i, "must be an object");
    std::string mime = a.string_or("mimeType", a.string_or("mediaType"));
    std::string data = a.string_or("content", a.string_or("data"));
    if (data.starts_with("data:")) {
      auto comma = data.find(',');
      if (mime.empty()) mime = data.substr(5, data.find(';') - 5);
      data = comma == std::string::npos ? std::string() : data.substr(comma + 1);
    }
    if (!mime.starts_with("image/")) return bad(i, "must be an image (mimeType image/...)");
    if (data.empty()) return bad(i, "has no content");
    out.push_back(image_block{mime, data});
  }
  return out;
}

// The turn a chat.send or agent request asks for; nullopt after answering with the error.
struct turn_params {
  turn_request request;
  control_core::session_target target;
  std::string idempotency_key;
  std::chrono::milliseconds timeout{0};  // 0: none
};

std::optional<turn_params> read_turn(const method_call& call, bool session_required) {
  param_reader r(call.params, call.method);
  turn_params t;
  std::string session_key = r.string("sessionKey", session_required, session_required);
  std::string agent_id = r.string("agentId");
  t.request.message = r.string("message", true);
  std::string thinking = r.string("thinking");
  t.request.model = r.string("model");
  t.idempotency_key = r.string("idempotencyKey");
  // As the original: `agent` takes whole seconds, chat.send milliseconds.
  if (auto secs = r.integer("timeout", 0, 365LL * 24 * 3600))
    t.timeout = std::chrono::seconds(*secs);
  if (auto ms = r.integer("timeoutMs", 0, 365LL * 24 * 3600 * 1000))
    t.timeout = std::chrono::milliseconds(*ms);
  if (!r.ok()) {
    call.fail(r.error());
    return std::nullopt;
  }
  auto attachments = parse_attachments(call.params["attachments"], call.method);
  if (!attachments) {
    call.fail(to_control_error(attachments.error()));
    return std::nullopt;
  }
  t.request.attachments = std::move(*attachments);
  if (t.request.message.empty() && t.request.attachments.empty()) {
    call.fail(
        invalid_request("invalid " + call.method + " params: message or attachment required"));
    return std::nullopt;
  }
  if (!thinking.empty()) {
    auto level = parse_thinking_level(thinking);
    if (!level) {
      call.fail(invalid_request("invalid " + call.method + " params: unknown thinking level '" +
                                thinking + "'"));
      return std::nullopt;
    }
    t.request.thinking = level;
  }
  // Sampling as the HTTP API takes it, in the protocol's camelCase.
  auto sampling = parse_sampling(call.params, {"maxTokens"}, "temperature", "topP");
  if (!sampling) {
    call.fail(invalid_request("invalid " + call.method + " params: " + sampling.error().message));
    return std::nullopt;
  }
  apply_sampling(t.request, *sampling);
  if (!agent_id.empty())
    if (auto a = call.core->state.rt.agent(agent_id); !a) {
      call.fail(to_control_error(a.error()));
      return std::nullopt;
    }
  t.target = call.core->target(session_key, agent_id);
  // A key that names its agent ("agent:coder:main") and an agentId that names another: the
  // original refuses the pair rather than guess which one was meant.
  if (!agent_id.empty() && t.target.agent_id != normalize_agent_id(agent_id)) {
    call.fail(invalid_request("invalid " + call.method + " params: agent \"" + agent_id +
                              "\" does not match session key agent \"" + t.target.agent_id + "\""));
    return std::nullopt;
  }
  // A key naming its agent ("agent:ghost:main") must name a known one: refused here, before
  // any ack, as the HTTP API and chat.history refuse it.
  if (t.target.agent_id != normalize_agent_id(agent_id))
    if (auto a = call.core->state.rt.agent(t.target.agent_id); !a) {
      control_error e = to_control_error(a.error());
      e.message = "invalid " + call.method + " params: session key '" + t.target.key +
                  "' names an " + e.message;
      call.fail(e);
      return std::nullopt;
    }
  t.request.agent_id = t.target.agent_id;
  t.request.session_key = t.target.key;
  return t;
}

std::shared_ptr<run_relay> start_run(const method_call& call, turn_params& t) {
  auto relay = std::make_shared<run_relay>(call.core, t.target.key);
  gateway_state& st = call.core->state;
  relay->run_id = st.runs.start(
      t.request, [relay](const agent_event& e) { relay->event(e); },
      [relay](result<run_result> r) { relay->finish(std::move(r)); });
  if (t.timeout.count() > 0) {
    relay->timeout_timer = std::make_unique<asio::steady_timer>(st.io, t.timeout);
    std::weak_ptr<run_relay> weak = relay;
    std::weak_ptr<control_core> weak_core = call.core;
    relay->timeout_timer->async_wait([weak, weak_core](std::error_code ec) {
      auto rl = weak.lock();
      auto co = weak_core.lock();
      if (ec || !rl || !co) return;
      rl->timed_out = true;
      co->state.runs.abort(rl->run_id);
    });
  }
  return relay;
}

void chat_send(const method_call& call) {
  auto t = read_turn(call, true);
  if (!t) return;
  control_core& core = *call.core;
  std::string dedupe_key = "chat:" + t->idempotency_key;
  if (!t->idempotency_key.empty())
    if (auto seen = core.dedupe.find(dedupe_key)) {
      return call.ok(json::object(
          {{"runId", seen->run_id}, {"status", seen->finished ? seen->status : "in_flight"}}));
    }
  auto relay = start_run(call, *t);
  if (!t->idempotency_key.empty()) {
    auto entry = core.dedupe.insert(dedupe_key, relay->run_id);
    relay->on_finish = [entry](const run_outcome& o) {
      entry->finished = true;
      entry->status = o.status;
    };
  }
  call.ok(json::object({{"runId", relay->run_id}, {"status", "started"}}));
  relay->release();
}

void agent_method(const method_call& call) {
  auto t = read_turn(call, false);
  if (!t) return;
  control_core& core = *call.core;

  std::string dedupe_key = "agent:" + t->idempotency_key;
  if (!t->idempotency_key.empty())
    if (auto seen = core.dedupe.find(dedupe_key)) {
      if (seen->finished) {
        if (seen->final_error) return call.fail(*seen->final_error, seen->final_payload);
        return call.ok(seen->final_payload);
      }
      call.ok(json::object(
          {{"runId", seen->run_id}, {"status", "accepted"}, {"acceptedAt", now_ms()}}));
      seen->waiters.emplace_back(call.client, call.id);
      return;
    }

  std::int64_t accepted_at = now_ms();
  auto relay = start_run(call, *t);
  std::shared_ptr<idempotency_cache::entry> entry;
  if (!t->idempotency_key.empty()) entry = core.dedupe.insert(dedupe_key, relay->run_id);

  std::string run_id = relay->run_id;
  std::string agent_id = t->target.agent_id;
  std::string key = t->target.key;
  relay->on_finish = [call, entry, run_id, agent_id, key](const run_outcome& o) {
    json payload = json::object({{"runId", run_id}, {"status", o.error ? o.status : "ok"}});
    std::optional<control_error> error = o.error;
    if (error) {
      payload.set("summary", error->message);
    } else {
      std::string session_id;
      if (auto store = call.core->state.rt.sessions(agent_id); store)
        if (auto info = (*store)->find(key); info && *info) session_id = (*info)->session_id;
      json agent_meta = json::object({{"sessionId", session_id},
                                      {"provider", o.provider},
                                      {"model", o.model},
                                      {"usage", o.usage}});
      json meta = json::object({{"durationMs", o.duration_ms},
                                {"agentMeta", std::move(agent_meta)},
                                {"stopReason", o.stop_reason},
                                {"aborted", o.status == "aborted"}});
      json payloads = json::array();
      if (!o.text.empty()) payloads.push_back(json::object({{"text", o.text}}));
      payload.set("summary", o.status == "aborted" ? "aborted" : "completed");
      payload.set("result",
                  json::object({{"payloads", std::move(payloads)}, {"meta", std::move(meta)}}));
    }
    auto answer = [&](control_client& c, const std::string& id) {
      call.core->send_raw(c,
                          error ? error_frame(id, *error, payload) : response_frame(id, payload));
    };
    answer(*call.client, call.id);
    if (entry) {
      entry->finished = true;
      entry->status = o.status;
      entry->final_payload = payload;
      entry->final_error = error;
      for (auto& [weak, id] : entry->waiters)
        if (auto c = weak.lock()) answer(*c, id);
      entry->waiters.clear();
    }
  };

  call.ok(json::object({{"runId", run_id}, {"status", "accepted"}, {"acceptedAt", accepted_at}}));
  relay->release();
}

void chat_history(const method_call& call) {
  param_reader r(call.params, call.method);
  std::string session_key = r.string("sessionKey", true, true);
  auto limit = r.integer("limit", 1, 1000);
  if (!r.ok()) return call.fail(r.error());
  control_core& core = *call.core;
  auto t = core.target(session_key);
  json out = json::object({{"sessionKey", t.key}});
  auto store = core.state.rt.sessions(t.agent_id);
  if (!store) return call.fail(to_control_error(store.error()));
  auto info = (*store)->find(t.key);
  if (!info) return call.fail(to_control_error(info.error()));
  json messages = json::array();
  if (!*info) {
    out.set("sessionId", nullptr);
    out.set("messages", std::move(messages));
    return call.ok(out);
  }
  out.set("sessionId", (*info)->session_id);
  auto s = (*store)->read(t.key);
  if (!s && s.error().code != errc::not_found) return call.fail(to_control_error(s.error()));
  if (s) {
    std::vector<const session_entry*> shown;
    for (const session_entry* e : (*s)->branch())
      if (e->msg) shown.push_back(e);
    std::size_t keep = static_cast<std::size_t>(limit.value_or(200));
    std::size_t first = shown.size() > keep ? shown.size() - keep : 0;
    for (std::size_t i = first; i < shown.size(); ++i)
      messages.push_back(durar::to_json(*shown[i]->msg));
    if (auto level = (*s)->thinking_level()) out.set("thinkingLevel", *level);
  }
  out.set("messages", std::move(messages));
  call.ok(out);
}

void chat_abort(const method_call& call) {
  param_reader r(call.params, call.method);
  std::string session_key = r.string("sessionKey", true, true);
  std::string run_id = r.string("runId");
  if (!r.ok()) return call.fail(r.error());
  control_core& core = *call.core;
  auto t = core.target(session_key);
  json ids = json::array();
  if (!run_id.empty()) {
    // Only a run of this session: a runId from elsewhere aborts nothing.
    auto runs = core.state.runs.runs_of(t.key);
    if (std::find(runs.begin(), runs.end(), run_id) != runs.end() && core.state.runs.abort(run_id))
      ids.push_back(run_id);
  } else {
    for (auto& id : core.state.runs.abort_session(t.key)) ids.push_back(id);
  }
  bool aborted = !ids.empty();
  call.ok(json::object({{"ok", true}, {"aborted", aborted}, {"runIds", std::move(ids)}}));
}

}  // namespace

void register_chat_methods(control_core& core) {
  core.methods["agent"] = {control_scope::write, agent_method};
  core.methods["chat.send"] = {control_scope::write, chat_send};
  core.methods["chat.history"] = {control_scope::read, chat_history};
  core.methods["chat.abort"] = {control_scope::write, chat_abort};
}

}  // namespace durar::gateway_detail
