// Local-server discovery through the router against fake Ollama and vLLM servers over real
// sockets: listings, /api/show details, unreachable and stalled servers, and a completion
// to a model that only discovery knew.
#include <durar/router.hpp>

#include <asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "fake_vendor_server.hpp"
#include "io_wait.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace durar;
using durar::test::fake_response;
using durar::test::fake_vendor_server;
using durar::test::recorded;
using durar::test::recorded_request;

namespace {

const std::filesystem::path data = std::filesystem::path(DURAR_TEST_DATA) / "providers";

fake_response json_answer(int status, std::string body) {
  fake_response r;
  r.status = status;
  r.chunked = false;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

// The model an /api/show request asks about ("model", or the older "name").
std::string shown_model(const recorded_request& r) {
  auto body = json::parse(r.body);
  if (!body) return {};
  std::string id = body->string_or("model");
  return id.empty() ? body->string_or("name") : id;
}

// Answers as a real Ollama with llama3.2, deepseek-r1 and gemma3 pulled would.
void act_as_ollama(fake_vendor_server& server) {
  server.respond_with([](const recorded_request& r) -> std::optional<fake_response> {
    if (r.method == "GET" && r.target == "/api/tags")
      return recorded(data / "ollama" / "tags.listing.json");
    if (r.method == "POST" && r.target == "/api/show") {
      std::string model = shown_model(r);
      if (model == "llama3.2:latest") return recorded(data / "ollama" / "show.listing.json");
      if (model == "deepseek-r1:14b")
        return json_answer(200, R"({"parameters":"num_ctx 16384",)"
                                R"("model_info":{"qwen2.context_length":65536},)"
                                R"("capabilities":["completion","tools","thinking"]})");
      return json_answer(404, R"({"error":"model ')" + model + R"(' not found"})");
    }
    if (r.method == "POST" && r.target == "/api/chat")
      return recorded(data / "ollama" / "text.response.ndjson");
    return std::nullopt;
  });
}

// A port on 127.0.0.1 where nothing listens: bound once, then released.
std::uint16_t refused_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = a.local_endpoint().port();
  a.close();
  return port;
}

std::string refused_url() { return "http://127.0.0.1:" + std::to_string(refused_port()); }

// Only the named local providers exist (replace mode), each at the given base URL.
config local_config(std::map<std::string, std::string> urls) {
  config cfg;
  cfg.env = environment(std::map<std::string, std::string, std::less<>>{});
  cfg.models.mode = "replace";
  for (auto& [id, url] : urls) {
    provider_config p;
    p.base_url = url;
    cfg.models.providers[id] = p;
  }
  return cfg;
}

const discovery_report* report_for(const std::vector<discovery_report>& all,
                                   const std::string& provider) {
  for (const auto& r : all)
    if (r.provider == provider) return &r;
  return nullptr;
}

long long ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

}  // namespace

TEST_CASE("discovery lists Ollama and vLLM models and adds them to the catalog", "[discovery]") {
  fake_vendor_server ollama, vllm;
  act_as_ollama(ollama);
  vllm.respond_with([](const recorded_request& r) -> std::optional<fake_response> {
    if (r.method == "GET" && r.target == "/v1/models")
      return recorded(data / "discovery" / "vllm_models.listing.json");
    return std::nullopt;
  });
  asio::io_context io;
  model_router router(
      io, local_config({{"ollama", ollama.base_url()}, {"vllm", vllm.base_url() + "/v1"}}));
  CHECK(router.models().model({"ollama", "llama3.2:latest"}) == nullptr);

  auto reports = router.discover(std::chrono::seconds(5));
  REQUIRE(reports.size() == 2);
  const auto* o = report_for(reports, "ollama");
  const auto* v = report_for(reports, "vllm");
  REQUIRE(o != nullptr);
  REQUIRE(v != nullptr);
  INFO(o->failure.message << " / " << v->failure.message);
  REQUIRE(o->reachable);
  REQUIRE(v->reachable);
  CHECK(o->base_url == ollama.base_url());
  CHECK(o->models.size() == 3);
  CHECK(v->models.size() == 1);

  // /api/show: one per model, asked concurrently, each answer applied to its own model.
  std::size_t shows = 0;
  for (const auto& r : ollama.requests()) shows += r.target == "/api/show";
  CHECK(shows == 3);

  const catalog& cat = router.models();
  const model_info* llama = cat.model({"ollama", "llama3.2:latest"});
  REQUIRE(llama != nullptr);
  CHECK(llama->context_window == 131072);  // model_info beats the smaller num_ctx
  CHECK(llama->api == api_kind::ollama);
  CHECK_FALSE(llama->reasoning);
  CHECK(llama->compat["supportsTools"] == json(true));
  const model_info* r1 = cat.model({"ollama", "deepseek-r1:14b"});
  REQUIRE(r1 != nullptr);
  CHECK(r1->context_window == 65536);
  CHECK(r1->reasoning);
  const model_info* gemma = cat.model({"ollama", "gemma3:12b"});
  REQUIRE(gemma != nullptr);  // /api/show failed: the listing's facts and defaults stay
  CHECK(gemma->context_window == 128000);
  CHECK(gemma->input == std::vector<std::string>{"text", "image"});
  const model_info* qwen = cat.model({"vllm", "Qwen/Qwen3-30B-A3B"});
  REQUIRE(qwen != nullptr);
  CHECK(qwen->context_window == 40960);
  CHECK(cat.resolve("vllm/Qwen/Qwen3-30B-A3B").has_value());

  // Probing again refreshes rather than duplicates.
  auto again = router.discover(std::chrono::seconds(5));
  REQUIRE(report_for(again, "ollama")->reachable);
  CHECK(router.models().provider("ollama")->models.size() == 3);
}

TEST_CASE("discovery: what the config says about a model wins over the server", "[discovery]") {
  fake_vendor_server ollama;
  act_as_ollama(ollama);
  config cfg = local_config({{"ollama", ollama.base_url()}});
  model_config m;
  m.id = "llama3.2:latest";
  m.name = "Llama (local)";
  m.context_window = 4096;
  cfg.models.providers["ollama"].models.push_back(m);
  asio::io_context io;
  model_router router(io, cfg);

  auto reports = router.discover(std::chrono::seconds(5));
  REQUIRE(reports.size() == 1);
  REQUIRE(reports[0].reachable);
  const model_info* llama = router.models().model({"ollama", "llama3.2:latest"});
  REQUIRE(llama != nullptr);
  CHECK(llama->context_window == 4096);
  CHECK(llama->name == "Llama (local)");
  CHECK(llama->compat["supportsTools"] == json(true));  // not in the config: the server's
  CHECK(router.models().provider("ollama")->models.size() == 3);
  CHECK(reports[0].models[0].context_window == 4096);  // the report shows what will be used
}

TEST_CASE("discovery: a refused port is unreachable at once, not a failure", "[discovery]") {
  const std::string ollama_url = refused_url();
  const std::string vllm_url = refused_url() + "/v1";
  asio::io_context io;
  model_router router(io, local_config({{"ollama", ollama_url}, {"vllm", vllm_url}}));
  auto started = std::chrono::steady_clock::now();
  auto reports = router.discover(std::chrono::seconds(5));
  CHECK(ms_since(started) < 2000);
  REQUIRE(reports.size() == 2);
  for (const auto& r : reports) {
    CHECK_FALSE(r.reachable);
    CHECK(r.models.empty());
    CHECK(r.failure.code == errc::unavailable);
    CHECK(r.failure.message.find(r.base_url) != std::string::npos);
  }
  CHECK(router.models().provider("ollama")->models.empty());
}

TEST_CASE("discovery: a stalled server times out within the timeout", "[discovery]") {
  fake_vendor_server stalled;
  fake_response slow = json_answer(200, R"({"models":[]})");
  slow.delay_headers = std::chrono::seconds(8);
  stalled.enqueue(slow);
  asio::io_context io;
  model_router router(io, local_config({{"ollama", stalled.base_url()}}));
  auto started = std::chrono::steady_clock::now();
  auto reports = router.discover(std::chrono::milliseconds(300));
  auto took = ms_since(started);
  CHECK(took >= 250);
  CHECK(took < 3000);
  REQUIRE(reports.size() == 1);
  CHECK_FALSE(reports[0].reachable);
  CHECK(reports[0].failure.code == errc::deadline_exceeded);
  CHECK(reports[0].failure.message.find(stalled.base_url() + "/api/tags") != std::string::npos);
}

TEST_CASE("discovery: an answer that is no listing names the URL", "[discovery]") {
  fake_vendor_server web, missing;
  fake_response page = json_answer(200, "<html><body>It works!</body></html>");
  page.headers = {{"Content-Type", "text/html"}};
  web.enqueue(page);
  missing.enqueue(json_answer(404, R"({"detail":"Not Found"})"));
  asio::io_context io;
  model_router router(io, local_config({{"lmstudio", web.base_url() + "/v1"},
                                        {"sglang", missing.base_url() + "/v1"}}));
  auto reports = router.discover(std::chrono::seconds(5));
  REQUIRE(reports.size() == 2);
  const auto* lm = report_for(reports, "lmstudio");
  const auto* sg = report_for(reports, "sglang");
  REQUIRE(lm != nullptr);
  REQUIRE(sg != nullptr);
  CHECK_FALSE(lm->reachable);
  CHECK(lm->failure.code == errc::protocol_error);
  CHECK(lm->failure.message.find(web.base_url() + "/v1/models") != std::string::npos);
  CHECK_FALSE(sg->reachable);
  CHECK(sg->failure.code == errc::protocol_error);
  CHECK(sg->failure.message.find("404") != std::string::npos);
  CHECK(sg->failure.message.find(missing.base_url() + "/v1/models") != std::string::npos);
}

TEST_CASE("discovery: a discovered Ollama model answers through the router", "[discovery]") {
  fake_vendor_server ollama;
  act_as_ollama(ollama);
  asio::io_context io;
  model_router router(io, local_config({{"ollama", ollama.base_url()}}));
  auto reports = router.discover(std::chrono::seconds(5));
  REQUIRE(reports.size() == 1);
  REQUIRE(reports[0].reachable);

  completion_request req;
  req.model = "llama3.2:latest";  // a bare name: discovery made ollama its only provider
  req.conv.messages.push_back(user_text("What colour is the sky?"));
  auto out = router.complete(std::move(req));
  INFO((out ? "" : out.error().message));
  REQUIRE(out.has_value());
  CHECK(out->provider == "ollama");
  CHECK(out->model == "llama3.2:latest");
  CHECK(text_of(*out).find("The sky is blue") != std::string::npos);
  auto reqs = ollama.requests();
  REQUIRE(reqs.back().target == "/api/chat");
  auto body = json::parse(reqs.back().body);
  REQUIRE(body.has_value());
  CHECK((*body)["model"].as_string() == "llama3.2:latest");
}

TEST_CASE("discovery: no local provider, or a router gone, still calls done once", "[discovery]") {
  asio::io_context io;
  {
    config cfg;
    cfg.models.mode = "replace";
    model_router router(io, cfg);
    int calls = 0;
    router.async_discover([&](std::vector<discovery_report> r) {
      ++calls;
      CHECK(r.empty());
    });
    CHECK(durar::test::run_until(io, [&] { return calls > 0; }));
    io.poll();
    CHECK(calls == 1);
  }

  fake_vendor_server stalled;
  fake_response slow = json_answer(200, R"({"models":[]})");
  slow.delay_headers = std::chrono::seconds(8);
  stalled.enqueue(slow);
  int calls = 0;
  std::vector<discovery_report> got;
  {
    model_router router(io, local_config({{"ollama", stalled.base_url()}}));
    router.async_discover(
        [&](std::vector<discovery_report> r) {
          ++calls;
          got = std::move(r);
        },
        std::chrono::seconds(10));
    CHECK(durar::test::run_until(io, [&] { return !stalled.requests().empty(); }));
    CHECK(calls == 0);
  }
  io.poll();
  CHECK(calls == 1);
  REQUIRE(got.size() == 1);
  CHECK_FALSE(got[0].reachable);
  CHECK(got[0].failure.code == errc::cancelled);
}
