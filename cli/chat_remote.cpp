#include "chat_remote.hpp"

#include <durar/session.hpp>

#include <fmt/format.h>

#include "agent_output.hpp"
#include "chat_remote_watch.hpp"
#include "output.hpp"

#include <ctime>
#include <unistd.h>

namespace durar::cli {

namespace {

using namespace std::chrono_literals;

// The gateway sends a tick every few seconds, so this much silence during a turn means it
// hangs; a probe after a failure gets less.
constexpr std::chrono::milliseconds turn_silence = 10min;
constexpr std::chrono::milliseconds probe_wait = 2s;

std::string one_line(std::string s, std::size_t max_width) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() <= max_width) return s;
  s.resize(max_width);
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && (static_cast<unsigned char>(s.back()) & 0x80) != 0) s.pop_back();
  return s + "...";
}

// The gateway's `agent` events of one run, printed as the in-process chat prints the
// agent's own events: the answer on stdout as it comes, tool calls as "-> name" lines.
struct remote_printer {
  const context& ctx;
  remote_turn_watch& watch;
  bool answer_open = false;  // stdout holds text without a final newline
  bool after_tool = false;   // a tool line ended the previous text

  void operator()(const std::string& stream, const json& data) {
    if (stream == "assistant") {
      std::string delta = data.string_or("delta");
      // The gateway separates a later message's text with a blank line; in-process chat
      // starts it on the line after the tool calls.
      if (after_tool && delta.starts_with("\n\n")) delta.erase(0, 2);
      if (delta.empty()) return;
      after_tool = false;
      watch.output();
      answer_open = delta.back() != '\n';
      print(stdout, delta);
      std::fflush(stdout);
    } else if (stream == "tool") {
      const std::string phase = data.string_or("phase");
      if (phase == "start") {
        watch.output();
        close_answer();
        tool_call_block call{
            data.string_or("toolCallId"), data.string_or("name"), data["args"], {}};
        if (!call.arguments.is_object()) call.arguments = json::object();
        print(stdout, ctx.styles.dim("  -> " + describe_tool_call(call)) + "\n");
        std::fflush(stdout);
        after_tool = true;
      } else if (phase == "result" && data.bool_or("isError", false)) {
        std::string text;
        const json& content = data["result"]["content"];
        if (content.is_array())
          for (const auto& b : content.as_array()) text += b.string_or("text");
        print(stdout, ctx.styles.yellow("     " + data.string_or("name") +
                                        " failed: " + one_line(text, 100)) +
                          "\n");
      }
    } else if (stream == "compaction" && data.string_or("phase") == "start") {
      watch.output();
      close_answer();
      print(stderr, ctx.styles.dim("  (compacting the conversation...)") + "\n");
    }
  }

  void close_answer() {
    if (answer_open) print(stdout, "\n");
    answer_open = false;
    std::fflush(stdout);
  }
};

}  // namespace

remote_chat::remote_chat(const context& ctx, running_gateway gw, std::string key,
                         turn_request overrides, bool interactive)
    : ctx_(ctx),
      target_(std::move(gw.target)),
      state_dir_(gw.client->hello()["snapshot"].string_or("stateDir")),
      key_(std::move(key)),
      overrides_(std::move(overrides)),
      interactive_(interactive) {
  target_.timeout = probe_wait;
}

chat_step remote_chat::line(const std::string& text) {
  chat_step step = text.starts_with('/') ? command(text) : turn(text);
  client_.reset();
  return step;
}

std::optional<chat_step> remote_chat::connect() {
  auto client = gateway_client::connect(target_);
  if (!client && client.error().code == errc::unauthenticated) {
    // It is there but refuses us now (restarted with another token, or throttled): running
    // the line in-process beside it would skip its queue.
    fail_with(ctx_, exit_failure, gateway_refusal(target_, client.error()));
    return chat_step::next;
  }
  std::string why = client ? std::string() : client.error().message;
  if (client && (*client)->hello()["snapshot"].string_or("stateDir") != state_dir_)
    why = "it keeps another state dir now";
  if (!why.empty()) {
    print(stderr,
          ctx_.styles.yellow(fmt::format("the gateway at {} is gone ({})", url(), why)) + "\n");
    return chat_step::gateway_gone;
  }
  client_ = std::move(*client);
  return std::nullopt;
}

chat_step remote_chat::turn(const std::string& text) {
  if (auto step = connect()) return *step;
  json params = json::object(
      {{"message", text},
       {"sessionKey", key_},
       {"idempotencyKey", fmt::format("chat-{}-{}-{}", ::getpid(), std::time(nullptr), ++turns_)}});
  if (!overrides_.model.empty()) params.set("model", overrides_.model);
  if (overrides_.thinking) params.set("thinking", std::string(to_string(*overrides_.thinking)));

  std::optional<remote_turn_watch> watch;
  watch.emplace(ctx_, target_, key_, interactive_, *client_);
  remote_printer printer{ctx_, *watch};
  std::string run_id;  // every client hears of every run: keep to ours
  client_->set_timeout(turn_silence);
  auto r = client_->call("agent", std::move(params), [&](const std::string& event, const json& p) {
    if (event == "accepted") {
      run_id = p.string_or("runId");
      watch->started(run_id);
    } else if (event == "agent" && !run_id.empty() && p.string_or("runId") == run_id) {
      printer(p.string_or("stream"), p["data"]);
    }
  });
  const bool abort_asked = watch->abort_asked();
  watch.reset();
  printer.close_answer();
  if (!r && abort_asked && r.error().code == errc::cancelled) {
    print(stderr, ctx_.styles.yellow(fmt::format("aborted (the gateway did not end the run "
                                                 "within {} s)",
                                                 remote_turn_watch::final_wait.count() / 1000)) +
                      "\n");
    return chat_step::next;
  }
  if (!r) return after_failure(r.error());
  if (r->string_or("status") != "ok") {
    fail_with(ctx_, exit_failure, r->string_or("summary", "the turn failed"));
  } else if (r->string_or("summary") == "aborted") {
    print(stderr, ctx_.styles.yellow("aborted") + "\n");
  }
  return chat_step::next;
}

std::optional<json> remote_chat::request(std::string_view method, json params, chat_step& step,
                                         std::chrono::milliseconds wait) {
  if (!client_)
    if (auto failed = connect()) {
      step = *failed;
      return std::nullopt;
    }
  client_->set_timeout(wait);
  auto r = client_->call(method, std::move(params));
  if (r) return std::move(*r);
  step = after_failure(r.error());
  return std::nullopt;
}

chat_step remote_chat::after_failure(const error& e) {
  client_->set_timeout(probe_wait);
  if (client_->call("health")) {  // the gateway said no; it is still there
    fail_with(ctx_, exit_failure, e.message);
    return chat_step::next;
  }
  fail_with(ctx_, exit_failure,
            fmt::format("lost the gateway at {} ({}); that line did not finish", url(), e.message));
  return chat_step::gateway_lost;
}

chat_step remote_chat::command(const std::string& line) {
  auto [name, rest] = split_command(line);
  chat_step step = chat_step::next;
  const std::string agent_id = agent_of_session_key(key_);
  if (name == "/quit" || name == "/exit") return chat_step::quit;
  if (name == "/help") {
    print(stdout, std::string(chat_help));
  } else if (name == "/new" || name == "/reset") {
    if (auto r = request("sessions.reset", json::object({{"key", key_}}), step))
      print(stdout,
            ctx_.styles.dim("new session " + (*r)["entry"].string_or("sessionId", "?")) + "\n");
  } else if (name == "/history") {
    auto count = history_count(rest);
    if (!count) {
      fail_with(ctx_, exit_usage, "/history takes a count from 1 to 1000");
    } else if (auto r = request("chat.history",
                                json::object({{"sessionKey", key_}, {"limit", *count}}), step)) {
      print_history(ctx_, (*r)["messages"]);
    }
  } else if (name == "/sessions") {
    if (auto r = request("sessions.list", json::object({{"agentId", agent_id}}), step))
      print_sessions((*r)["sessions"], key_);
  } else if (name == "/usage") {
    if (auto r =
            request("chat.history", json::object({{"sessionKey", key_}, {"limit", 1000}}), step))
      print_usage((*r).string_or("sessionId", "-"), totals_of((*r)["messages"]));
  } else if (name == "/model") {
    if (!rest.empty()) {
      overrides_.model = rest;
      print(stdout, ctx_.styles.dim("model set to " + rest +
                                    " for this chat's turns (through the gateway it is not "
                                    "saved in the session)") +
                        "\n");
    } else if (!overrides_.model.empty()) {
      print(stdout, "model: " + overrides_.model + "\n");
    } else if (auto r = request("sessions.list",
                                json::object({{"agentId", agent_id}, {"search", key_}}), step)) {
      std::string model;
      if ((*r)["sessions"].is_array())
        for (const auto& row : (*r)["sessions"].as_array())
          if (row.string_or("key") == key_ && !row.string_or("model").empty())
            model = row.string_or("modelProvider").empty()
                        ? row.string_or("model")
                        : row.string_or("modelProvider") + "/" + row.string_or("model");
      print(stdout,
            "model: " + (model.empty() ? "the agent's default (no answer yet)" : model) + "\n");
    }
  } else if (name == "/think") {
    auto level = parse_thinking_level(rest.empty() ? "medium" : rest);
    if (!level) {
      fail_with(ctx_, exit_usage, "thinking levels: off, minimal, low, medium, high, xhigh");
    } else {
      overrides_.thinking = *level;
      print(stdout, ctx_.styles.dim("thinking " + std::string(to_string(*level))) + "\n");
    }
  } else if (name == "/compact") {
    json params = json::object({{"key", key_}});
    if (!rest.empty()) params.set("instructions", rest);
    if (auto r = request("sessions.compact", std::move(params), step, turn_silence)) {
      if ((*r)["compacted"].is_bool() && (*r)["compacted"].as_bool())
        print(stdout,
              ctx_.styles.dim(fmt::format("compacted {} tokens", r->int_or("tokensBefore", 0))) +
                  "\n");
      else
        print(stdout, "nothing to compact yet\n");
    }
  } else {
    fail_with(ctx_, exit_usage, "unknown command " + name + "; " + std::string(chat_help));
  }
  return step;
}

}  // namespace durar::cli
