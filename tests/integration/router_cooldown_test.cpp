// Billing cooldowns through the router over real sockets: a quota or credit error cools the
// (credential, model) for 5 h, doubling to a 24 h cap; the call fails over; the cooldown
// survives in <state>/cooldowns.json and a new router skips the key. Time is the router's
// clock hook, so hours pass without waiting.
#include <durar/router.hpp>

#include <catch2/catch.hpp>

#include "core/file_io.hpp"
#include "fake_vendor_server.hpp"
#include "temp_dir.hpp"

#include <filesystem>

using namespace durar;
using namespace std::chrono_literals;
using durar::test::error_response;
using durar::test::fake_vendor_server;
using durar::test::recorded;
using durar::test::temp_dir;

namespace {

const std::filesystem::path hello =
    std::filesystem::path(DURAR_TEST_DATA) / "providers" / "router" / "hello.response.sse";

// What OpenAI sends when the account has no quota left (a 429, not a rate limit).
const std::string openai_quota =
    R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})";

// Primary "alpha" (given api) and fallback "beta" (openai-completions), one model each.
config make_config(const std::string& alpha_url, const std::string& beta_url,
                   const std::string& alpha_api = "openai-completions") {
  config cfg;
  cfg.env = environment(std::map<std::string, std::string, std::less<>>{
      {"ALPHA_API_KEY", "sk-alpha-0123456789"}, {"BETA_API_KEY", "sk-beta-0123456789"}});
  for (auto [id, url, api] :
       {std::tuple{std::string("alpha"), alpha_url, alpha_api},
        std::tuple{std::string("beta"), beta_url, std::string("openai-completions")}}) {
    provider_config p;
    p.base_url = api == "anthropic-messages" ? url : url + "/v1";
    p.api = api;
    model_config m;
    m.id = "m1";
    p.models.push_back(m);
    cfg.models.providers[id] = p;
  }
  cfg.agents.model.primary = "alpha/m1";
  cfg.agents.model.fallbacks = {"beta/m1"};
  return cfg;
}

// A settable clock, read by every router built from options().
struct test_clock {
  std::chrono::system_clock::time_point now =
      std::chrono::system_clock::time_point(std::chrono::hours(24 * 20454));  // 2026-01-01
  router_options options(const std::filesystem::path& state_dir) {
    router_options o;
    o.state_dir = state_dir;
    o.clock = [this] { return now; };
    return o;
  }
};

struct outcome {
  result<assistant_message> answer = fail(errc::internal, "not run");
  std::vector<route_event> routes;
  [[nodiscard]] std::vector<const route_event*> of(route_event::kind k) const {
    std::vector<const route_event*> out;
    for (const auto& r : routes)
      if (r.what == k) out.push_back(&r);
    return out;
  }
};

// One call through a fresh router, as a new process would make it.
outcome call_once(const config& cfg, router_options opts) {
  asio::io_context io;
  model_router router(io, cfg, std::move(opts));
  outcome o;
  router.on_route([&](const route_event& e) { o.routes.push_back(e); });
  completion_request req;
  req.conv.messages.push_back(user_text("hi"));
  o.answer = router.complete(std::move(req));
  return o;
}

json cooldowns_file(const std::filesystem::path& state_dir) {
  bool exists = false;
  auto text = detail::read_file(state_dir / "cooldowns.json", exists);
  REQUIRE(text.has_value());
  REQUIRE(exists);
  auto doc = json::parse(*text);
  REQUIRE(doc.has_value());
  return *doc;
}

}  // namespace

TEST_CASE("a billing error cools the key for 5 h, fails over, and a restart skips the key",
          "[router][cooldown]") {
  fake_vendor_server alpha, beta;
  alpha.enqueue(error_response(429, openai_quota));
  beta.enqueue(recorded(hello));
  beta.enqueue(recorded(hello));
  temp_dir state;
  test_clock clock;
  const config cfg = make_config(alpha.base_url(), beta.base_url());

  auto first = call_once(cfg, clock.options(state.path));
  REQUIRE(first.answer.has_value());
  CHECK(first.answer->provider == "beta");
  auto cooled = first.of(route_event::kind::cooldown);
  REQUIRE(cooled.size() == 1);
  CHECK(cooled[0]->ref.provider == "alpha");
  CHECK(cooled[0]->credential == "ALPHA_API_KEY");
  CHECK(cooled[0]->cooldown == 5h);

  // On disk: the key's source and fingerprint, never the key; the deadline from our clock.
  json file = cooldowns_file(state.path);
  REQUIRE(file["entries"].size() == 1);
  const json& entry = file["entries"][0];
  CHECK(entry["provider"] == json("alpha"));
  CHECK(entry["model"] == json("m1"));
  CHECK(entry["reason"] == json("billing"));
  CHECK(entry["level"] == json(1));
  CHECK(entry["credential"].as_string().rfind("ALPHA_API_KEY#", 0) == 0);
  CHECK(file.dump().find("sk-alpha") == std::string::npos);
  const auto deadline = clock.now + 5h;
  CHECK(entry["until"].as_int() ==
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline.time_since_epoch()).count());

  // An hour later, a new router over the same state dir goes straight to the fallback.
  clock.now += 1h;
  auto second = call_once(cfg, clock.options(state.path));
  REQUIRE(second.answer.has_value());
  CHECK(second.answer->provider == "beta");
  CHECK(alpha.requests().size() == 1);
  for (const auto* a : second.of(route_event::kind::attempt)) CHECK(a->ref.provider == "beta");

  asio::io_context io;
  model_router again(io, cfg, clock.options(state.path));
  auto listed = again.cooldowns();
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].reason == "billing");
  CHECK(listed[0].until == deadline);
}

TEST_CASE("billing cooldowns double from 5 h to a 24 h cap, and a success clears them",
          "[router][cooldown]") {
  fake_vendor_server alpha, beta;
  temp_dir state;
  test_clock clock;
  const config cfg = make_config(alpha.base_url(), beta.base_url());
  std::size_t alpha_calls = 0;
  for (auto expected : {5h, 10h, 20h, 24h, 24h}) {
    INFO("expected cooldown " << expected.count() << " h");
    alpha.enqueue(error_response(429, openai_quota));
    beta.enqueue(recorded(hello));
    auto o = call_once(cfg, clock.options(state.path));
    REQUIRE(o.answer.has_value());
    CHECK(o.answer->provider == "beta");
    CHECK(alpha.requests().size() == ++alpha_calls);  // tried again once the last one ran out
    auto cooled = o.of(route_event::kind::cooldown);
    REQUIRE(cooled.size() == 1);
    CHECK(cooled[0]->cooldown == expected);
    clock.now += expected + 1min;
  }
  CHECK(cooldowns_file(state.path)["entries"][0]["level"] == json(5));

  alpha.enqueue(recorded(hello));
  auto recovered = call_once(cfg, clock.options(state.path));
  REQUIRE(recovered.answer.has_value());
  CHECK(recovered.answer->provider == "alpha");
  CHECK(cooldowns_file(state.path)["entries"].size() == 0);
}

TEST_CASE("402 and Anthropic's credit-balance error are billing, a plain 429 is not",
          "[router][cooldown]") {
  struct example {
    const char* name;
    const char* api;
    int status;
    std::string body;
    const char* reason;
    std::chrono::milliseconds wait;
  };
  const example examples[] = {
      {"OpenRouter out of credit", "openai-completions", 402,
       R"({"error":{"message":"Insufficient credits. Add more using https://openrouter.ai/settings/credits","code":402}})",
       "billing", 5h},
      {"Anthropic credit balance", "anthropic-messages", 400,
       R"({"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}})",
       "billing", 5h},
      {"Anthropic billing_error", "anthropic-messages", 402,
       R"({"type":"error","error":{"type":"billing_error","message":"Payment required"}})",
       "billing", 5h},
      {"a rate limit", "openai-completions", 429,
       R"({"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}})",
       "rate_limit", 1min},
  };
  for (const auto& ex : examples) {
    SECTION(ex.name) {
      fake_vendor_server alpha, beta;
      alpha.enqueue(error_response(ex.status, ex.body));
      beta.enqueue(recorded(hello));
      temp_dir state;
      test_clock clock;
      auto o = call_once(make_config(alpha.base_url(), beta.base_url(), ex.api),
                         clock.options(state.path));
      REQUIRE(o.answer.has_value());
      CHECK(o.answer->provider == "beta");  // failed over, not ended
      auto cooled = o.of(route_event::kind::cooldown);
      REQUIRE(cooled.size() == 1);
      CHECK(cooled[0]->cooldown == ex.wait);
      CHECK(cooldowns_file(state.path)["entries"][0]["reason"] == json(ex.reason));
    }
  }
}
