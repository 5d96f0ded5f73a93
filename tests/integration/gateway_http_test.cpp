// The gateway's listener over real sockets on 127.0.0.1, HTTP side: HTTP/1.1 framing,
// limits and timeouts, streamed responses and client disconnects.
#include <durar/json.hpp>

#include "gateway_server_fixture.hpp"

#include <stdexcept>

using namespace gateway_server_test;

TEST_CASE("gateway server: GET and POST round trip", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  c.send("GET /hello%20there?a=1&b=%20 HTTP/1.1\r\nHost: x\r\nX-Test:  yes  \r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "GET /hello there ?a=1&b=%20 [] yes 127.0.0.1 loopback");
  CHECK(r->headers["content-length"] == std::to_string(r->body.size()));
  CHECK(r->headers["content-type"] == "text/plain");
  CHECK(r->headers["x-seen"] == "/hello%20there?a=1&b=%20");

  c.send("POST /v1/thing HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
  r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /v1/thing ? [hello world] - 127.0.0.1 loopback");
}

TEST_CASE("gateway server: keep-alive serves two requests on one connection", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  for (int i = 0; i < 2; ++i) {
    c.send("GET /n" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->body.rfind("GET /n" + std::to_string(i) + " ", 0) == 0);
    CHECK(r->headers.count("connection") == 0);
  }
  CHECK_FALSE(c.eof());
}

TEST_CASE("gateway server: pipelined requests are answered in order", "[gateway][server]") {
  // The first request is answered only when the test says so, after the second arrived.
  recorder events;
  std::shared_ptr<http_responder> held;  // io thread only
  server_fixture s({}, [&](http_request req, std::shared_ptr<http_responder> res) {
    events.add("handler " + req.path);
    if (req.path == "/slow")
      held = std::move(res);
    else
      res->respond(200, {}, "fast");
  });
  raw_client c(s.port());
  c.send(
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /fast HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 2\r\n\r\nhi");
  REQUIRE(events.wait_for("handler /slow"));
  CHECK(events.count("handler /fast") == 0);  // one request at a time
  s.on_io([&] {
    held->respond(200, {}, "slow");
    held.reset();
  });
  auto first = read_response(c);
  auto second = read_response(c);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->body == "slow");
  CHECK(second->body == "fast");
}

TEST_CASE("gateway server: chunked request bodies are reassembled", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  c.send(
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
      "6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /c ? [hello world] - 127.0.0.1 loopback");
}

TEST_CASE("gateway server: Expect 100-continue", "[gateway][server]") {
  http_server_options o;
  o.max_body_bytes = 100;
  server_fixture s(o, echo);
  {
    raw_client c(s.port());
    c.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    auto interim = read_response(c);
    REQUIRE(interim);
    CHECK(interim->status == 100);
    c.send("abcde");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "POST /e ? [abcde] - 127.0.0.1 loopback");
  }
  {
    // Too large: refused before the client sends a byte of the body.
    raw_client c(s.port());
    c.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\nExpect: 100-continue\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(c.wait_eof());
  }
}

TEST_CASE("gateway server: bodies over the limit get 413", "[gateway][server]") {
  http_server_options o;
  o.max_body_bytes = 100;
  server_fixture s(o, echo);
  {
    raw_client c(s.port());
    c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(r->headers["connection"] == "close");
    CHECK(c.wait_eof());
  }
  {
    raw_client c(s.port());
    std::string chunk(80, 'x');
    c.send("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" + chunk +
           "\r\n50\r\n" + chunk + "\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(c.wait_eof());
  }
}

TEST_CASE("gateway server: headers over the limit get 431", "[gateway][server]") {
  http_server_options o;
  o.max_header_bytes = 1024;
  server_fixture s(o, echo);
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 431);
  CHECK(c.wait_eof());
}

TEST_CASE("gateway server: garbage gets 400 and the connection closes", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  constexpr char noise[] = "\x16\x03\x01\x02\x00 garbage\r\n\r\n";
  c.send(std::string_view(noise, sizeof noise - 1));
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(c.wait_eof());

  // Request smuggling shape: both Content-Length and chunked.
  raw_client d(s.port());
  d.send(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n");
  r = read_response(d);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(d.wait_eof());
}

namespace {
// An error the server wrote itself: OpenAI's error JSON, with the status and a code.
void check_error_json(const response& r, int status, std::string_view code) {
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(r.headers.at("content-type").rfind("application/json", 0) == 0);
  CHECK(r.headers.at("content-length") == std::to_string(r.body.size()));
  auto body = durar::json::parse(r.body);
  REQUIRE(body.has_value());
  const durar::json& e = (*body)["error"];
  REQUIRE(e.is_object());
  CHECK(e["message"].is_string());
  CHECK_FALSE(e["message"].as_string().empty());
  CHECK(e["type"] == durar::json(status >= 500 ? "server_error" : "invalid_request_error"));
  CHECK(e["code"] == durar::json(std::string(code)));
  CHECK(e.contains("param"));
}
}  // namespace

TEST_CASE("gateway server: its own errors are OpenAI error JSON", "[gateway][server]") {
  http_server_options o;
  o.max_body_bytes = 100;
  o.max_header_bytes = 1024;
  server_fixture s(o, echo);
  SECTION("413 for a Content-Length over the limit") {
    raw_client c(s.port());
    c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 413, "request_too_large");
    CHECK(r->headers["connection"] == "close");
    CHECK(r->body.find("100 bytes") != std::string::npos);
    CHECK(c.wait_eof());
  }
  SECTION("413 for a chunked body growing over the limit") {
    raw_client c(s.port());
    std::string chunk(80, 'x');
    c.send("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" + chunk +
           "\r\n50\r\n" + chunk + "\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 413, "request_too_large");
    CHECK(r->headers["connection"] == "close");
  }
  SECTION("431 for headers over the limit") {
    raw_client c(s.port());
    c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 431, "headers_too_large");
    CHECK(r->headers["connection"] == "close");
    CHECK(c.wait_eof());
  }
  SECTION("400 for a request the parser refuses") {
    raw_client c(s.port());
    c.send("HELLO\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 400, "malformed_request");
    CHECK(r->headers["connection"] == "close");
    CHECK(c.wait_eof());
  }
  SECTION("400 for bytes that are not HTTP at all (a TLS hello)") {
    raw_client c(s.port());
    constexpr char noise[] = "\x16\x03\x01\x02\x00 garbage\r\n\r\n";
    c.send(std::string_view(noise, sizeof noise - 1));
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 400, "malformed_request");
    CHECK(c.wait_eof());
  }
  SECTION("400 for Content-Length with chunked") {
    raw_client c(s.port());
    c.send(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 400, "malformed_request");
  }
  SECTION("417 for an Expect other than 100-continue") {
    raw_client c(s.port());
    c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\nx");
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 417, "expectation_failed");
  }
}

TEST_CASE("gateway server: 408 and a dropped responder's 500 are OpenAI error JSON",
          "[gateway][server]") {
  {
    http_server_options o;
    o.header_timeout = 100ms;
    server_fixture s(o, echo);
    raw_client c(s.port());
    c.send("GET / HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 408, "request_timeout");
    CHECK(r->headers["connection"] == "close");
  }
  {
    server_fixture s({}, [](http_request, std::shared_ptr<http_responder>) {});
    raw_client c(s.port());
    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 500, "internal");
    CHECK_FALSE(r->headers.count("connection"));  // the connection goes on
  }
  {
    server_fixture s({}, [](http_request, std::shared_ptr<http_responder>) -> void {
      throw std::runtime_error("boom");
    });
    raw_client c(s.port());
    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = read_response(c);
    REQUIRE(r);
    check_error_json(*r, 500, "internal");
  }
}

TEST_CASE("gateway server: HEAD answers carry the body's length but no body", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  c.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(c.wait_for("\r\n\r\n"));
  auto end = c.buffer().find("\r\n\r\n");
  std::string head = c.take(end + 4);
  const std::string get_body = "HEAD /h ? [] - 127.0.0.1 loopback";
  CHECK(head.find("content-length: " + std::to_string(get_body.size()) + "\r\n") !=
        std::string::npos);
  // No body follows: the next response starts right after the head.
  c.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "GET /next ? [] - 127.0.0.1 loopback");
}

TEST_CASE("gateway server: HTTP/1.0 closes after the response", "[gateway][server]") {
  server_fixture s({}, echo);
  raw_client c(s.port());
  c.send("GET /old HTTP/1.0\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(c.wait_eof());
}

TEST_CASE("gateway server: Connection close from the handler is honoured", "[gateway][server]") {
  server_fixture s({}, [](http_request, std::shared_ptr<http_responder> res) {
    res->respond(200, {{"Connection", "close"}}, "bye");
  });
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->body == "bye");
  CHECK(r->headers["connection"] == "close");
  CHECK(c.wait_eof());
}

TEST_CASE("gateway server: a dropped responder answers 500", "[gateway][server]") {
  server_fixture s({}, [](http_request, std::shared_ptr<http_responder>) {});
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 500);
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");  // and the connection still serves
  r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 500);
}

TEST_CASE("gateway server: streamed responses use chunked encoding", "[gateway][server]") {
  server_fixture s(with_io, {}, [](asio::io_context& io) {
    return [&io](http_request req, std::shared_ptr<http_responder> res) {
      if (req.path != "/stream") {
        res->respond(200, {}, "plain");
        return;
      }
      res->start_stream(200, {{"Content-Type", "text/event-stream"}});
      res->write("data: 1\n\n");
      res->write("");  // an empty write must not end the body
      // The rest comes later, from the io_context, as a run's events do.
      asio::post(io, [res] {
        res->write("data: 2\n\n");
        res->end();
        res->write("late");  // after end(): ignored
      });
    };
  });
  raw_client c(s.port());
  c.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->headers["transfer-encoding"] == "chunked");
  CHECK(r->headers.count("content-length") == 0);
  CHECK(r->body == "data: 1\n\ndata: 2\n\n");
  c.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n");  // keep-alive after a stream
  r = read_response(c);
  REQUIRE(r);
  CHECK(r->body == "plain");
}

TEST_CASE("gateway server: a client leaving mid-stream triggers on_disconnect once",
          "[gateway][server]") {
  recorder events;
  std::shared_ptr<http_responder> held;  // io thread only
  server_fixture s({}, [&](http_request, std::shared_ptr<http_responder> res) {
    res->start_stream(200, {{"Content-Type", "text/event-stream"}});
    res->on_disconnect([&] { events.add("disconnect"); });
    res->write("first");
    held = std::move(res);
  });
  {
    raw_client c(s.port());
    c.send("GET /run HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(c.wait_for("first"));
  }  // closed here, response still open
  REQUIRE(events.wait_for("disconnect"));
  s.on_io([&] {
    CHECK_FALSE(held->open());
    held->write("nobody hears this");
    held->end();
    held.reset();
  });
  CHECK(events.count("disconnect") == 1);
}

TEST_CASE("gateway server: a slow request header gets 408 and a close", "[gateway][server]") {
  http_server_options o;
  o.header_timeout = 200ms;
  server_fixture s(o, echo);
  raw_client c(s.port());
  auto started = std::chrono::steady_clock::now();
  c.send("GET / HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  REQUIRE(c.wait_eof());
  CHECK(std::chrono::steady_clock::now() - started >= 150ms);
  CHECK(c.buffer().rfind("HTTP/1.1 408 ", 0) == 0);
}

TEST_CASE("gateway server: a slow request body gets 408 and a close", "[gateway][server]") {
  http_server_options o;
  o.body_timeout = 200ms;
  server_fixture s(o, echo);
  raw_client c(s.port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  REQUIRE(c.wait_eof());
  CHECK(c.buffer().rfind("HTTP/1.1 408 ", 0) == 0);
}

TEST_CASE("gateway server: idle keep-alive connections are closed", "[gateway][server]") {
  http_server_options o;
  o.idle_timeout = 200ms;
  server_fixture s(o, echo);
  raw_client c(s.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_response(c);
  REQUIRE(r);
  REQUIRE(c.wait_eof());
  CHECK(c.buffer().empty());  // closed quietly, no 408
}

TEST_CASE("gateway server: a port in use is reported by name", "[gateway][server]") {
  server_fixture s({}, echo);
  asio::io_context io2;
  http_server_options o;
  o.port = s.port();
  http_server second(io2, o, echo, {});
  auto r = second.listen();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == durar::errc::unavailable);
  CHECK(r.error().message ==
        "port " + std::to_string(s.port()) + " on 127.0.0.1 is already in use");

  http_server_options bad;
  bad.host = "not-an-address";
  http_server third(io2, bad, echo, {});
  auto r3 = third.listen();
  REQUIRE_FALSE(r3.has_value());
  CHECK(r3.error().code == durar::errc::invalid_argument);
}

TEST_CASE("gateway server: connections beyond max_connections are closed", "[gateway][server]") {
  http_server_options o;
  o.max_connections = 1;
  server_fixture s(o, echo);
  raw_client first(s.port());
  first.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(read_response(first));  // accepted and counted
  raw_client second(s.port());
  CHECK(second.wait_eof());
  std::size_t count = 0;
  s.on_io([&] { count = s.server->connection_count(); });
  CHECK(count == 1);
}
