// Clients that misbehave, against the real durar-gateway: each gets the right status or
// close code, and the gateway keeps serving everyone else.
#include <catch2/catch.hpp>

#include "gateway_harness.hpp"
#include "ws_client.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>

using namespace durar;
using namespace durar::test;

namespace {

// The reply to raw request bytes on a fresh connection, and whether the gateway then closed.
struct raw_outcome {
  std::optional<http_reply> reply;
  bool closed = false;
};

raw_outcome send_raw(std::uint16_t port, const std::string& bytes) {
  tcp_client c(port);
  c.send(bytes);
  raw_outcome out;
  out.closed = c.wait_closed();
  out.reply = parse_reply(c.received);
  return out;
}

}  // namespace

TEST_CASE("gateway binary: malformed requests get 400 and the gateway carries on",
          "[gateway][binary][robustness]") {
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url());

  raw_outcome garbage = send_raw(gw.port(), "THIS IS NOT HTTP\r\n\r\n");
  REQUIRE(garbage.reply);
  CHECK(garbage.reply->status == 400);
  CHECK(garbage.closed);
  CHECK(gw.healthy());

  raw_outcome bad_version = send_raw(gw.port(), "GET /health HTTP/9.Z\r\nHost: x\r\n\r\n");
  REQUIRE(bad_version.reply);
  CHECK(bad_version.reply->status == 400);
  CHECK(gw.healthy());

  // Bad JSON is the API's 400, in OpenAI's error shape.
  curl_reply bad_json =
      gw.curl("/v1/chat/completions", {"-H", "content-type: application/json", "--data-binary",
                                       "{\"model\": \"durar\", \"messages\": [}"});
  CHECK(bad_json.status == 400);
  json err = bad_json.json_body()["error"];
  CHECK(err["type"] == json("invalid_request_error"));
  CHECK(err["message"].as_string().find("not valid JSON") != std::string::npos);
  CHECK(err.find("code") != nullptr);
  CHECK(err.find("param") != nullptr);
  CHECK(gw.healthy());
}

TEST_CASE("gateway binary: wrong auth is 401 in OpenAI's error shape",
          "[gateway][binary][robustness]") {
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url());
  curl_reply wrong = gw.curl(
      "/v1/chat/completions",
      {"-H", "authorization: Bearer not-the-token", "--data-binary", chat_body("hi", false)},
      false);
  CHECK(wrong.status == 401);
  CHECK(wrong.json_body()["error"]["type"] == json("authentication_error"));
  CHECK(wrong.json_body()["error"]["code"] == json("invalid_token"));
  CHECK(wrong.body.find(gateway_token) == std::string::npos);
  curl_reply missing = gw.curl("/v1/models", {}, false);
  CHECK(missing.status == 401);
  CHECK(missing.json_body()["error"]["code"] == json("missing_token"));
  CHECK(gw.healthy());
}

TEST_CASE("gateway binary: oversized headers get 431 and oversized bodies 413",
          "[gateway][binary][robustness]") {
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url());

  curl_reply big_head = gw.curl("/v1/models", {"-H", "x-padding: " + std::string(70'000, 'a')});
  CHECK((big_head.status == 431 || big_head.status == 400));
  CHECK(gw.healthy());

  // 21 MB against a 20 MB limit: refused from Content-Length, before the body is read.
  const auto big = std::filesystem::temp_directory_path() /
                   ("durar-big-body-" + std::to_string(gw.port()) + ".json");
  {
    std::ofstream out(big, std::ios::binary);
    out << "{\"pad\":\"" << std::string(21 * 1024 * 1024, 'x') << "\"}";
  }
  curl_reply big_body = gw.curl("/v1/chat/completions", {"-H", "content-type: application/json",
                                                         "--data-binary", "@" + big.string()});
  std::filesystem::remove(big);
  CHECK(big_body.status == 413);
  CHECK(gw.healthy());
}

TEST_CASE("gateway binary: a slowloris client is cut after the header timeout",
          "[gateway][binary][robustness]") {
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url(), {{"DURAR_GATEWAY_HEADER_TIMEOUT_MS", "400"}});

  tcp_client slow(gw.port());
  const auto start = std::chrono::steady_clock::now();
  slow.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  // One header byte whenever the gateway has been quiet for 100 ms: a trickle that never
  // completes the request. The timeout counts from the connection, not from each byte.
  int sent = 0;
  while (!slow.closed() && std::chrono::steady_clock::now() - start < 10s) {
    if (!slow.read_some(100ms) && !slow.closed()) {
      slow.send(sent++ == 0 ? "X-Slow: " : "a");
    }
  }
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(slow.closed());
  CHECK(took >= 350ms);
  CHECK(took < 5s);
  auto reply = parse_reply(slow.received);
  REQUIRE(reply);
  CHECK(reply->status == 408);
  CHECK(gw.healthy());
}

TEST_CASE("gateway binary: a WebSocket whose first frame is not connect is closed 1008",
          "[gateway][binary][robustness]") {
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url());
  ws_client ws(gw.port());
  CHECK(ws.challenge["payload"].string_or("nonce").size() > 0);
  ws.send_json(json::object({{"type", "req"}, {"id", "h1"}, {"method", "health"}}));
  auto res = ws.response("h1");
  REQUIRE(res);
  CHECK((*res)["ok"] == json(false));
  CHECK((*res)["error"]["code"] == json("INVALID_REQUEST"));
  CHECK(ws.wait_close() == std::optional<std::uint16_t>(1008));
  CHECK(gw.healthy());
}

TEST_CASE("gateway binary: invalid WebSocket frames are closed 1002",
          "[gateway][binary][robustness]") {
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url());

  SECTION("an unmasked client frame") {
    ws_client ws(gw.port());
    ws.send_frame(1, "{}", false);
    CHECK(ws.wait_close() == std::optional<std::uint16_t>(1002));
  }
  SECTION("reserved bits set") {
    ws_client ws(gw.port());
    ws.send_frame(1, "{}", true, 0x80 | 0x40);
    CHECK(ws.wait_close() == std::optional<std::uint16_t>(1002));
  }
  SECTION("an unknown opcode") {
    ws_client ws(gw.port());
    ws.send_frame(3, "", true);
    CHECK(ws.wait_close() == std::optional<std::uint16_t>(1002));
  }
  SECTION("text that is not UTF-8") {
    ws_client ws(gw.port());
    ws.send_frame(1, "\xff\xfe", true);
    auto code = ws.wait_close();
    CHECK(code == std::optional<std::uint16_t>(1007));
  }
  CHECK(gw.healthy());
  // And a well-behaved client still gets in.
  ws_client ok(gw.port());
  CHECK(ok.handshake(gateway_token));
}

TEST_CASE("gateway binary: the open-file limit is raised for many held-open streams",
          "[gateway][binary][robustness]") {
  rlimit mine{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &mine) == 0);
  if (mine.rlim_max <= 256) SUCCEED("hard limit too low to tell a raise apart");
  if (mine.rlim_max <= 256) return;
  // The gateway inherits a soft limit of 256, as a systemd service inherits 1,024.
  rlimit low = mine;
  low.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  struct restore {
    rlimit lim;
    ~restore() { ::setrlimit(RLIMIT_NOFILE, &lim); }
  } restore_after{mine};
  fake_vendor_process vendor({recording("text.response.sse")});
  gateway_process gw(vendor.url());
  std::ifstream limits("/proc/" + std::to_string(gw.proc().pid()) + "/limits");
  std::string line, soft;
  while (std::getline(limits, line))
    if (line.rfind("Max open files", 0) == 0) soft = line;
  INFO(soft);
  const std::string hard =
      mine.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(mine.rlim_max);
  // "Max open files   <soft>   <hard>   files": soft now equals hard.
  std::istringstream fields(soft.substr(std::string("Max open files").size()));
  std::string soft_value, hard_value;
  fields >> soft_value >> hard_value;
  CHECK(hard_value == hard);
  if (mine.rlim_max != RLIM_INFINITY) CHECK(soft_value == hard);
  CHECK(soft_value != "256");
  CHECK(gw.healthy());
}
