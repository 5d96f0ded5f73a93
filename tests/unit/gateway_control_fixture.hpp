// Shared by the WebSocket control protocol tests: fake connections that record every frame
// the server sends (no WebSocket sockets), and a tiny canned model vendor on 127.0.0.1 served
// from the same io_context, so every test is one deterministic loop.
#pragma once

#include <durar/config.hpp>
#include <durar/runtime.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include "../support/temp_dir.hpp"
#include "gateway/control_server.hpp"
#include "gateway/gateway_state.hpp"

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gateway_control_test {

using namespace durar;
using namespace durar::gateway_detail;
namespace fs = std::filesystem;

inline const fs::path replies = fs::path(DURAR_TEST_DATA) / "agent" / "openai-completions";
inline constexpr std::string_view token = "gw-token-canary-51f0";
inline constexpr std::string_view vendor_key = "sk-vendor-canary-93ab";

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline json parse(std::string_view text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

// A model vendor that answers each request with the next queued SSE body (or, for a
// stalled reply, sends its first event and then nothing until the client gives up).
class canned_vendor {
 public:
  struct reply {
    std::string body;
    bool stall = false;
  };

  explicit canned_vendor(asio::io_context& io)
      : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
  }
  ~canned_vendor() {
    std::error_code ec;
    acceptor_.close(ec);
    for (auto& s : open_) s->close(ec);
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void enqueue(std::string name, bool stall = false) {
    replies_.push_back({read_file(replies / (name + ".response.sse")), stall});
  }
  int requests = 0;

 private:
  void accept() {
    acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      serve(std::make_shared<asio::ip::tcp::socket>(std::move(s)));
      accept();
    });
  }

  void serve(std::shared_ptr<asio::ip::tcp::socket> s) {
    open_.push_back(s);
    auto buf = std::make_shared<std::string>();
    asio::async_read_until(*s, asio::dynamic_buffer(*buf), "\r\n\r\n",
                           [this, s, buf](std::error_code ec, std::size_t n) {
                             if (ec) return;
                             std::string head = buf->substr(0, n);
                             for (char& ch : head)
                               ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                             std::size_t length = 0;
                             if (auto at = head.find("content-length:"); at != std::string::npos)
                               length = std::stoul(head.substr(at + 15));
                             std::size_t have = buf->size() - n;
                             std::size_t missing = length > have ? length - have : 0;
                             asio::async_read(*s, asio::dynamic_buffer(*buf),
                                              asio::transfer_exactly(missing),
                                              [this, s, buf](std::error_code e2, std::size_t) {
                                                if (!e2) answer(s);
                                              });
                           });
  }

  void answer(const std::shared_ptr<asio::ip::tcp::socket>& s) {
    ++requests;
    reply r = replies_.empty() ? reply{"", false} : replies_.front();
    if (!replies_.empty()) replies_.pop_front();
    std::string body = r.body;
    if (r.stall) body = body.substr(0, body.find("\n\n", body.find("\n\n") + 2) + 2);
    auto out = std::make_shared<std::string>(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n" +
        (r.stall ? std::string() : "Content-Length: " + std::to_string(body.size()) + "\r\n") +
        "\r\n" + body);
    asio::async_write(*s, asio::buffer(*out),
                      [s, out, stall = r.stall](std::error_code, std::size_t) {
                        std::error_code ec;
                        if (!stall) s->shutdown(asio::ip::tcp::socket::shutdown_send, ec);
                      });
  }

  asio::ip::tcp::acceptor acceptor_;
  std::deque<reply> replies_;
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> open_;
};

// A WebSocket as the control server sees it; remembers what was sent and how it closed.
class fake_ws : public ws_connection {
 public:
  explicit fake_ws(std::uint64_t id, std::string origin = {}) : id_(id) {
    req_.method = "GET";
    req_.path = "/";
    req_.remote_address = "127.0.0.1";
    req_.remote_is_loopback = true;
    if (!origin.empty()) req_.headers.emplace_back("origin", std::move(origin));
  }
  void send_text(std::string text) override {
    if (!open_) {
      ++sends_after_close;
      return;
    }
    sent.push_back(std::move(text));
  }
  void close(std::uint16_t code, std::string reason) override {
    if (!open_) return;
    open_ = false;
    close_code = code;
    close_reason = std::move(reason);
  }
  [[nodiscard]] const gateway_detail::http_request& upgrade_request() const override {
    return req_;
  }
  [[nodiscard]] std::uint64_t id() const override { return id_; }
  [[nodiscard]] bool open() const override { return open_; }
  [[nodiscard]] std::size_t buffered_bytes() const override { return 0; }

  [[nodiscard]] std::vector<json> frames() const {
    std::vector<json> out;
    for (const auto& s : sent) out.push_back(parse(s));
    return out;
  }
  [[nodiscard]] std::vector<json> events(std::string_view name) const {
    std::vector<json> out;
    for (auto& f : frames())
      if (f["type"] == json("event") && f["event"] == json(name)) out.push_back(f);
    return out;
  }
  // Responses to request `id`, in order.
  [[nodiscard]] std::vector<json> responses(std::string_view id) const {
    std::vector<json> out;
    for (auto& f : frames())
      if (f["type"] == json("res") && f["id"] == json(id)) out.push_back(f);
    return out;
  }

  std::vector<std::string> sent;
  std::optional<std::uint16_t> close_code;
  std::string close_reason;
  int sends_after_close = 0;

 private:
  std::uint64_t id_;
  gateway_detail::http_request req_;
  bool open_ = true;
};

struct fixture {
  durar::test::temp_dir dir;
  asio::io_context io;
  canned_vendor vendor{io};
  std::unique_ptr<runtime> rt;
  std::unique_ptr<gateway_state> state;
  std::unique_ptr<control_server> server;
  ws_handlers h;
  std::uint64_t next_id = 1;
  int next_req = 1;

  // `agents_list`: YAML lines for agents.list ("  list:\n    - id: main\n..."), none by default.
  explicit fixture(std::chrono::milliseconds tick = std::chrono::seconds(30),
                   std::vector<std::string> origins = {}, const std::string& agents_list = {}) {
    fs::path file = dir.path / "durar.yaml";
    std::ofstream(file) << "agents:\n"
                        << agents_list
                        << "  defaults:\n"
                           "    model:\n"
                           "      primary: fake/m1\n"
                           "    models:\n"
                           "      fake/m1:\n"
                           "        alias: one\n"
                           "    workspace: "
                        << (dir.path / "workspace").string()
                        << "\n"
                           "models:\n"
                           "  providers:\n"
                           "    fake:\n"
                           "      baseUrl: http://127.0.0.1:"
                        << vendor.port()
                        << "/v1\n"
                           "      apiKey: "
                        << vendor_key
                        << "\n"
                           "      api: openai-completions\n"
                           "      models:\n"
                           "        - id: m1\n"
                           "          name: Model One\n"
                           "          contextWindow: 32000\n"
                           "gateway:\n"
                           "  auth:\n"
                           "    mode: token\n"
                           "    token: "
                        << token << "\n";
    load_options lo;
    lo.paths.config_path = file;
    lo.env = environment({{"HOME", dir.path.string()}, {"DURAR_STATE_DIR", dir.path.string()}});
    lo.working_dir = dir.path;
    auto cfg = load_config(lo);
    INFO((cfg ? std::string() : cfg.error().message));
    REQUIRE(cfg.has_value());
    runtime_options ro;
    ro.sessions.transcript_fsync = fsync_policy::never;
    ro.sessions.index_fsync = fsync_policy::never;
    rt = std::make_unique<runtime>(io, std::move(*cfg), ro);

    gateway_settings s;
    s.auth.mode = "token";
    s.auth.token = secret(std::string(token));
    s.tick_interval = tick;
    s.allowed_origins = std::move(origins);
    state = std::make_unique<gateway_state>(io, *rt, s);
    server = std::make_unique<control_server>(*state);
    h = server->handlers();
  }

  ~fixture() {
    // Runs still going end before the runtime they use goes away.
    state->runs.abort_all();
    run_until([&] { return state->runs.active() == 0; }, std::chrono::seconds(5));
    io.restart();
    io.poll();
    server.reset();
    state.reset();
  }

  // Runs the loop until `done` holds; false after `limit`.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.restart();
      io.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  std::shared_ptr<fake_ws> open(std::string origin = {}) {
    auto ws = std::make_shared<fake_ws>(next_id++, std::move(origin));
    h.on_open(ws);
    return ws;
  }

  void send(const std::shared_ptr<fake_ws>& ws, const json& frame) { h.on_text(ws, frame.dump()); }

  json connect_params(json scopes = nullptr, int min = 3, int max = 3,
                      std::string secret_text = std::string(token)) {
    json p = json::object({{"minProtocol", min},
                           {"maxProtocol", max},
                           {"client", json::object({{"id", "test"},
                                                    {"version", "1.0.0"},
                                                    {"platform", "linux"},
                                                    {"mode", "test"},
                                                    {"displayName", "unit test"}})},
                           {"role", "operator"},
                           {"auth", json::object({{"token", secret_text}})}});
    if (!scopes.is_null()) p.set("scopes", scopes);
    return p;
  }

  // Sends a request; returns its id.
  std::string request(const std::shared_ptr<fake_ws>& ws, const std::string& method,
                      json params = json::object()) {
    std::string id = "r" + std::to_string(next_req++);
    send(ws, json::object({{"type", "req"}, {"id", id}, {"method", method}, {"params", params}}));
    return id;
  }

  // A request answered at once: its (first) response.
  json call(const std::shared_ptr<fake_ws>& ws, const std::string& method,
            json params = json::object()) {
    std::string id = request(ws, method, std::move(params));
    auto res = ws->responses(id);
    REQUIRE(res.size() == 1);
    return res[0];
  }

  std::shared_ptr<fake_ws> connected(json scopes = nullptr) {
    auto ws = open();
    auto hello = call(ws, "connect", connect_params(std::move(scopes)));
    REQUIRE(hello["ok"] == json(true));
    REQUIRE(hello["payload"]["type"] == json("hello-ok"));
    return ws;
  }

  // The first response to `id` after the loop ran until one arrived.
  json wait_response(const std::shared_ptr<fake_ws>& ws, const std::string& id, std::size_t n = 1) {
    REQUIRE(run_until([&] { return ws->responses(id).size() >= n; }));
    return ws->responses(id)[n - 1];
  }

  json wait_chat(const std::shared_ptr<fake_ws>& ws, const std::string& run_id,
                 const std::string& state_name) {
    auto find = [&]() -> std::optional<json> {
      for (auto& e : ws->events("chat"))
        if (e["payload"]["runId"] == json(run_id) && e["payload"]["state"] == json(state_name))
          return e["payload"];
      return std::nullopt;
    };
    REQUIRE(run_until([&] { return find().has_value(); }));
    return *find();
  }
};

inline std::string text_of_message(const json& m) {
  if (m["content"].is_string()) return m["content"].as_string();
  std::string out;
  for (const auto& b : m["content"].as_array())
    if (b["type"] == json("text")) out += b["text"].as_string();
  return out;
}

}  // namespace gateway_control_test
