// The control protocol on arbitrary WebSocket text frames: the frame decoder alone, then the
// real control server (connect handshake, auth, method params) behind a fake WebSocket.
// Input: [flags][frames separated by '\n'...]; flags bit 0 sends a valid `connect` first so
// the methods behind the handshake are reached too.
// Invariants: a frame that is not a request says why; everything the server sends is a JSON
// object of type res or event, and a failed res has an error message; no run outlives the
// connection for long (aborted runs end).
#include <durar/config.hpp>
#include <durar/runtime.hpp>

#include "gateway/control_frames.hpp"
#include "gateway/control_server.hpp"
#include "gateway/gateway_state.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

using namespace durar;
using namespace durar::gateway_detail;
namespace fs = std::filesystem;

constexpr std::string_view token = "fuzz-gateway-token";

// A WebSocket as the control server sees it: checks each frame sent, keeps nothing.
class fake_ws : public ws_connection {
 public:
  explicit fake_ws(std::uint64_t id) : id_(id) {
    req_.method = "GET";
    req_.path = "/";
    req_.remote_address = "127.0.0.1";
    req_.remote_is_loopback = true;
  }
  void send_text(std::string text) override {
    if (!open_) return;
    auto frame = json::parse(text);
    if (!frame || !frame->is_object()) std::abort();
    const json& type = (*frame)["type"];
    if (type == json("res")) {
      if ((*frame)["ok"] == json(false)) {
        const json& message = (*frame)["error"]["message"];
        if (!message.is_string() || message.as_string().empty()) std::abort();
      }
    } else if (type != json("event")) {
      std::abort();
    }
  }
  void close(std::uint16_t, std::string) override { open_ = false; }
  [[nodiscard]] const gateway_detail::http_request& upgrade_request() const override {
    return req_;
  }
  [[nodiscard]] std::uint64_t id() const override { return id_; }
  [[nodiscard]] bool open() const override { return open_; }
  [[nodiscard]] std::size_t buffered_bytes() const override { return 0; }

 private:
  std::uint64_t id_;
  gateway_detail::http_request req_;
  bool open_ = true;
};

// One runtime and control server for the whole process, with a model vendor that refuses
// connections (127.0.0.1:1), so runs start and fail fast without leaving the machine.
struct world {
  fs::path dir;
  asio::io_context io;
  std::unique_ptr<runtime> rt;
  std::unique_ptr<gateway_state> state;
  std::unique_ptr<control_server> server;
  ws_handlers h;
  std::uint64_t next_id = 1;

  world() {
    std::string templ = (fs::temp_directory_path() / "durar-fuzz-control-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) std::abort();
    dir = templ;
    // The world is never destroyed (handlers may outlive any order we pick); its directory
    // goes when the process exits.
    static std::string to_remove;
    to_remove = templ;
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(to_remove, ec);
    });
    fs::path file = dir / "durar.yaml";
    std::ofstream(file) << "agents:\n  defaults:\n    model:\n      primary: fake/m1\n"
                           "    workspace: "
                        << (dir / "workspace").string()
                        << "\nmodels:\n  providers:\n    fake:\n"
                           "      baseUrl: http://127.0.0.1:1/v1\n      apiKey: sk-fuzz\n"
                           "      api: openai-completions\n      models:\n        - id: m1\n";
    load_options lo;
    lo.paths.config_path = file;
    lo.env = environment({{"HOME", dir.string()}, {"DURAR_STATE_DIR", dir.string()}});
    lo.working_dir = dir;
    auto cfg = load_config(lo);
    if (!cfg) std::abort();
    runtime_options ro;
    ro.sessions.transcript_fsync = fsync_policy::never;
    ro.sessions.index_fsync = fsync_policy::never;
    rt = std::make_unique<runtime>(io, std::move(*cfg), ro);
    gateway_settings s;
    s.auth.mode = "token";
    s.auth.token = secret(std::string(token));
    state = std::make_unique<gateway_state>(io, *rt, s);
    server = std::make_unique<control_server>(*state);
    h = server->handlers();
  }
  // Lets aborted runs end; a run that does not is a hang.
  void settle() {
    state->runs.abort_all();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (state->runs.active() != 0) {
      if (std::chrono::steady_clock::now() >= deadline) std::abort();
      io.restart();
      io.run_one_for(std::chrono::milliseconds(20));
    }
    io.restart();
    io.poll();
  }
};

std::string connect_frame() {
  json params = json::object(
      {{"minProtocol", 3},
       {"maxProtocol", 4},
       {"client",
        json::object({{"id", "fuzz"}, {"version", "1"}, {"platform", "linux"}, {"mode", "test"}})},
       {"role", "operator"},
       {"auth", json::object({{"token", std::string(token)}})}});
  return json::object({{"type", "req"}, {"id", "c"}, {"method", "connect"}, {"params", params}})
      .dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static world* w = new world();  // lives to the end of the process
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  auto parsed = parse_request_frame(text);
  if (!parsed.request && parsed.error.message.empty()) std::abort();

  auto ws = std::make_shared<fake_ws>(w->next_id++);
  w->h.on_open(ws);
  if (data[0] & 1) w->h.on_text(ws, connect_frame());
  int frames = 0;
  while (frames++ < 32) {
    auto nl = text.find('\n');
    w->h.on_text(ws, std::string(text.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  w->h.on_close(ws, 1000);
  w->settle();
  return 0;
}
