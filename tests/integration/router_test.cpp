// The router against fake vendor servers over real sockets: failover, key rotation,
// cooldowns, cancellation, secrets.
#include <durar/router.hpp>

#include <asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "host_transport.hpp"
#include "temp_dir.hpp"

#include <filesystem>

using namespace durar;
using durar::test::error_response;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::recorded;
using durar::test::temp_dir;

namespace {

const std::filesystem::path hello =
    std::filesystem::path(DURAR_TEST_DATA) / "providers" / "router" / "hello.response.sse";

// A config with providers "alpha" and "beta" (openai-completions) on the given servers.
config make_config(const std::string& alpha_url, const std::string& beta_url,
                   std::map<std::string, std::string, std::less<>> env_vars) {
  config cfg;
  cfg.env = environment(std::move(env_vars));
  for (auto [id, url] :
       {std::pair{std::string("alpha"), alpha_url}, std::pair{std::string("beta"), beta_url}}) {
    provider_config p;
    p.base_url = url + "/v1";
    p.api = "openai-completions";
    model_config m;
    m.id = "m1";
    m.cost = model_cost{2.0, 10.0, 0, 0};
    p.models.push_back(m);
    cfg.models.providers[id] = p;
  }
  cfg.agents.model.primary = "alpha/m1";
  cfg.agents.model.fallbacks = {"beta/m1"};
  return cfg;
}

struct run_result {
  result<assistant_message> outcome = fail(errc::internal, "not run");
  std::vector<json> events;
  std::vector<route_event> routes;
  std::size_t count(const std::string& type) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e["type"].as_string() == type;
    return n;
  }
};

run_result run(const config& cfg, completion_request req = {}, router_options opts = {}) {
  asio::io_context io;
  model_router router(io, cfg, std::move(opts));
  run_result r;
  router.on_route([&](const route_event& e) { r.routes.push_back(e); });
  req.conv.messages.push_back(user_text("hi"));
  r.outcome = router.complete(std::move(req),
                              [&](const stream_event& e) { r.events.push_back(to_json(e)); });
  return r;
}

}  // namespace

TEST_CASE("a streamed completion through the router, costed", "[router]") {
  fake_vendor_server alpha;
  alpha.enqueue(recorded(hello));
  auto r = run(make_config(alpha.base_url(), alpha.base_url(), {{"ALPHA_API_KEY", "k-alpha"}}));
  REQUIRE(r.outcome.has_value());
  CHECK(text_of(*r.outcome) == "Hello from the fake");
  CHECK(r.outcome->usage.cost.input == Approx(2.0));
  CHECK(r.outcome->usage.cost.output == Approx(1.0));
  CHECK(r.count("start") == 1);
  CHECK(r.count("done") == 1);
  auto reqs = alpha.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/v1/chat/completions");
  CHECK(reqs[0].header("authorization") == "Bearer k-alpha");
}

TEST_CASE("failover before content is invisible to the caller", "[router]") {
  fake_vendor_server alpha, beta;
  alpha.enqueue(error_response(503, R"({"error":{"message":"overloaded"}})"));
  beta.enqueue(recorded(hello));
  auto r = run(make_config(alpha.base_url(), beta.base_url(),
                           {{"ALPHA_API_KEY", "ka"}, {"BETA_API_KEY", "kb"}}));
  REQUIRE(r.outcome.has_value());
  CHECK(r.outcome->provider == "beta");
  CHECK(r.count("start") == 1);
  CHECK(r.count("error") == 0);
  CHECK(r.events.front()["provider"].as_string() == "beta");
  REQUIRE(r.routes.size() == 3);
  CHECK(r.routes[0].what == route_event::kind::attempt);
  CHECK(r.routes[1].what == route_event::kind::failed);
  CHECK(r.routes[1].failure.code == errc::unavailable);
  CHECK(r.routes[2].ref.provider == "beta");
}

TEST_CASE("a rate limit rotates to the next key of the same model", "[router]") {
  fake_vendor_server alpha;
  alpha.enqueue(error_response(429, R"({"error":{"message":"Rate limit reached"}})", 120));
  alpha.enqueue(recorded(hello));
  temp_dir state;
  router_options opts;
  opts.state_dir = state.path;
  auto r =
      run(make_config(alpha.base_url(), alpha.base_url(), {{"ALPHA_API_KEYS", "k1,k2"}}), {}, opts);
  REQUIRE(r.outcome.has_value());
  auto reqs = alpha.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].header("authorization") == "Bearer k1");
  CHECK(reqs[1].header("authorization") == "Bearer k2");
  // k1 cools down for at least the Retry-After, and that survives a restart.
  asio::io_context io;
  model_router again(io, make_config(alpha.base_url(), alpha.base_url(), {}), opts);
  auto cool = again.cooldowns();
  REQUIRE(cool.size() == 1);
  CHECK(cool[0].credential.rfind("ALPHA_API_KEYS[1]", 0) == 0);
  CHECK(cool[0].reason == "rate_limit");
  CHECK(cool[0].until - std::chrono::system_clock::now() > std::chrono::seconds(100));
}

TEST_CASE("other errors never rotate keys: they fail over to the next model", "[router]") {
  fake_vendor_server alpha, beta;
  alpha.enqueue(error_response(401, R"({"error":{"message":"invalid key"}})"));
  beta.enqueue(recorded(hello));
  auto r = run(make_config(alpha.base_url(), beta.base_url(),
                           {{"ALPHA_API_KEYS", "k1,k2"}, {"BETA_API_KEY", "kb"}}));
  REQUIRE(r.outcome.has_value());
  CHECK(alpha.requests().size() == 1);
  CHECK(beta.requests().size() == 1);
}

TEST_CASE("context overflow does not fail over", "[router]") {
  fake_vendor_server alpha, beta;
  alpha.enqueue(error_response(
      400,
      R"({"error":{"message":"This model's maximum context length is 8192 tokens","code":"context_length_exceeded"}})"));
  auto r = run(make_config(alpha.base_url(), beta.base_url(),
                           {{"ALPHA_API_KEY", "ka"}, {"BETA_API_KEY", "kb"}}));
  REQUIRE_FALSE(r.outcome.has_value());
  CHECK(r.outcome.error().code == errc::context_overflow);
  CHECK(beta.requests().empty());
  CHECK(r.count("error") == 1);
}

TEST_CASE("an error after content arrives with the partial message, no failover", "[router]") {
  fake_vendor_server alpha, beta;
  auto broken = recorded(hello);
  broken.reset_after = broken.body.find(" from the fake");  // after "Hello" went out
  alpha.enqueue(broken);
  beta.enqueue(recorded(hello));
  auto r = run(make_config(alpha.base_url(), beta.base_url(),
                           {{"ALPHA_API_KEY", "ka"}, {"BETA_API_KEY", "kb"}}));
  REQUIRE_FALSE(r.outcome.has_value());
  CHECK(r.outcome.error().code == errc::unavailable);
  REQUIRE(r.count("error") == 1);
  CHECK(r.events.back()["error"]["content"][0]["text"].as_string() == "Hello");
  CHECK(beta.requests().empty());
}

TEST_CASE("a short Retry-After on the only key is waited out once", "[router]") {
  fake_vendor_server alpha;
  alpha.enqueue(error_response(429, R"({"error":{"message":"slow down"}})", 0));
  alpha.enqueue(recorded(hello));
  auto cfg = make_config(alpha.base_url(), alpha.base_url(), {{"ALPHA_API_KEY", "k1"}});
  cfg.agents.model.fallbacks.clear();
  auto r = run(cfg);
  REQUIRE(r.outcome.has_value());
  CHECK(alpha.requests().size() == 2);
}

TEST_CASE("a provider without a key fails over with a message naming the variable", "[router]") {
  fake_vendor_server beta;
  beta.enqueue(recorded(hello));
  auto cfg = make_config(beta.base_url(), beta.base_url(), {{"BETA_API_KEY", "kb"}});
  cfg.agents.model.primary = "openai/gpt-5.4";  // a hosted provider, and no OPENAI_API_KEY
  auto r = run(cfg);
  REQUIRE(r.outcome.has_value());
  REQUIRE_FALSE(r.routes.empty());
  CHECK(r.routes[0].what == route_event::kind::failed);
  CHECK(r.routes[0].failure.message.find("OPENAI_API_KEY") != std::string::npos);
}

TEST_CASE("when every model fails the error lists each attempt", "[router]") {
  fake_vendor_server alpha, beta;
  alpha.enqueue(error_response(500, R"({"error":{"message":"boom a"}})"));
  beta.enqueue(error_response(502, R"({"error":{"message":"boom b"}})"));
  auto r = run(make_config(alpha.base_url(), beta.base_url(),
                           {{"ALPHA_API_KEY", "ka"}, {"BETA_API_KEY", "kb"}}));
  REQUIRE_FALSE(r.outcome.has_value());
  CHECK(r.outcome.error().message.find("boom a") != std::string::npos);
  CHECK(r.outcome.error().message.find("boom b") != std::string::npos);
  CHECK(r.count("start") == 1);
  CHECK(r.count("error") == 1);
}

TEST_CASE("cancelling mid-stream aborts with the partial message", "[router]") {
  fake_vendor_server alpha;
  auto stalled = recorded(hello);
  stalled.stall_after = stalled.body.find(" from the fake");
  alpha.enqueue(stalled);
  asio::io_context io;
  model_router router(io,
                      make_config(alpha.base_url(), alpha.base_url(), {{"ALPHA_API_KEY", "k"}}));
  asio::cancellation_signal cancel;
  std::optional<result<assistant_message>> outcome;
  std::vector<json> events;
  completion_request req;
  req.conv.messages.push_back(user_text("hi"));
  router.async_complete(
      req,
      [&](const stream_event& e) {
        events.push_back(to_json(e));
        if (e.kind == event_kind::text_delta) cancel.emit(asio::cancellation_type::terminal);
      },
      [&](result<assistant_message> r) { outcome = std::move(r); }, cancel.slot());
  io.run_for(std::chrono::seconds(20));  // bounded: a hang fails the test instead of CI
  REQUIRE(outcome.has_value());
  REQUIRE_FALSE(outcome->has_value());
  CHECK(outcome->error().code == errc::cancelled);
  CHECK(events.back()["reason"].as_string() == "aborted");
  CHECK(events.back()["error"]["content"][0]["text"].as_string() == "Hello");
}

TEST_CASE("a canary key never appears in events, routes or errors", "[router]") {
  const std::string canary = "sk-canary-2f9d7e11aa";
  fake_vendor_server alpha, beta;
  alpha.enqueue(error_response(
      401, R"({"error":{"message":"Incorrect API key provided: )" + canary + R"("}})"));
  beta.enqueue(error_response(401, R"({"error":{"message":"bad key )" + canary + R"("}})"));
  auto r = run(make_config(alpha.base_url(), beta.base_url(),
                           {{"ALPHA_API_KEY", canary}, {"BETA_API_KEY", canary}}));
  REQUIRE_FALSE(r.outcome.has_value());
  CHECK(r.outcome.error().describe().find(canary) == std::string::npos);
  for (const auto& e : r.events) CHECK(e.dump().find(canary) == std::string::npos);
  for (const auto& e : r.routes) {
    CHECK(e.failure.describe().find(canary) == std::string::npos);
    CHECK(e.credential.find(canary) == std::string::npos);
  }
}

TEST_CASE("a host transport and provider get the same routing", "[router]") {
  // A toy wire API: POST the last user text, the body streams back as plain text.
  struct echo_transport : transport {
    std::string_view api() const noexcept override { return "echo"; }
    result<http_request> build_request(const call_spec& call) const override {
      http_request r;
      r.url = call.provider.base_url + "/echo";
      r.body = "ping";
      return r;
    }
    std::unique_ptr<stream_decoder> make_decoder(const call_spec&,
                                                 stream_builder& out) const override {
      return std::make_unique<durar::test::text_decoder>(out);
    }
  };
  fake_vendor_server server;
  fake_response plain;
  plain.headers = {{"Content-Type", "text/plain"}};
  plain.body = "pong";
  plain.split_every = 1;
  server.enqueue(plain);

  asio::io_context io;
  config cfg;
  model_router router(io, cfg);
  router.add_transport("echo", std::make_shared<echo_transport>());
  REQUIRE(router.add_provider(durar::test::toy_provider("echo", server.base_url())).has_value());
  completion_request req;
  req.model = "toy/t1";
  req.conv.messages.push_back(user_text("hi"));
  auto out = router.complete(req);
  REQUIRE(out.has_value());
  CHECK(text_of(*out) == "pong");
  CHECK(server.requests().at(0).body == "ping");
}

TEST_CASE("a model without a key fails once, with the variable to set", "[router]") {
  config cfg;
  cfg.agents.model.primary = "openai/gpt-5.4";
  auto r = run(cfg);
  REQUIRE_FALSE(r.outcome.has_value());
  CHECK(r.outcome.error().code == errc::unauthenticated);
  CHECK(r.outcome.error().message == "no API key for openai: set OPENAI_API_KEY");
  CHECK(r.count("error") == 1);
}

TEST_CASE("a model's params from the config reach the wire, under the caller's own", "[router]") {
  fake_vendor_server alpha;
  alpha.enqueue(recorded(hello));
  alpha.enqueue(recorded(hello));
  config cfg = make_config(alpha.base_url(), alpha.base_url(), {{"ALPHA_API_KEY", "k"}});
  model_options mo;
  mo.params = json::object({{"temperature", 0.25}, {"maxTokens", 77}});
  cfg.agents.models["alpha/m1"] = mo;

  REQUIRE(run(cfg).outcome.has_value());
  completion_request own;
  own.options.temperature = 0.9;
  REQUIRE(run(cfg, own).outcome.has_value());

  auto reqs = alpha.requests();
  REQUIRE(reqs.size() == 2);
  auto first = json::parse(reqs[0].body);
  REQUIRE(first.has_value());
  CHECK((*first)["temperature"].as_double() == Approx(0.25));
  CHECK((*first)["max_tokens"].as_int() == 77);
  auto second = json::parse(reqs[1].body);
  REQUIRE(second.has_value());
  CHECK((*second)["temperature"].as_double() == Approx(0.9));
}
