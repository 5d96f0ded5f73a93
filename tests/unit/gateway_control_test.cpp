// The WebSocket control protocol, driven through fake connections that record every frame
// the server sends (no WebSocket sockets). Turns run against a tiny canned model vendor on
// 127.0.0.1, served from the same io_context, so everything is one deterministic loop.
#include <durar/config.hpp>
#include <durar/runtime.hpp>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/write.hpp>
#include <catch2/catch.hpp>

#include "gateway/control_server.hpp"
#include "gateway/gateway_state.hpp"

#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

using namespace durar;
using namespace durar::gateway_detail;
namespace fs = std::filesystem;

namespace {

const fs::path replies = fs::path(DURAR_TEST_DATA) / "agent" / "openai-completions";
constexpr std::string_view token = "gw-token-canary-51f0";
constexpr std::string_view vendor_key = "sk-vendor-canary-93ab";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

json parse(std::string_view text) {
  auto r = json::parse(text);
  INFO(text);
  REQUIRE(r.has_value());
  return std::move(r).value();
}

struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("durar-gwcontrol-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

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
  scratch_dir dir;
  asio::io_context io;
  canned_vendor vendor{io};
  std::unique_ptr<runtime> rt;
  std::unique_ptr<gateway_state> state;
  std::unique_ptr<control_server> server;
  ws_handlers h;
  std::uint64_t next_id = 1;
  int next_req = 1;

  explicit fixture(std::chrono::milliseconds tick = std::chrono::seconds(30),
                   std::vector<std::string> origins = {}) {
    fs::path file = dir.path / "durar.yaml";
    std::ofstream(file) << "agents:\n"
                           "  defaults:\n"
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

std::string text_of_message(const json& m) {
  if (m["content"].is_string()) return m["content"].as_string();
  std::string out;
  for (const auto& b : m["content"].as_array())
    if (b["type"] == json("text")) out += b["text"].as_string();
  return out;
}

}  // namespace

TEST_CASE("the server speaks first with connect.challenge, which has no seq", "[gateway]") {
  fixture f;
  auto ws = f.open();
  REQUIRE(ws->sent.size() == 1);
  json ch = parse(ws->sent[0]);
  CHECK(ch["type"] == json("event"));
  CHECK(ch["event"] == json("connect.challenge"));
  CHECK(ch["payload"]["nonce"].is_string());
  CHECK(ch["payload"]["ts"].is_integer());
  CHECK_FALSE(ch.contains("seq"));
}

TEST_CASE("connect answers hello-ok with protocol, features, snapshot, auth and policy",
          "[gateway]") {
  fixture f;
  auto ws = f.open();
  json res = f.call(ws, "connect", f.connect_params(json::array({"operator.read"})));
  REQUIRE(res["ok"] == json(true));
  const json& p = res["payload"];
  CHECK(p["type"] == json("hello-ok"));
  CHECK(p["protocol"] == json(3));
  CHECK(p["server"]["version"].is_string());
  CHECK_FALSE(p["server"]["connId"].as_string().empty());
  auto has = [](const json& list, const char* name) {
    for (const auto& v : list.as_array())
      if (v == json(name)) return true;
    return false;
  };
  for (const char* m : {"health", "status", "agent", "chat.send", "chat.history", "chat.abort",
                        "sessions.list", "sessions.reset", "models.list", "config.get"})
    CHECK(has(p["features"]["methods"], m));
  for (const char* e : {"agent", "chat", "tick", "presence", "shutdown", "health"})
    CHECK(has(p["features"]["events"], e));
  CHECK(p["snapshot"]["presence"].is_array());
  CHECK(p["snapshot"]["health"]["ok"] == json(true));
  CHECK(p["snapshot"]["stateVersion"]["presence"].is_integer());
  CHECK(p["snapshot"]["uptimeMs"].is_integer());
  CHECK(p["snapshot"]["sessionDefaults"]["mainSessionKey"] == json("agent:main:main"));
  CHECK(p["auth"]["role"] == json("operator"));
  CHECK(p["auth"]["scopes"] == json::array({"operator.read"}));
  CHECK(p["policy"]["tickIntervalMs"] == json(30000));
  CHECK(p["policy"]["maxPayload"].as_int() > 0);
  CHECK(p["policy"]["maxBufferedBytes"].as_int() > 0);
  CHECK(f.server->client_count() == 1);

  SECTION("a client speaking only protocol 4 gets 4") {
    auto ws4 = f.open();
    json r4 = f.call(ws4, "connect", f.connect_params(nullptr, 4, 4));
    CHECK(r4["payload"]["protocol"] == json(4));
    // No scopes asked: the holder of the shared secret gets all of them.
    CHECK(r4["payload"]["auth"]["scopes"].size() == 3);
  }
}

TEST_CASE("a first request other than connect is refused and the socket closed with 1008",
          "[gateway]") {
  fixture f;
  auto ws = f.open();
  json res = f.call(ws, "health");
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["code"] == json("INVALID_REQUEST"));
  CHECK(res["error"]["message"] == json("invalid handshake: first request must be connect"));
  CHECK(ws->close_code == std::optional<std::uint16_t>(1008));

  auto garbage = f.open();
  f.h.on_text(garbage, "not json");
  CHECK(garbage->close_code == std::optional<std::uint16_t>(1008));
}

TEST_CASE("a protocol range without 3 or 4 fails with PROTOCOL_MISMATCH and 1002 before auth",
          "[gateway]") {
  fixture f;
  auto ws = f.open();
  // The secret is wrong too: the protocol is checked first.
  json res = f.call(ws, "connect", f.connect_params(nullptr, 1, 2, "wrong"));
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["details"]["code"] == json("PROTOCOL_MISMATCH"));
  CHECK(ws->close_code == std::optional<std::uint16_t>(1002));
}

TEST_CASE("a wrong or missing token fails with the original's message and 1008", "[gateway]") {
  fixture f;
  auto ws = f.open();
  json res = f.call(ws, "connect", f.connect_params(nullptr, 3, 3, "not-the-token"));
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["message"] == json("unauthorized: gateway token mismatch"));
  CHECK(res["error"]["details"]["code"] == json("AUTH_TOKEN_MISMATCH"));
  CHECK(ws->close_code == std::optional<std::uint16_t>(1008));
  CHECK(ws->sent.back().find(token) == std::string::npos);

  auto ws2 = f.open();
  json p = f.connect_params();
  p.erase("auth");
  json res2 = f.call(ws2, "connect", p);
  CHECK(res2["error"]["details"]["code"] == json("AUTH_TOKEN_MISSING"));
  CHECK(ws2->close_code == std::optional<std::uint16_t>(1008));
  CHECK(f.server->client_count() == 0);
}

TEST_CASE("a frame over 64 KiB before connect closes the socket", "[gateway]") {
  fixture f;
  auto ws = f.open();
  json p = f.connect_params();
  p.set("pad", std::string(70 * 1024, 'x'));
  f.send(ws, json::object({{"type", "req"}, {"id", "1"}, {"method", "connect"}, {"params", p}}));
  CHECK(ws->close_code.has_value());
  CHECK(ws->sent.size() == 1);  // the challenge only
}

TEST_CASE("unknown methods and bad frames fail and leave the socket open", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json res = f.call(ws, "no.such.method");
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["code"] == json("INVALID_REQUEST"));
  CHECK(res["error"]["message"].as_string().find("no.such.method") != std::string::npos);
  CHECK(ws->open());

  f.h.on_text(ws, "{broken");
  json bad = parse(ws->sent.back());
  CHECK(bad["ok"] == json(false));
  CHECK(bad["id"] == json("invalid"));
  CHECK(ws->open());

  CHECK(f.call(ws, "health")["ok"] == json(true));
  CHECK(f.call(ws, "connect", f.connect_params())["ok"] == json(false));
  CHECK(ws->open());
}

TEST_CASE("event seq is per connection, starts at 1 and counts ticks", "[gateway]") {
  fixture f(std::chrono::milliseconds(20));
  auto a = f.connected();
  auto b = f.connected();  // a sees a presence event for b
  f.server->broadcast("health", json::object({{"ok", true}}));
  REQUIRE(
      f.run_until([&] { return a->events("tick").size() >= 2 && b->events("tick").size() >= 2; }));
  for (const auto& ws : {a, b}) {
    std::uint64_t expect = 1;
    for (const auto& fr : ws->frames()) {
      if (fr["type"] != json("event") || fr["event"] == json("connect.challenge")) continue;
      CHECK(fr["seq"].as_uint() == expect);
      ++expect;
    }
    CHECK(expect >= 3);
    CHECK(ws->events("tick")[0]["payload"]["ts"].is_integer());
  }
  CHECK(a->events("presence").size() == 1);
  CHECK(b->events("presence").empty());
}

TEST_CASE("read-only clients may read but not write", "[gateway]") {
  fixture f;
  auto ws = f.connected(json::array({"operator.read"}));
  json res =
      f.call(ws, "chat.send",
             json::object({{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "k"}}));
  CHECK(res["ok"] == json(false));
  CHECK(res["error"]["code"] == json("FORBIDDEN"));
  CHECK(res["error"]["message"] == json("missing scope: operator.write"));
  CHECK(f.call(ws, "chat.history", json::object({{"sessionKey", "main"}}))["ok"] == json(true));
  CHECK(f.vendor.requests == 0);

  auto writer = f.connected(json::array({"operator.write"}));
  CHECK(f.call(writer, "sessions.list")["ok"] == json(true));  // write implies read
}

TEST_CASE("browser origins must be loopback or allowed", "[gateway]") {
  fixture f(std::chrono::seconds(30), {"https://control.example.com"});
  auto with_origin = [](std::string origin) {
    gateway_detail::http_request r;
    r.method = "GET";
    r.remote_address = "127.0.0.1";
    if (!origin.empty()) r.headers.emplace_back("origin", std::move(origin));
    return r;
  };
  CHECK_FALSE(f.h.accept(with_origin("")).has_value());  // not a browser
  CHECK_FALSE(f.h.accept(with_origin("http://localhost:5173")).has_value());
  CHECK_FALSE(f.h.accept(with_origin("http://127.0.0.1:18789")).has_value());
  CHECK_FALSE(f.h.accept(with_origin("http://[::1]:8080")).has_value());
  CHECK_FALSE(f.h.accept(with_origin("https://control.example.com")).has_value());
  CHECK(f.h.accept(with_origin("https://evil.example")) == std::optional<int>(403));
  CHECK(f.h.accept(with_origin("http://127.0.0.1.evil.example")) == std::optional<int>(403));
  CHECK(f.h.accept(with_origin("null")) == std::optional<int>(403));
}

TEST_CASE("health, status, models.list and config.get answer without secrets", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json health = f.call(ws, "health");
  CHECK(health["payload"]["ok"] == json(true));
  json status = f.call(ws, "status");
  CHECK(status["payload"]["defaultModel"] == json("fake/m1"));
  CHECK(status["payload"]["gateway"]["authMode"] == json("token"));

  json models = f.call(ws, "models.list")["payload"]["models"];
  REQUIRE(models.size() == 1);
  CHECK(models[0]["id"] == json("m1"));
  CHECK(models[0]["provider"] == json("fake"));
  CHECK(models[0]["alias"] == json("one"));
  CHECK(models[0]["name"] == json("Model One"));
  CHECK(models[0]["contextWindow"] == json(32000));

  std::size_t before = ws->sent.size();
  json cfg = f.call(ws, "config.get");
  REQUIRE(cfg["ok"] == json(true));
  CHECK(cfg["payload"]["exists"] == json(true));
  CHECK(cfg["payload"]["config"]["models"]["providers"]["fake"]["apiKey"] == json("***"));
  CHECK(cfg["payload"]["config"]["gateway"]["auth"]["token"] == json("***"));
  CHECK(cfg["payload"]["config"]["agents"]["defaults"]["model"]["primary"] == json("fake/m1"));
  json one = f.call(ws, "config.get", json::object({{"path", "gateway.auth"}}));
  CHECK(one["payload"]["value"]["token"] == json("***"));
  for (std::size_t i = before; i < ws->sent.size(); ++i) {
    CHECK(ws->sent[i].find(token) == std::string::npos);
    CHECK(ws->sent[i].find(vendor_key) == std::string::npos);
  }
}

TEST_CASE("chat.send answers started, streams deltas and a final, and the history shows it",
          "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_one");
  auto ws = f.connected();
  std::string id = f.request(
      ws, "chat.send",
      json::object({{"sessionKey", "main"}, {"message", "hello"}, {"idempotencyKey", "idem-1"}}));
  auto res = ws->responses(id);
  REQUIRE(res.size() == 1);
  REQUIRE(res[0]["ok"] == json(true));
  CHECK(res[0]["payload"]["status"] == json("started"));
  std::string run_id = res[0]["payload"]["runId"].as_string();

  json final_event = f.wait_chat(ws, run_id, "final");
  CHECK(final_event["sessionKey"] == json("agent:main:main"));
  CHECK(text_of_message(final_event["message"]) == "First answer.");
  CHECK(final_event["message"]["role"] == json("assistant"));
  CHECK(final_event["stopReason"] == json("stop"));
  CHECK(final_event["usage"]["output"] == json(12));

  std::string streamed;
  bool saw_response = false;
  std::uint64_t agent_seq = 0;
  std::vector<std::string> streams;
  for (const auto& fr : ws->frames()) {
    if (fr["type"] == json("res") && fr["id"] == json(id)) saw_response = true;
    if (fr["type"] != json("event")) continue;
    const json& p = fr["payload"];
    if (fr["event"] == json("chat") && p["state"] == json("delta")) {
      CHECK(saw_response);  // the runId is known before any event carries it
      streamed += p["deltaText"].as_string();
      CHECK(text_of_message(p["message"]) == streamed);
    }
    if (fr["event"] == json("agent")) {
      CHECK(saw_response);
      CHECK(p["runId"] == json(run_id));
      CHECK(p["sessionKey"] == json("agent:main:main"));
      CHECK(p["seq"].as_uint() == ++agent_seq);
      streams.push_back(p["stream"].as_string() + ":" + p["data"].string_or("phase"));
    }
  }
  CHECK(streamed == "First answer.");
  REQUIRE(streams.size() >= 3);
  CHECK(streams.front() == "lifecycle:start");
  CHECK(streams.back() == "lifecycle:end");
  CHECK(std::find(streams.begin(), streams.end(), "assistant:") != streams.end());

  json history = f.call(ws, "chat.history", json::object({{"sessionKey", "main"}, {"limit", 10}}));
  REQUIRE(history["ok"] == json(true));
  const json& msgs = history["payload"]["messages"];
  REQUIRE(msgs.size() == 2);
  CHECK(msgs[0]["role"] == json("user"));
  CHECK(text_of_message(msgs[0]) == "hello");
  CHECK(text_of_message(msgs[1]) == "First answer.");
  CHECK(history["payload"]["sessionKey"] == json("agent:main:main"));
  CHECK_FALSE(history["payload"]["sessionId"].as_string().empty());

  json limited = f.call(ws, "chat.history", json::object({{"sessionKey", "main"}, {"limit", 1}}));
  CHECK(limited["payload"]["messages"].size() == 1);
}

TEST_CASE("agent answers accepted and then the result on the same id", "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_two");
  auto ws = f.connected();
  std::string id =
      f.request(ws, "agent", json::object({{"message", "hi"}, {"idempotencyKey", "a-1"}}));
  auto first = ws->responses(id);
  REQUIRE(first.size() == 1);
  CHECK(first[0]["payload"]["status"] == json("accepted"));
  CHECK(first[0]["payload"]["acceptedAt"].is_integer());
  std::string run_id = first[0]["payload"]["runId"].as_string();

  json fin = f.wait_response(ws, id, 2);
  REQUIRE(fin["ok"] == json(true));
  const json& p = fin["payload"];
  CHECK(p["runId"] == json(run_id));
  CHECK(p["status"] == json("ok"));
  REQUIRE(p["result"]["payloads"].size() == 1);
  CHECK_FALSE(p["result"]["payloads"][0]["text"].as_string().empty());
  CHECK(p["result"]["meta"]["durationMs"].is_integer());
  CHECK(p["result"]["meta"]["agentMeta"]["provider"] == json("fake"));
  CHECK(p["result"]["meta"]["agentMeta"]["model"] == json("m1"));
  CHECK_FALSE(p["result"]["meta"]["agentMeta"]["sessionId"].as_string().empty());

  // The same key again: the cached result, without another call to the model.
  std::string again =
      f.request(ws, "agent", json::object({{"message", "hi"}, {"idempotencyKey", "a-1"}}));
  auto repeat = ws->responses(again);
  REQUIRE(repeat.size() == 1);
  CHECK(repeat[0]["payload"]["runId"] == json(run_id));
  CHECK(repeat[0]["payload"]["status"] == json("ok"));
  CHECK(f.vendor.requests == 1);
}

TEST_CASE("a repeated idempotencyKey returns the same runId and runs once", "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_one");
  auto ws = f.connected();
  json params =
      json::object({{"sessionKey", "main"}, {"message", "hello"}, {"idempotencyKey", "same"}});
  json first = f.call(ws, "chat.send", params);
  json second = f.call(ws, "chat.send", params);
  std::string run_id = first["payload"]["runId"].as_string();
  CHECK(second["payload"]["runId"] == json(run_id));
  CHECK(second["payload"]["status"] == json("in_flight"));
  f.wait_chat(ws, run_id, "final");
  json third = f.call(ws, "chat.send", params);
  CHECK(third["payload"]["runId"] == json(run_id));
  CHECK(third["payload"]["status"] == json("ok"));
  CHECK(f.vendor.requests == 1);
}

TEST_CASE("chat.abort on an idle session aborts nothing", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json res = f.call(ws, "chat.abort", json::object({{"sessionKey", "main"}}));
  REQUIRE(res["ok"] == json(true));
  CHECK(res["payload"] ==
        json::object({{"ok", true}, {"aborted", false}, {"runIds", json::array()}}));
}

TEST_CASE("chat.abort stops a running turn, which ends with an aborted chat event", "[gateway]") {
  fixture f;
  f.vendor.enqueue("partial_text", true);
  auto ws = f.connected();
  json started =
      f.call(ws, "chat.send",
             json::object(
                 {{"sessionKey", "main"}, {"message", "tell me"}, {"idempotencyKey", "abort-1"}}));
  std::string run_id = started["payload"]["runId"].as_string();
  f.wait_chat(ws, run_id, "delta");  // the model is mid-answer and stays there
  json res = f.call(ws, "chat.abort", json::object({{"sessionKey", "main"}, {"runId", run_id}}));
  CHECK(res["payload"]["aborted"] == json(true));
  CHECK(res["payload"]["runIds"] == json::array({run_id}));
  json aborted = f.wait_chat(ws, run_id, "aborted");
  CHECK(aborted["sessionKey"] == json("agent:main:main"));
}

TEST_CASE("a closed connection's run goes on and its events reach only the others", "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_one");
  auto a = f.connected();
  auto b = f.connected();
  json started = f.call(
      a, "chat.send",
      json::object({{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "close-1"}}));
  std::string run_id = started["payload"]["runId"].as_string();
  a->close(1000, "bye");
  f.h.on_close(a, 1000);
  std::size_t a_frames = a->sent.size();
  json fin = f.wait_chat(b, run_id, "final");
  CHECK(text_of_message(fin["message"]) == "First answer.");
  CHECK(a->sent.size() == a_frames);
  CHECK(a->sends_after_close == 0);  // not even attempted
  CHECK(f.server->client_count() == 1);
  CHECK(b->events("presence").size() == 1);  // a left
}

TEST_CASE("sessions.list, sessions.reset and sessions.delete", "[gateway]") {
  fixture f;
  f.vendor.enqueue("answer_one");
  f.vendor.enqueue("answer_two");
  auto ws = f.connected();
  json one =
      f.call(ws, "chat.send",
             json::object({{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "s-1"}}));
  f.wait_chat(ws, one["payload"]["runId"].as_string(), "final");
  json two = f.call(
      ws, "chat.send",
      json::object(
          {{"sessionKey", "agent:main:side"}, {"message", "hi"}, {"idempotencyKey", "s-2"}}));
  f.wait_chat(ws, two["payload"]["runId"].as_string(), "final");

  json list = f.call(ws, "sessions.list");
  REQUIRE(list["ok"] == json(true));
  CHECK(list["payload"]["count"] == json(2));
  const json& rows = list["payload"]["sessions"];
  CHECK(rows[0]["agentId"] == json("main"));
  CHECK(rows[0]["sessionId"].is_string());
  json searched = f.call(ws, "sessions.list", json::object({{"search", "side"}}));
  REQUIRE(searched["payload"]["count"] == json(1));
  CHECK(searched["payload"]["sessions"][0]["key"] == json("agent:main:side"));

  std::string old_id =
      f.call(ws, "chat.history", json::object({{"sessionKey", "main"}}))["payload"]["sessionId"]
          .as_string();
  std::string reset_id = f.request(ws, "sessions.reset", json::object({{"key", "main"}}));
  json reset = f.wait_response(ws, reset_id);
  REQUIRE(reset["ok"] == json(true));
  CHECK(reset["payload"]["key"] == json("agent:main:main"));
  CHECK(reset["payload"]["entry"]["sessionId"] != json(old_id));
  CHECK(f.call(ws, "chat.history", json::object({{"sessionKey", "main"}}))["payload"]["messages"]
            .empty());

  json main_delete = f.call(ws, "sessions.delete", json::object({{"key", "main"}}));
  CHECK(main_delete["ok"] == json(false));
  std::string del_id = f.request(ws, "sessions.delete", json::object({{"key", "agent:main:side"}}));
  json del = f.wait_response(ws, del_id);
  CHECK(del["payload"]["deleted"] == json(true));
  CHECK(f.call(ws, "sessions.list")["payload"]["count"] == json(1));
}

TEST_CASE("shutdown tells every client and closes with 1012 on restart", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  auto pending = f.open();  // not handshaken: closed without the event
  f.server->shutdown("restarting", true);
  auto ev = ws->events("shutdown");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0]["payload"]["reason"] == json("restarting"));
  CHECK(ev[0]["payload"]["restartExpectedMs"].is_integer());
  CHECK(ev[0]["seq"] == json(1));
  CHECK(ws->close_code == std::optional<std::uint16_t>(1012));
  CHECK(pending->close_code == std::optional<std::uint16_t>(1012));
  CHECK(pending->events("shutdown").empty());

  fixture g;
  auto other = g.connected();
  g.server->shutdown("bye", false);
  CHECK(other->close_code == std::optional<std::uint16_t>(1001));
}

TEST_CASE("a failing model ends the run with an error event and an error result", "[gateway]") {
  fixture f;  // nothing queued: the vendor answers an empty stream
  auto ws = f.connected();
  std::string id = f.request(
      ws, "agent",
      json::object({{"message", "hi"}, {"sessionKey", "main"}, {"idempotencyKey", "e-1"}}));
  std::string run_id = ws->responses(id)[0]["payload"]["runId"].as_string();
  json fin = f.wait_response(ws, id, 2);
  CHECK(fin["ok"] == json(false));
  CHECK(fin["payload"]["runId"] == json(run_id));
  CHECK(fin["payload"]["status"] == json("error"));
  CHECK_FALSE(fin["error"]["message"].as_string().empty());
  json err = f.wait_chat(ws, run_id, "error");
  CHECK_FALSE(err["errorMessage"].as_string().empty());
  bool lifecycle_error = false;
  for (const auto& e : ws->events("agent"))
    lifecycle_error |= e["payload"]["stream"] == json("lifecycle") &&
                       e["payload"]["data"]["phase"] == json("error");
  CHECK(lifecycle_error);
}

TEST_CASE("timeoutMs aborts a stalled turn as a timeout", "[gateway]") {
  fixture f;
  f.vendor.enqueue("partial_text", true);
  auto ws = f.connected();
  json started = f.call(ws, "chat.send",
                        json::object({{"sessionKey", "main"},
                                      {"message", "tell me"},
                                      {"timeoutMs", 50},
                                      {"idempotencyKey", "t-1"}}));
  json err = f.wait_chat(ws, started["payload"]["runId"].as_string(), "error");
  CHECK(err["errorMessage"] == json("agent run timed out"));
}

TEST_CASE("bad params are INVALID_REQUEST naming the field", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json res = f.call(ws, "chat.send", json::object({{"sessionKey", "main"}, {"message", 5}}));
  CHECK(res["error"]["code"] == json("INVALID_REQUEST"));
  CHECK(res["error"]["message"] == json("invalid chat.send params: message must be a string"));
  json hist = f.call(ws, "chat.history", json::object({{"sessionKey", "main"}, {"limit", 0}}));
  CHECK(hist["error"]["message"].as_string().find("limit") != std::string::npos);
  json agent = f.call(ws, "agent", json::object({{"message", "x"}, {"agentId", "nobody"}}));
  CHECK(agent["ok"] == json(false));
  CHECK(f.vendor.requests == 0);
}

TEST_CASE("sessions.reset stops a running turn first", "[gateway]") {
  fixture f;
  f.vendor.enqueue("partial_text", true);
  auto ws = f.connected();
  json started = f.call(
      ws, "chat.send",
      json::object({{"sessionKey", "main"}, {"message", "tell me"}, {"idempotencyKey", "r-1"}}));
  std::string run_id = started["payload"]["runId"].as_string();
  f.wait_chat(ws, run_id, "delta");
  std::string id = f.request(ws, "sessions.reset", json::object({{"key", "main"}}));
  json reset = f.wait_response(ws, id);
  CHECK(reset["ok"] == json(true));
  f.wait_chat(ws, run_id, "aborted");
  CHECK(f.state->runs.active() == 0);
}

TEST_CASE("sessions.compact with nothing to compact says so", "[gateway]") {
  fixture f;
  auto ws = f.connected();
  json none = f.call(ws, "sessions.compact", json::object({{"key", "main"}}));
  CHECK(none["payload"]["compacted"] == json(false));

  f.vendor.enqueue("answer_one");
  json one =
      f.call(ws, "chat.send",
             json::object({{"sessionKey", "main"}, {"message", "hi"}, {"idempotencyKey", "c-1"}}));
  f.wait_chat(ws, one["payload"]["runId"].as_string(), "final");
  std::string id = f.request(ws, "sessions.compact", json::object({{"key", "main"}}));
  json res = f.wait_response(ws, id);
  REQUIRE(res["ok"] == json(true));
  CHECK(res["payload"]["key"] == json("agent:main:main"));
  CHECK(res["payload"]["compacted"] == json(false));  // one short exchange: nothing older to fold
}
