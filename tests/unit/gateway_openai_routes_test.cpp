// The OpenAI-compatible API's routes over a runtime in a scratch dir: auth and throttling,
// health, 404/405, /v1/models, refusals before a run, switched-off endpoints, /tools/invoke.
#include "gateway_openai_fixture.hpp"

using namespace gateway_openai_test;

TEST_CASE("health answers without auth, everything else wants the token", "[gateway][openai]") {
  gateway_fixture gw;
  for (std::string path : {"/health", "/healthz", "/ready", "/readyz"}) {
    auto r = gw.call("GET", path, {}, {}, false);
    INFO(path);
    CHECK(r->status == 200);
    CHECK(r->json_body()["ok"] == true);
  }
  CHECK(gw.call("GET", "/readyz", {}, {}, false)->json_body()["status"] == "ready");

  auto anon = gw.call("GET", "/v1/models", {}, {}, false);
  CHECK(anon->status == 401);
  CHECK(error_of(*anon)["type"] == "authentication_error");
  CHECK(anon->header("www-authenticate") == "Bearer");
  auto wrong = gw.call("GET", "/v1/models", {}, {{"authorization", "Bearer nope"}}, false);
  CHECK(wrong->status == 401);
  CHECK(error_of(*wrong)["message"] == "unauthorized: gateway token mismatch");
  CHECK(wrong->body.find("tok-unit-canary") == std::string::npos);
  CHECK(gw.call("GET", "/v1/models")->status == 200);
}

TEST_CASE("the 6th attempt after 5 bad tokens is a 429 whose Retry-After tells the truth",
          "[gateway][openai]") {
  gateway_fixture gw;
  auto now = std::chrono::steady_clock::now();
  gw.gs->auth.set_clock([&] { return now; });
  const header_list bad = {{"authorization", "Bearer bad"}};
  for (int i = 0; i < 5; ++i) {
    auto r = gw.call("GET", "/v1/models", {}, bad, false);
    INFO(i);
    CHECK(r->status == 401);
    CHECK(error_of(*r)["code"] == "invalid_token");
  }
  auto locked = gw.call("GET", "/v1/models", {}, {}, true);  // even the right token, now
  CHECK(locked->status == 429);
  CHECK(error_of(*locked)["type"] == "rate_limit_error");
  CHECK(error_of(*locked)["code"] == "auth_throttled");
  CHECK(locked->header("retry-after") == "1");  // the lockout is 1 s, not the 60 s cap
  now += std::chrono::milliseconds(400);
  CHECK(gw.call("GET", "/v1/models", {}, bad, false)->header("retry-after") == "1");
  // Health stays reachable for probes.
  CHECK(gw.call("GET", "/health", {}, {}, false)->status == 200);
  now += std::chrono::milliseconds(600);  // the second is over
  CHECK(gw.call("GET", "/v1/models")->status == 200);

  // A lockout earned again doubles, and Retry-After follows it.
  for (int i = 0; i < 5; ++i) gw.call("GET", "/v1/models", {}, bad, false);
  now += std::chrono::seconds(1);
  CHECK(gw.call("GET", "/v1/models", {}, bad, false)->status == 401);
  auto doubled = gw.call("GET", "/v1/models", {}, bad, false);
  CHECK(doubled->status == 429);
  CHECK(doubled->header("retry-after") == "2");
}

TEST_CASE("requests without a token get 401 and never lock out the right token",
          "[gateway][openai]") {
  gateway_fixture gw;
  for (int i = 0; i < 20; ++i) {
    auto r = gw.call("GET", "/v1/models", {}, {}, false);
    INFO(i);
    CHECK(r->status == 401);
    CHECK(error_of(*r)["code"] == "missing_token");
  }
  CHECK(gw.call("GET", "/v1/models")->status == 200);
}

TEST_CASE("HEAD /health carries the Content-Length its GET would have", "[gateway][openai]") {
  gateway_fixture gw;
  auto head = gw.call("HEAD", "/health", {}, {}, false);
  CHECK(head->status == 200);
  // The recording responder keeps the body a handler gives; the server's responder sends its
  // length and drops it for HEAD (gateway_http_test checks the wire).
  CHECK_FALSE(head->body.empty());
  CHECK(head->json_body()["ok"] == true);
}

TEST_CASE("unknown paths are 404 and wrong methods 405, in OpenAI's shape", "[gateway][openai]") {
  gateway_fixture gw;
  auto missing = gw.call("GET", "/v1/nothing");
  CHECK(missing->status == 404);
  CHECK(error_of(*missing)["message"] == "Unknown route: GET /v1/nothing");
  auto method = gw.call("GET", "/v1/chat/completions");
  CHECK(method->status == 405);
  CHECK(method->header("allow") == "POST");
  CHECK(error_of(*method)["code"] == "method_not_allowed");
  CHECK(gw.call("POST", "/v1/models")->status == 405);
  CHECK(gw.call("DELETE", "/health", {}, {}, false)->status == 405);
}

TEST_CASE("GET /v1/models lists the agents and /v1/models/{id} finds one", "[gateway][openai]") {
  gateway_fixture gw;
  auto list = gw.call("GET", "/v1/models");
  REQUIRE(list->status == 200);
  json body = list->json_body();
  std::vector<std::string> ids;
  for (const auto& m : body["data"].as_array()) ids.push_back(m["id"].as_string());
  CHECK(ids == std::vector<std::string>{"durar", "durar/default", "durar/main", "durar/coder"});

  auto one = gw.call("GET", "/v1/models/durar/coder");
  CHECK(one->status == 200);
  CHECK(one->json_body()["id"] == "durar/coder");
  CHECK(gw.call("GET", "/v1/models/durar")->status == 200);
  auto unknown = gw.call("GET", "/v1/models/durar/nobody");
  CHECK(unknown->status == 404);
  CHECK(error_of(*unknown)["code"] == "model_not_found");
  CHECK(gw.call("GET", "/v1/models/gpt-4o")->status == 404);
}

TEST_CASE("chat completions refuse bad input before anything runs", "[gateway][openai]") {
  gateway_fixture gw;
  auto bad_json = gw.call("POST", "/v1/chat/completions", "{\"messages\": [");
  CHECK(bad_json->status == 400);
  CHECK(error_of(*bad_json)["message"].as_string().find("line 1") != std::string::npos);

  auto no_messages = gw.call("POST", "/v1/chat/completions", R"({"model":"durar"})");
  CHECK(no_messages->status == 400);
  CHECK(error_of(*no_messages)["param"] == "messages");

  const std::string hi = R"("messages":[{"role":"user","content":"hi"}])";
  auto not_agent = gw.call("POST", "/v1/chat/completions", R"({"model":"gpt-4o",)" + hi + "}");
  CHECK(not_agent->status == 404);
  CHECK(error_of(*not_agent)["code"] == "model_not_found");
  CHECK(error_of(*not_agent)["message"].as_string().find("x-durar-model") != std::string::npos);

  auto no_agent = gw.call("POST", "/v1/chat/completions", R"({"model":"durar/ghost",)" + hi + "}");
  CHECK(no_agent->status == 404);
  auto header_agent = gw.call("POST", "/v1/chat/completions", R"({"model":"durar",)" + hi + "}",
                              {{"x-durar-agent-id", "ghost"}});
  CHECK(header_agent->status == 404);
  auto backend = gw.call("POST", "/v1/chat/completions", R"({"model":"durar",)" + hi + "}",
                         {{"x-durar-model", "nosuchprovider/m"}});
  CHECK(backend->status == 404);
  CHECK(error_of(*backend)["message"].as_string().rfind("x-durar-model", 0) == 0);
  auto other_agents_session =
      gw.call("POST", "/v1/chat/completions", R"({"model":"durar",)" + hi + "}",
              {{"x-durar-agent-id", "main"}, {"x-durar-session-key", "agent:coder:work"}});
  CHECK(other_agents_session->status == 400);
  CHECK(error_of(*other_agents_session)["message"].as_string().find("belongs to agent 'coder'") !=
        std::string::npos);
  // Streaming requests too get their error as a status, not a 200 stream.
  auto stream_bad = gw.call("POST", "/v1/chat/completions",
                            R"({"model":"durar/ghost","stream":true,)" + hi + "}");
  CHECK(stream_bad->status == 404);
  CHECK_FALSE(stream_bad->streamed);
}

TEST_CASE("responses and embeddings refuse bad input with 400s and 404s", "[gateway][openai]") {
  gateway_fixture gw;
  CHECK(gw.call("POST", "/v1/responses", R"({"model":"durar"})")->status == 400);
  CHECK(gw.call("POST", "/v1/responses", R"({"model":"nope","input":"x"})")->status == 404);
  auto emb = gw.call("POST", "/v1/embeddings", R"({"model":"durar/main","input":"x"})");
  CHECK(emb->status == 400);
  CHECK(error_of(*emb)["message"].as_string().find("memorySearch") != std::string::npos);
  CHECK(gw.call("POST", "/v1/embeddings", R"({"model":"nope/x","input":"x"})")->status == 404);
  CHECK(gw.call("POST", "/v1/embeddings", R"({"model":"bare","input":"x"})")->status == 404);
}

TEST_CASE("endpoints the config turns off answer 404", "[gateway][openai]") {
  gateway_fixture gw({}, parse(R"({"gateway":{"http":{"endpoints":{
      "chatCompletions":{"enabled":false},"responses":{"enabled":true}}}}})"));
  auto off =
      gw.call("POST", "/v1/chat/completions", R"({"messages":[{"role":"user","content":"hi"}]})");
  CHECK(off->status == 404);
  CHECK(error_of(*off)["message"].as_string().find("chatCompletions.enabled") != std::string::npos);
  CHECK(gw.call("POST", "/v1/responses", R"({"model":"durar"})")->status == 400);
}

TEST_CASE("tools/invoke runs an allowed tool and refuses risky ones", "[gateway][openai]") {
  gateway_fixture gw;
  fs::path ws = gw.state.path / "workspace";
  fs::create_directories(ws);
  std::ofstream(ws / "note.txt") << "hello from the workspace\n";

  auto read = gw.call("POST", "/tools/invoke", R"({"tool":"read","args":{"path":"note.txt"}})");
  REQUIRE(gw.wait(read));
  INFO(read->body);
  CHECK(read->status == 200);
  json body = read->json_body();
  CHECK(body["ok"] == true);
  CHECK(body["result"]["content"][0]["type"] == "text");
  CHECK(body["result"]["content"][0]["text"].as_string().find("hello from the workspace") !=
        std::string::npos);

  auto exec = gw.call("POST", "/tools/invoke", R"({"tool":"exec","args":{"command":"true"}})");
  CHECK(exec->status == 404);
  CHECK(exec->json_body()["ok"] == false);
  CHECK(exec->json_body()["error"]["type"] == "forbidden");
  CHECK(exec->json_body()["error"]["message"].as_string().find("gateway.tools.allow") !=
        std::string::npos);

  auto unknown = gw.call("POST", "/tools/invoke", R"({"tool":"teleport"})");
  CHECK(unknown->status == 404);
  CHECK(unknown->json_body()["error"]["type"] == "not_found");

  auto bad_args = gw.call("POST", "/tools/invoke", R"({"tool":"read","args":{"path":42}})");
  CHECK(bad_args->status == 400);
  CHECK(bad_args->json_body()["error"]["type"] == "invalid_request");

  auto missing_file =
      gw.call("POST", "/tools/invoke", R"({"tool":"read","args":{"path":"absent.txt"}})");
  REQUIRE(gw.wait(missing_file));
  CHECK(missing_file->status == 400);
  CHECK(missing_file->json_body()["error"]["type"] == "tool_error");

  auto dry = gw.call("POST", "/tools/invoke",
                     R"({"tool":"read","args":{"path":"note.txt"},"dryRun":true})");
  CHECK(dry->status == 200);
  CHECK(dry->json_body()["result"]["dryRun"] == true);
  CHECK(dry->json_body()["result"]["sessionKey"] == "agent:main:main");

  CHECK(gw.call("POST", "/tools/invoke", "nope")->status == 400);
}

TEST_CASE("gateway.tools.allow opens a risky tool to HTTP", "[gateway][openai]") {
  gateway_fixture gw({"write"});
  auto write = gw.call("POST", "/tools/invoke",
                       R"({"tool":"write","args":{"path":"out.txt","content":"x"},"dryRun":true})");
  CHECK(write->status == 200);
  CHECK(gw.call("POST", "/tools/invoke", R"({"tool":"exec","args":{"command":"true"}})")->status ==
        404);
}

TEST_CASE("gateway.tools in the config file is honoured too", "[gateway][openai]") {
  gateway_fixture gw({}, parse(R"({"gateway":{"tools":{"allow":["exec"],"deny":["read"]}}})"));
  CHECK(
      gw.call("POST", "/tools/invoke", R"({"tool":"exec","args":{"command":"true"},"dryRun":true})")
          ->status == 200);
  auto read = gw.call("POST", "/tools/invoke", R"({"tool":"read","args":{"path":"x"}})");
  CHECK(read->status == 404);
  CHECK(read->json_body()["error"]["type"] == "forbidden");
}
