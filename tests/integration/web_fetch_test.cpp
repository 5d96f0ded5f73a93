// web_fetch against a real HTTP server on 127.0.0.1: extraction, the private-address guard
// (on every redirect), redirect limits, the download cap and cancellation.
#include "tools/web_fetch.hpp"

#include <durar/tools.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "http/http_client.hpp"
#include "tool_call_fixture.hpp"

#include <string>
#include <vector>

using Catch::Contains;
using Catch::EndsWith;
using durar::json;
using durar::web_fetch_options;
using durar::detail::is_private_address;
using durar::detail::is_private_hostname;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::recorded_request;
using tool_test::text;

namespace {

fake_response page(std::string body, std::string content_type = "text/html; charset=utf-8") {
  fake_response r;
  r.headers = {{"Content-Type", std::move(content_type)}};
  r.body = std::move(body);
  r.chunked = false;
  return r;
}

fake_response redirect(std::string location, int status = 302) {
  fake_response r;
  r.status = status;
  r.headers = {{"Location", std::move(location)}};
  r.chunked = false;
  return r;
}

json fetch(std::string url) { return json::object({{"url", std::move(url)}}); }

web_fetch_options allow_private() {
  web_fetch_options o;
  o.allow_private = true;
  return o;
}

// The fake server is loopback; this guard trusts exactly its address and nothing else private.
durar::detail::web_fetch_guard trust_test_server() {
  durar::detail::web_fetch_guard g;
  g.address_allowed = [](const asio::ip::address& a) {
    return a == asio::ip::make_address("127.0.0.1") || !is_private_address(a);
  };
  return g;
}

}  // namespace

TEST_CASE("web_fetch reduces a page to readable text", "[web_fetch]") {
  fake_vendor_server server;
  server.respond_with([](const recorded_request& r) -> std::optional<fake_response> {
    if (r.target == "/article")
      return page(R"(<html><head><title>T</title><script>tracking()</script></head>
        <body><h1>Hello</h1><p>Read <a href="https://example.com/more">more</a>.</p></body></html>)");
    if (r.target == "/data") return page(R"({"a":1,"b":[true]})", "application/json");
    if (r.target == "/plain") return page("just <b>text</b>", "text/plain");
    if (r.target == "/latin1") return page("caf\xE9", "text/plain; charset=ISO-8859-1");
    return std::nullopt;
  });
  asio::io_context io;
  auto tool = durar::make_web_fetch_tool(io, allow_private());

  const std::string url = server.base_url() + "/article";
  auto r = tool_test::call(io, *tool, fetch(url));
  REQUIRE_FALSE(r.is_error);
  CHECK(text(r) == "Hello\n\nRead more (https://example.com/more).");
  CHECK(r.details["url"].as_string() == url);
  CHECK(r.details["finalUrl"].as_string() == url);
  CHECK(r.details["status"].as_int() == 200);
  CHECK(r.details["contentType"].as_string() == "text/html");
  CHECK_FALSE(r.details["truncated"].as_bool());
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "GET");
  CHECK_THAT(requests[0].header("user-agent"), Contains("Mozilla/5.0"));
  CHECK_THAT(requests[0].header("accept"), Contains("text/html"));

  CHECK(text(tool_test::call(io, *tool, fetch(server.base_url() + "/data"))) ==
        "{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}");
  CHECK(text(tool_test::call(io, *tool, fetch(server.base_url() + "/plain"))) ==
        "just <b>text</b>");
  CHECK(text(tool_test::call(io, *tool, fetch(server.base_url() + "/latin1"))) == "caf\xC3\xA9");

  auto missing = tool_test::call(io, *tool, fetch(server.base_url() + "/nope"));
  CHECK(missing.is_error);
  CHECK_THAT(text(missing), Contains("Web fetch failed (599)"));
  CHECK(missing.details["status"].as_int() == 599);
}

TEST_CASE("web_fetch refuses private addresses unless allowed", "[web_fetch]") {
  fake_vendor_server server;
  server.respond_with([](const recorded_request&) { return std::optional(page("<p>secret</p>")); });
  asio::io_context io;
  auto tool = durar::make_web_fetch_tool(io, web_fetch_options{});
  const std::string port = std::to_string(server.port());

  const std::vector<std::string> urls = {server.base_url() + "/",
                                         "http://localhost:" + port + "/",
                                         "http://[::1]:" + port + "/",
                                         "http://0x7f.1:" + port + "/",
                                         "http://169.254.169.254/latest/meta-data/",
                                         "http://10.1.2.3/",
                                         "http://metadata.google.internal/"};
  for (const std::string& url : urls) {
    INFO(url);
    auto r = tool_test::call(io, *tool, fetch(url));
    CHECK(r.is_error);
    CHECK_THAT(text(r), Contains("Blocked"));
    CHECK(r.details["error"].as_string() == "blocked");
  }
  CHECK(server.requests().empty());

  // The same server is reachable once private fetches are allowed.
  auto allowed = durar::make_web_fetch_tool(io, allow_private());
  CHECK(text(tool_test::call(io, *allowed, fetch(server.base_url() + "/"))) == "secret");
}

TEST_CASE("web_fetch refuses other schemes and bad URLs", "[web_fetch]") {
  asio::io_context io;
  auto tool = durar::make_web_fetch_tool(io, allow_private());
  for (const char* url : {"file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/",
                          "javascript:alert(1)", "not a url", "//example.com/"}) {
    INFO(url);
    auto r = tool_test::call(io, *tool, fetch(url));
    CHECK(r.is_error);
    CHECK_THAT(text(r), Contains("Invalid URL: must be http or https"));
  }
}

TEST_CASE("web_fetch follows redirects and checks every hop", "[web_fetch]") {
  fake_vendor_server server;
  const std::string port = std::to_string(server.port());
  server.respond_with([port](const recorded_request& r) -> std::optional<fake_response> {
    if (r.target == "/start") return redirect("/middle", 301);
    if (r.target == "/middle") return redirect("http://127.0.0.1:" + port + "/final", 307);
    if (r.target == "/final") return page("<p>arrived</p>");
    if (r.target == "/loop") return redirect("/loop");
    if (r.target == "/to-metadata") return redirect("http://169.254.169.254/latest/meta-data/");
    if (r.target == "/to-localhost") return redirect("http://localhost:" + port + "/final");
    if (r.target == "/to-file") return redirect("file:///etc/passwd");
    return std::nullopt;
  });
  asio::io_context io;
  auto options = allow_private();
  options.max_redirects = 2;
  auto tool = durar::make_web_fetch_tool(io, options);

  auto r = tool_test::call(io, *tool, fetch(server.base_url() + "/start"));
  REQUIRE_FALSE(r.is_error);
  CHECK(text(r) == "arrived");
  CHECK(r.details["finalUrl"].as_string() == server.base_url() + "/final");
  CHECK(r.details["redirects"].as_int() == 2);

  auto loop = tool_test::call(io, *tool, fetch(server.base_url() + "/loop"));
  CHECK(loop.is_error);
  CHECK_THAT(text(loop), Contains("too many redirects (max 2)"));

  // Guarded: the test server's own address is trusted, every other private one is not, and
  // a redirect to one is refused before anything connects to it.
  web_fetch_options guarded;
  auto checked = durar::detail::make_web_fetch_tool(io, guarded, trust_test_server());
  const std::size_t before = server.requests().size();
  CHECK(text(tool_test::call(io, *checked, fetch(server.base_url() + "/start"))) == "arrived");
  for (const char* target : {"/to-metadata", "/to-localhost", "/to-file"}) {
    INFO(target);
    auto refused = tool_test::call(io, *checked, fetch(server.base_url() + target));
    CHECK(refused.is_error);
    CHECK_THAT(text(refused), Contains("Blocked"));
  }
  // Three hops for /start, then one request per refused redirect and none after it.
  CHECK(server.requests().size() == before + 3 + 3);
}

TEST_CASE("web_fetch resolves names, checks every address and connects to it", "[web_fetch]") {
  fake_vendor_server server;
  server.respond_with(
      [](const recorded_request&) { return std::optional(page("<p>by name</p>")); });
  asio::io_context io;
  const std::string url = "http://localhost:" + std::to_string(server.port()) + "/";

  durar::detail::web_fetch_guard loopback;
  loopback.host_allowed = [](std::string_view) { return true; };
  loopback.address_allowed = [](const asio::ip::address& a) { return a.is_loopback(); };
  auto tool = durar::detail::make_web_fetch_tool(io, web_fetch_options{}, loopback);
  CHECK(text(tool_test::call(io, *tool, fetch(url))) == "by name");

  // One refused address among those a name resolves to refuses the name.
  durar::detail::web_fetch_guard v6_only = loopback;
  v6_only.address_allowed = [](const asio::ip::address& a) { return a.is_v6(); };
  auto strict = durar::detail::make_web_fetch_tool(io, web_fetch_options{}, v6_only);
  auto r = tool_test::call(io, *strict, fetch(url));
  CHECK(r.is_error);
  CHECK_THAT(text(r), Contains("resolves to a private"));
}

TEST_CASE("the HTTP engine connects to pinned addresses instead of asking DNS", "[web_fetch]") {
  fake_vendor_server server;
  server.respond_with([](const recorded_request&) { return std::optional(page("pinned")); });
  asio::io_context io;
  durar::detail::http_client client(io);
  const std::string port = std::to_string(server.port());
  // .invalid never resolves (RFC 2606): reaching the server proves the pin was used.
  durar::http_request req;
  req.method = "GET";
  req.url = "http://durar-pin.invalid:" + port + "/";
  durar::detail::http_connect_options pin;
  pin.resolve = {"durar-pin.invalid:" + port + ":127.0.0.1"};
  std::string body;
  std::optional<durar::result<void>> done;
  durar::detail::http_callbacks cb;
  cb.on_body = [&](std::string_view b) { body += b; };
  cb.on_complete = [&](durar::result<void> r) { done.emplace(std::move(r)); };
  client.start(req, {}, std::move(cb), {}, pin);
  REQUIRE(durar::test::run_until(io, [&] { return done.has_value(); }));
  CHECK(done->has_value());
  CHECK(body == "pinned");
}

TEST_CASE("web_fetch caps the download and the text", "[web_fetch]") {
  fake_vendor_server server;
  server.respond_with([](const recorded_request& r) -> std::optional<fake_response> {
    if (r.target == "/big") {
      auto p = page(std::string(200000, 'a'), "text/plain");
      p.chunked = true;
      p.split_every = 4096;
      return p;
    }
    if (r.target == "/long") return page(std::string(500, 'b'), "text/plain");
    return std::nullopt;
  });
  asio::io_context io;
  auto options = allow_private();
  options.max_bytes = 1000;
  auto tool = durar::make_web_fetch_tool(io, options);

  auto big = tool_test::call(io, *tool, fetch(server.base_url() + "/big"));
  REQUIRE_FALSE(big.is_error);
  CHECK(text(big) == std::string(1000, 'a') + "\n\n[Response body truncated after 1000 bytes]");
  CHECK(big.details["truncated"].as_bool());

  auto cut = tool_test::call(
      io, *tool, json::object({{"url", server.base_url() + "/long"}, {"maxChars", 100}}));
  CHECK(text(cut) ==
        std::string(100, 'b') + "\n\n[Content truncated: showing the first 100 of 500 characters]");
  CHECK(cut.details["truncated"].as_bool());
}

TEST_CASE("web_fetch stops when the call is cancelled", "[web_fetch]") {
  fake_vendor_server server;
  server.respond_with([](const recorded_request&) {
    auto p = page("<p>slow</p>");
    p.delay_headers = std::chrono::seconds(20);
    return std::optional(p);
  });
  asio::io_context io;
  auto tool = durar::make_web_fetch_tool(io, allow_private());
  auto pending = tool_test::start(io, *tool, fetch(server.base_url() + "/"));
  REQUIRE(durar::test::run_until(io, [&] { return !server.requests().empty(); }));
  pending->cancel.emit(asio::cancellation_type::terminal);
  auto r = tool_test::finish(io, *pending, std::chrono::seconds(5));
  CHECK(r.is_error);
  CHECK_THAT(text(r), Contains("aborted"));
}

TEST_CASE("the private address guard covers the special ranges", "[web_fetch]") {
  auto priv = [](const char* a) { return is_private_address(asio::ip::make_address(a)); };
  for (const char* a : {"127.0.0.1",
                        "127.255.0.9",
                        "10.0.0.1",
                        "172.16.5.4",
                        "172.31.255.255",
                        "192.168.1.1",
                        "169.254.169.254",
                        "100.64.0.1",
                        "0.0.0.0",
                        "224.0.0.1",
                        "255.255.255.255",
                        "198.18.0.1",
                        "::",
                        "::1",
                        "fe80::1",
                        "fc00::1",
                        "fd12:3456::1",
                        "ff02::1",
                        "::ffff:127.0.0.1",
                        "::ffff:10.0.0.1",
                        "64:ff9b::a00:1",
                        "2002:a00:1::",
                        "2001:db8::1",
                        "fec0::1",
                        "::127.0.0.1"}) {
    INFO(a);
    CHECK(priv(a));
  }
  for (const char* a : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "93.184.216.34",
                        "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"}) {
    INFO(a);
    CHECK_FALSE(priv(a));
  }
  CHECK(is_private_hostname("localhost"));
  CHECK(is_private_hostname("LOCALHOST."));
  CHECK(is_private_hostname("db.internal"));
  CHECK(is_private_hostname("printer.local"));
  CHECK(is_private_hostname("app.localhost"));
  CHECK_FALSE(is_private_hostname("example.com"));
  CHECK_FALSE(is_private_hostname("internal.example.com"));
}
