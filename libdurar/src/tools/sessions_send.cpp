// sessions_send: runs a turn in another session through the host and, unless told not to
// wait, returns that session's reply (or a timeout) to the model.
#include <durar/tools.hpp>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <fmt/format.h>

#include "session/session_internal.hpp"
#include "tools/sessions_view.hpp"

#include <cmath>

namespace durar {

namespace {

constexpr std::int64_t default_timeout_seconds = 30;

json send_schema() {
  return json::object(
      {{"type", "object"},
       {"properties",
        json::object(
            {{"sessionKey",
              json::object({{"type", "string"}, {"description", "a key from sessions_list"}})},
             {"message", json::object({{"type", "string"}})},
             {"timeoutSeconds", json::object({{"type", "number"},
                                              {"minimum", 0},
                                              {"description",
                                               "how long to wait for the reply; 0 sends without "
                                               "waiting (default 30)"}})}})},
       {"required", json::array({"sessionKey", "message"})}});
}

// The receiving model must not mistake another agent's words for its user's.
std::string annotate(std::string_view from, std::string_view text) {
  return fmt::format(
      "[Inter-session message from {} via sessions_send; not written by the user]\n\n{}",
      from.empty() ? "another session" : from, text);
}

struct pending_send {
  std::string run_id, key;
  tool_done done;
  std::optional<asio::steady_timer> timer;
  bool finished = false;

  void finish(json payload, bool is_error) {
    if (finished) return;
    finished = true;
    if (timer) timer->cancel();
    auto fn = std::move(done);
    fn(detail::json_result(std::move(payload), is_error));
  }
  json base(std::string_view status) const {
    return json::object({{"runId", run_id}, {"status", status}, {"sessionKey", key}});
  }
};

void run_send(const session_send_fn& send, const json& args, tool_context ctx, tool_done done) {
  auto state = std::make_shared<pending_send>();
  state->run_id = detail::new_session_id();
  state->key = args.string_or("sessionKey");
  state->done = std::move(done);
  std::string text = args.string_or("message");
  if (state->key.empty()) {
    json p = state->base("error");
    p.set("error", "sessionKey is required");
    return state->finish(std::move(p), true);
  }
  if (state->key == ctx.session_key) {
    json p = state->base("error");
    p.set("error", "cannot send to the current session: it is busy running this turn");
    return state->finish(std::move(p), true);
  }
  std::int64_t timeout = default_timeout_seconds;
  if (const json* t = args.find("timeoutSeconds"); t != nullptr && t->is_number())
    timeout = static_cast<std::int64_t>(std::max(0.0, std::floor(t->as_double())));
  std::string message = annotate(ctx.session_key, text);

  if (timeout == 0) {
    send(state->key, std::move(message), [](result<std::string>) {});
    json p = state->base("accepted");
    return state->finish(std::move(p), false);
  }
  auto ex = ctx.executor;
  auto on_reply = [state](result<std::string> r) {
    if (r) {
      json p = state->base("ok");
      p.set("reply", *r);
      state->finish(std::move(p), false);
    } else {
      json p = state->base("error");
      p.set("error", r.error().message);
      state->finish(std::move(p), true);
    }
  };
  if (!ex) {  // no loop to wait on: the host's reply finishes the call
    send(state->key, std::move(message), std::move(on_reply));
    return;
  }
  state->timer.emplace(ex, std::chrono::seconds(timeout));
  state->timer->async_wait([state, timeout](const std::error_code& ec) {
    if (ec) return;
    json p = state->base("timeout");
    p.set("error", fmt::format("no reply within {} s", timeout));
    state->finish(std::move(p), true);
  });
  if (ctx.cancel.is_connected()) {
    ctx.cancel.assign([state, ex](asio::cancellation_type type) {
      if (type == asio::cancellation_type::none) return;
      asio::post(ex, [state] {
        json p = state->base("error");
        p.set("error", "cancelled");
        state->finish(std::move(p), true);
      });
    });
  }
  // The host may answer from any thread; the result is delivered on the agent's loop.
  send(state->key, std::move(message), [ex, on_reply](result<std::string> r) {
    asio::post(ex, [on_reply, r = std::move(r)]() mutable { on_reply(std::move(r)); });
  });
}

}  // namespace

std::shared_ptr<tool> make_sessions_send_tool(session_send_fn send) {
  tool_definition def;
  def.name = "sessions_send";
  def.description =
      "Send a message into another session (by key) and wait for its reply, up to "
      "timeoutSeconds (default 30; 0 sends without waiting). The receiving session sees it "
      "marked as coming from this session, not from its user.";
  def.parameters = send_schema();
  return make_async_tool(
      std::move(def), [send = std::move(send)](const json& args, tool_context ctx, tool_done done) {
        run_send(send, args, std::move(ctx), std::move(done));
      });
}

}  // namespace durar
