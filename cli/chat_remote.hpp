// `durar chat` through a running gateway: each line goes over the control protocol, so the
// gateway's clients see the run and its queue orders it with theirs. Turns use the `agent`
// method (it answers once the run ends, streaming `agent` events meanwhile); slash commands
// use chat.history, sessions.reset, sessions.list and sessions.compact. A line that needs
// the gateway connects for itself: a chat waiting for its user holds no connection, so it
// never falls behind on events nor holds up a gateway that is shutting down, and a
// restarted gateway is found again.
#pragma once

#include <durar/gateway.hpp>
#include <durar/runtime.hpp>

#include "chat_view.hpp"
#include "context.hpp"
#include "gateway_remote.hpp"

#include <memory>
#include <optional>
#include <string>

namespace durar::cli {

class remote_chat {
 public:
  // `gw` is the gateway found at start (its connection is closed here); `key` the full
  // session key (agent:<id>:<name>); `overrides` the model and thinking level to start with.
  remote_chat(const context& ctx, running_gateway gw, std::string key, turn_request overrides,
              bool interactive);

  [[nodiscard]] const std::string& url() const { return target_.url; }
  // The model and thinking level /model and /think chose, for an in-process successor.
  [[nodiscard]] const turn_request& overrides() const { return overrides_; }

  // One line: a turn, or a slash command. gateway_gone when no gateway of this state dir
  // answered before the line was sent (none saw it); gateway_lost when it went away while
  // the line was in flight (the line is not retried: the gateway may have run part of it).
  chat_step line(const std::string& text);

 private:
  // Connects for the line: nullopt when connected, else (having said why) the step that
  // ends the line: gateway_gone when no gateway of our state dir answers, next when it
  // refuses our token (the line is not run, in-process either).
  std::optional<chat_step> connect();
  chat_step turn(const std::string& text);
  chat_step command(const std::string& line);
  // A slash command's request, connecting first; on failure prints why and sets `step`.
  std::optional<json> request(std::string_view method, json params, chat_step& step,
                              std::chrono::milliseconds wait = std::chrono::seconds(30));
  // After a failed request: is the gateway still there, or did it go away?
  chat_step after_failure(const error& e);

  const context& ctx_;
  gateway_client_options target_;
  std::string state_dir_;                   // the gateway must still keep this one
  std::unique_ptr<gateway_client> client_;  // during a line
  std::string key_;
  turn_request overrides_;
  bool interactive_ = false;
  unsigned turns_ = 0;
};

}  // namespace durar::cli
