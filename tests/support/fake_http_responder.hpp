// An http_responder that records what a gateway handler wrote, so routes are tested without
// sockets: the status, headers and body of a whole response, or the chunks of a stream, and
// a way to play the client going away. Header-only; include it by relative path.
#pragma once

#include <durar/json.hpp>

#include "gateway/http_types.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace durar::test {

class recording_responder final : public gateway_detail::http_responder {
 public:
  int status = 0;
  gateway_detail::header_list headers;
  std::string body;                 // the whole body, or every chunk so far
  std::vector<std::string> chunks;  // writes of a stream, one per call
  bool streamed = false;
  bool ended = false;
  int responds = 0;  // respond() calls; more than one is a handler bug
  int misuse = 0;    // writes after the end, a second start_stream, ...
  bool is_open = true;

  void respond(int st, gateway_detail::header_list h, std::string b) override {
    if (ended || streamed) ++misuse;
    ++responds;
    if (!is_open) return;
    status = st;
    headers = std::move(h);
    body = std::move(b);
    ended = true;
  }
  void start_stream(int st, gateway_detail::header_list h) override {
    if (ended || streamed) ++misuse;
    if (!is_open) return;
    status = st;
    headers = std::move(h);
    streamed = true;
  }
  void write(std::string_view bytes) override {
    if (!streamed || ended) ++misuse;
    if (!is_open) return;
    chunks.emplace_back(bytes);
    body += bytes;
  }
  void end() override {
    if (!streamed || ended) ++misuse;
    ended = true;
  }
  void on_disconnect(std::function<void()> f) override { on_gone_ = std::move(f); }
  [[nodiscard]] bool open() const override { return is_open; }

  // The client goes away: later calls do nothing, and the handler hears of it once.
  void disconnect() {
    if (!is_open) return;
    is_open = false;
    if (auto f = std::move(on_gone_)) f();
  }
  [[nodiscard]] bool finished() const { return ended; }
  [[nodiscard]] std::string header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return v;
    return {};
  }
  [[nodiscard]] json json_body() const {
    auto j = json::parse(body);
    return j ? *j : json();
  }
  // The `data:` payloads of an SSE body, in order ("[DONE]" included as a string).
  [[nodiscard]] std::vector<std::string> sse_data() const { return sse_fields("data: "); }
  // The `event:` names of an SSE body, in order.
  [[nodiscard]] std::vector<std::string> sse_events() const { return sse_fields("event: "); }

 private:
  [[nodiscard]] std::vector<std::string> sse_fields(std::string_view prefix) const {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < body.size()) {
      std::size_t nl = body.find('\n', pos);
      if (nl == std::string::npos) nl = body.size();
      std::string_view line(body.data() + pos, nl - pos);
      if (line.substr(0, prefix.size()) == prefix) out.emplace_back(line.substr(prefix.size()));
      pos = nl + 1;
    }
    return out;
  }
  std::function<void()> on_gone_;
};

}  // namespace durar::test
